/** The alphabet, length, parts and bytes of an SMS text. */
import t from 'tap';
import fc from 'fast-check';
import { decodeGsm7, decodeUcs2, encodeGsm7, encodeUcs2, gsm7Septets, plan, splitParts, udh, unaccent } from '../text.js';

const REMINDER = 'Kính gửi Công ty Minh Phát: quý khách còn nợ 12.500.000 ₫, hạn thanh toán 31/10/2026.';

t.test('GSM-7 septets: default alphabet 1, extension table 2, anything else null', async (t) => {
  t.equal(gsm7Septets(''), 0);
  t.equal(gsm7Septets('Hello'), 5);
  t.equal(gsm7Septets('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà'), 128 - 62 - 1, 'every non-alphanumeric of the default alphabet (128 less 62 letters and digits, less ESC)');
  t.equal(gsm7Septets('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'), 62);
  t.equal(gsm7Septets('€'), 2);
  t.equal(gsm7Septets('^{}\\[~]|€\f'), 20, 'each extension character costs ESC + itself');
  t.equal(gsm7Septets('Total: 100 €'), 13);
  for (const ch of ['ç', 'á', '₫', '`', '\t', '\x1b', '中', '😀']) t.equal(gsm7Septets(`ab${ch}`), null, `${JSON.stringify(ch)} is not GSM`);
});

t.test('GSM-7 parts: 160 in one, then 153 each', async (t) => {
  t.same(plan(''), { encoding: 'gsm7', length: 0, parts: 1, perPart: 160 }, 'empty is one part; the caller refuses it');
  t.same(plan('a'.repeat(160)), { encoding: 'gsm7', length: 160, parts: 1, perPart: 160 });
  t.same(plan('a'.repeat(161)), { encoding: 'gsm7', length: 161, parts: 2, perPart: 153 });
  t.same(splitParts('a'.repeat(161)).map((p) => p.length), [153, 8]);
  t.same(plan('a'.repeat(306)), { encoding: 'gsm7', length: 306, parts: 2, perPart: 153 });
  t.same(plan('a'.repeat(307)).parts, 3);
  t.same(plan('€'.repeat(80)), { encoding: 'gsm7', length: 160, parts: 1, perPart: 160 }, '€ counts 2');
  t.same(plan('€'.repeat(80) + 'a'), { encoding: 'gsm7', length: 161, parts: 2, perPart: 153 });
});

t.test('an extension character at a part boundary moves whole to the next part', async (t) => {
  const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
  t.same(plan(text), { encoding: 'gsm7', length: 164, parts: 2, perPart: 153 });
  const parts = splitParts(text);
  t.same(parts, ['a'.repeat(152), '€' + 'b'.repeat(10)]);
  t.equal(gsm7Septets(parts[0]), 152, 'the first part leaves its last septet empty rather than end on ESC');
  t.equal(encodeGsm7(parts[0]).at(-1), 0x61);

  const tight = 'a'.repeat(152) + '{' + 'a'.repeat(152);
  t.same(plan(tight), { encoding: 'gsm7', length: 306, parts: 3, perPart: 153 }, '306 septets divide into 2 × 153, but the walk needs 152 + 153 + 1');
});

t.test('UCS-2 parts: 70 in one, then 67 each', async (t) => {
  t.same(plan('ạ'.repeat(70)), { encoding: 'ucs2', length: 70, parts: 1, perPart: 70 });
  t.same(plan('ạ'.repeat(71)), { encoding: 'ucs2', length: 71, parts: 2, perPart: 67 });
  t.same(splitParts('ạ'.repeat(71)).map((p) => p.length), [67, 4]);
  t.same(plan('a'.repeat(200) + 'ç').encoding, 'ucs2', 'one non-GSM character turns the whole text to UCS-2');
});

t.test('an emoji (a surrogate pair) is never split across parts', async (t) => {
  const text = 'x'.repeat(66) + '😀' + 'y'.repeat(10);
  t.same(plan(text), { encoding: 'ucs2', length: 78, parts: 2, perPart: 67 });
  const parts = splitParts(text);
  t.same(parts, ['x'.repeat(66), '😀' + 'y'.repeat(10)]);
  t.same(plan('😀'.repeat(35)), { encoding: 'ucs2', length: 70, parts: 1, perPart: 70 });
  t.same(splitParts('😀'.repeat(36)).map((p) => p.length), [66, 6], '33 emoji fill 66 of 67 units, the 34th would split');
});

