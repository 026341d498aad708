import t from 'tap';
import { bankOf, BANKS } from '../banks.js';
import { crc16, readVietQr, vietQrPayload, vietQrProblem } from '../vietqr.js';

const NAPAS = 'NAPAS, "Tài liệu quy định về định dạng mã VietQR trong dịch vụ chuyển nhanh NAPAS247" v1.0 (09/2021), archived in github.com/subiz/vietqr spec/QR_Format_T&C_v1.0_VN_092021.pdf';

t.test('CRC-16/CCITT-FALSE: the catalogue check value, padded to four digits', async (t) => {
  t.equal(crc16('123456789'), '29B1');
  t.equal(crc16('00020101021138580010A000000727012800069704070114190304136010180208QRIBFTTA53037045802VN6304'), '0283', 'xuannghia/vietnam-qr-pay test/test-vietqr.spec.ts "CRC with three-byte"');
});

t.test('payloads published with their inputs are reproduced byte for byte', async (t) => {
  const published = [
    { source: 'vietqr.io API docs, POST /v2/generate sample response (vietqr.io/danh-sach-api/link-tao-ma-nhanh/api-tao-ma-qr/)', bin: '970415', account: '113366668888', amount: 79000n, purpose: 'Ung Ho Quy Vac Xin',
      payload: '00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA53037045405790005802VN62220818Ung Ho Quy Vac Xin63043ACF' },
    { source: 'github.com/xuannghia/vietnam-qr-pay test/test-quick-gen-qr.spec.ts "VietQR Static"', bin: '970416', account: '257678859',
      payload: '00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F' },
    { source: 'github.com/xuannghia/vietnam-qr-pay test/test-quick-gen-qr.spec.ts "VietQR Dynamic"', bin: '970416', account: '257678859', amount: 10000n, purpose: 'Chuyen tien',
      payload: '00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811Chuyen tien630453E6' },
    { source: 'github.com/xuannghia/vietnam-qr-pay README.md, build()', bin: '970416', account: '257678859', amount: 999999n, purpose: 'Cam on nhe',
      payload: '00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA530370454069999995802VN62140810Cam on nhe6304E786' },
    { source: 'github.com/subiz/vietqr vietqr_test.go TestQR', bin: '970422', account: '0023457923442', amount: 40123n, purpose: 'test text string',
      payload: '00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN62200816test text string6304D9C6' },
    { source: 'github.com/subiz/vietqr README.md and vietqr_test.go', bin: '970423', account: '0099999999',
      payload: '00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4' },
    { source: `${NAPAS} §6.1.1 (static to an account; the account length as corrected in github.com/binhnguyenduc/vietqr-ts)`, bin: '970403', account: '0011012345678',
      payload: '00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F' },
  ];
  for (const p of published) {
    t.equal(vietQrPayload({ bin: p.bin, accountNumber: p.account, amount: p.amount, purpose: p.purpose }), p.payload, p.source);
  }
});

t.test('published payloads with fields we do not write still read back with a valid CRC', async (t) => {
  // NAPAS §6.1.3: a dynamic code to an account with a bill number (62-01) before the purpose.
  const napas = readVietQr('00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E');
  t.ok(napas, `${NAPAS} §6.1.3`);
  t.equal(napas?.get('54'), '180000');
  t.equal(napas?.get('62'), '0107NPS68690819thanh toan don hang');
  // A real MB Bank app code prints its CRC in lower case.
  t.ok(readVietQr('00020101021138540010A00000072701240006970422011003523509170208QRIBFTTA53037045802VN630479db'), 'xuannghia/vietnam-qr-pay "MBBank QR with lowercase CRC"');
  t.equal(readVietQr('00020101021138540010A00000072701240006970422011003523509170208QRIBFTTA53037045802VN630479dc'), null, 'one changed CRC digit is refused');
  t.equal(readVietQr('00020101021138540010A00000072701240006970422011003523509170208QRIBFTTB53037045802VN630479db'), null, 'one changed character is refused');
});

t.test('what a payload may not carry is named by field', async (t) => {
  t.same(vietQrProblem({ bin: '97043', accountNumber: '1' }), { field: 'bin', message: 'a bank BIN is 6 digits (e.g. 970436 for Vietcombank)' });
  t.equal(vietQrProblem({ bin: '970436', accountNumber: '12345678901234567890' })?.field, 'accountNumber');
  t.equal(vietQrProblem({ bin: '970436', accountNumber: '1', amount: 0n })?.field, 'amount');
  t.equal(vietQrProblem({ bin: '970436', accountNumber: '1', amount: 10_000_000_000_000n })?.field, 'amount');
  t.equal(vietQrProblem({ bin: '970436', accountNumber: '1', purpose: 'chuyển khoản' })?.field, 'purpose');
  t.equal(vietQrProblem({ bin: '970436', accountNumber: '1', purpose: 'x'.repeat(26) })?.field, 'purpose');
  t.equal(vietQrProblem({ bin: '970436', accountNumber: '1', amount: 1n, purpose: 'x'.repeat(25) }), null);
});

t.test('the bank table: unique BINs, the big banks where NAPAS put them', async (t) => {
  t.equal(new Set(BANKS.map((b) => b.bin)).size, BANKS.length);
  t.equal(bankOf('970436')?.shortName, 'Vietcombank');
  t.equal(bankOf('970418')?.code, 'BIDV');
  t.equal(bankOf('970405')?.shortName, 'Agribank');
  t.equal(bankOf('970422')?.code, 'MB');
  t.equal(bankOf('000000'), undefined);
});