t.test('a Vietnamese reminder with diacritics goes UCS-2', async (t) => {
  t.same(plan(REMINDER), { encoding: 'ucs2', length: 85, parts: 2, perPart: 67 });
  t.same(splitParts(REMINDER).map((p) => p.length), [67, 18]);
  t.equal(splitParts(REMINDER).join(''), REMINDER);
});

t.test('Chinese and Arabic go UCS-2', async (t) => {
  t.same(plan('尊敬的客户：您尚欠款 12,500 元，请于 2026 年 10 月 31 日前付款。'), { encoding: 'ucs2', length: 43, parts: 1, perPart: 70 });
  t.same(plan('عزيزي العميل، المبلغ المستحق 12500 درهم.'), { encoding: 'ucs2', length: 40, parts: 1, perPart: 70 });
});

t.test('unaccent: Vietnamese without diacritics, for GSM-7', async (t) => {
  const plain = 'Kinh gui Cong ty Minh Phat: quy khach con no 12.500.000 ₫, han thanh toan 31/10/2026.';
  t.equal(unaccent(REMINDER), plain);
  t.equal(gsm7Septets(unaccent(REMINDER)), null, '₫ is not GSM: the caller writes VND');
  const withVnd = unaccent(REMINDER.replace('₫', 'VND'));
  t.equal(gsm7Septets(withVnd), 87);
  t.same(plan(withVnd), { encoding: 'gsm7', length: 87, parts: 1, perPart: 160 }, 'one part instead of two');

  t.equal(unaccent('àáảãạăằắẳẵặâầấẩẫậ èéẻẽẹêềếểễệ ìíỉĩị òóỏõọôồốổỗộơờớởỡợ ùúủũụưừứửữự ỳýỷỹỵ đ'),
    'aaaaaaaaaaaaaaaaa eeeeeeeeeee iiiii ooooooooooooooooo uuuuuuuuuuu yyyyy d');
  t.equal(unaccent('ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ ÈÉẺẼẸÊỀẾỂỄỆ ÌÍỈĨỊ ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ ÙÚỦŨỤƯỪỨỬỮỰ ỲÝỶỸỴ Đ'),
    'AAAAAAAAAAAAAAAAA EEEEEEEEEEE IIIII OOOOOOOOOOOOOOOOO UUUUUUUUUUU YYYYY D');
  t.equal(unaccent('ĐƯỜNG TRẦN HƯNG ĐẠO, PHƯỜNG BẾN THÀNH'), 'DUONG TRAN HUNG DAO, PHUONG BEN THANH');
  t.equal(unaccent('Ơn Ưu'), 'On Uu');

  const nfd = REMINDER.normalize('NFD');
  t.not(nfd, REMINDER, 'the NFD input really is decomposed');
  t.equal(unaccent(nfd), plain);

  t.equal(unaccent('Café Müller, Señor, 100 € ou 80 £'), 'Cafe Muller, Senor, 100 € ou 80 £', 'accented Latin goes to its base, symbols stay');
  t.equal(unaccent('尊敬的客户 عزيزي العميل Йошкар-Ола ά'), '尊敬的客户 عزيزي العميل Йошкар-Ола ά', 'other scripts keep their marks');
  t.equal(unaccent(''), '');
});

t.test('GSM-7 bytes: unpacked septets, ESC before extension characters', async (t) => {
  t.same([...encodeGsm7('@A€{\n')], [0x00, 0x41, 0x1b, 0x65, 0x1b, 0x28, 0x0a]);
  t.same([...encodeGsm7('£$¥èÇΔ_ÆßÉ¤¡§¿àÄö')], [0x01, 0x02, 0x03, 0x04, 0x09, 0x10, 0x11, 0x1c, 0x1e, 0x1f, 0x24, 0x40, 0x5f, 0x60, 0x7f, 0x5b, 0x7c]);
  const text = 'No: 100 € [han 31/10] {ref|A~1} ^\\ \f @£$ ΔΦΓΛΩΠΨΣΘΞ';
  const bytes = encodeGsm7(text);
  t.equal(bytes.length, gsm7Septets(text), 'one byte per septet');
  t.equal(decodeGsm7(bytes), text);
  t.throws(() => encodeGsm7('Nợ'), RangeError);
  t.throws(() => encodeGsm7('x\x1b'), RangeError, 'ESC is not a character to send');

  t.equal(decodeGsm7(Buffer.from([0x41, 0x1b, 0x41])), 'AA', 'unknown extension: the default character');
  t.equal(decodeGsm7(Buffer.from([0x41, 0x1b, 0x1b, 0x42])), 'A B', 'double escape: a space');
  t.equal(decodeGsm7(Buffer.from([0x41, 0x1b])), 'A', 'trailing escape dropped');
  t.throws(() => decodeGsm7(Buffer.from([0x80])), RangeError);
});

t.test('UCS-2 bytes: UTF-16 big-endian, emoji as surrogate pairs', async (t) => {
  t.same([...encodeUcs2('Aạ😀')], [0x00, 0x41, 0x1e, 0xa1, 0xd8, 0x3d, 0xde, 0x00]);
  for (const text of [REMINDER, 'Thanh toán xong 👍🏽 cảm ơn!', '尊敬的客户', 'عزيزي العميل', '']) {
    t.equal(decodeUcs2(encodeUcs2(text)), text);
  }
  const buf = Buffer.from([0x00, 0x41]);
  decodeUcs2(buf);
  t.same([...buf], [0x00, 0x41], 'decoding leaves the caller’s buffer alone');
  t.throws(() => decodeUcs2(Buffer.from([0x00])), RangeError);
});

t.test('splitParts joins back to the text', async (t) => {
  for (const text of ['', 'short', 'a'.repeat(400), '€'.repeat(200), REMINDER.repeat(5), '😀'.repeat(100), unaccent(REMINDER).replace('₫', 'VND').repeat(4)]) {
    const parts = splitParts(text);
    t.equal(parts.join(''), text);
    t.equal(parts.length, plan(text).parts);
  }
});

t.test('the concatenation UDH', async (t) => {
  t.same([...udh(0x2a, 3, 1)], [0x05, 0x00, 0x03, 0x2a, 0x03, 0x01]);
  t.same([...udh(255, 255, 255)], [0x05, 0x00, 0x03, 0xff, 0xff, 0xff]);
  t.same([...udh(0, 1, 1)], [0x05, 0x00, 0x03, 0x00, 0x01, 0x01]);
  t.throws(() => udh(256, 2, 1), RangeError);
  t.throws(() => udh(-1, 2, 1), RangeError);
  t.throws(() => udh(1, 0, 1), RangeError);
  t.throws(() => udh(1, 2, 0), RangeError);
  t.throws(() => udh(1, 2, 3), RangeError);
  t.throws(() => udh(1.5, 2, 1), RangeError);
});

t.test('property: the parts give the text back and each fits its budget', async (t) => {
  const unit = fc.oneof(
    fc.constantFrom('a', ' ', '€', '{', '\\', '\f', '@', 'é'),
    fc.constantFrom('ạ', 'ư', '😀', '中', 'ع', '\u0301'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  );
  // size 'max': fast-check's default size keeps strings to about ten characters, never a second part.
  const text = fc.oneof(
    fc.string({ unit, maxLength: 400, size: 'max' }),
    fc.string({ unit: fc.constantFrom('a', '€', '^', '~'), maxLength: 400, size: 'max' }),
    fc.string({ unit: 'binary', maxLength: 200, size: 'max' }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
  fc.assert(
    fc.property(text, (s) => {
      const p = plan(s);
      const parts = splitParts(s);
      if (parts.join('') !== s || parts.length !== p.parts) return false;
      return parts.every((part, i) => {
        const size = p.encoding === 'gsm7' ? gsm7Septets(part) : part.length;
        if (size === null || size > p.perPart) return false;
        // No part ends on the high half of a surrogate pair whose low half opens the next one.
        const next = parts[i + 1];
        const last = part.charCodeAt(part.length - 1);
        return next === undefined || !(last >= 0xd800 && last <= 0xdbff && next.charCodeAt(0) >= 0xdc00 && next.charCodeAt(0) <= 0xdfff);
      });
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 texts');
});
