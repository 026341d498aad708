/** Numbers, windows, receipts and templates: the small rules, without a database. */
import t from 'tap';
import { normalisePhone } from '../phone.js';
import { insideWindow, nextOpening } from '../quiet.js';
import { readReceipt } from '../providers/smpp.js';
import { checkBodyTemplate, fillBody } from '../providers/http.js';
import { esmsReport } from '../providers/esms.js';
import { formatMoney } from '../compose.js';

t.test('phone numbers as clerks write them', async (t) => {
  for (const [written, e164] of [['0912 345 678', '+84912345678'], ['+84 912 345 678', '+84912345678'], ['84912345678', '+84912345678'], ['(+84) 0912-345-678', '+84912345678'], ['0388 123 456', '+84388123456'], ['+65 9123 4567', '+6591234567']] as const) {
    t.match(normalisePhone(written), { ok: true, e164 }, `${written} → ${e164}`);
  }
  t.match(normalisePhone('024 3825 3535'), { ok: false, reason: /landline/ });
  t.match(normalisePhone(''), { ok: false, reason: 'no phone number' });
  t.match(normalisePhone('0912'), { ok: false, reason: /not a valid phone number/ });
  t.match(normalisePhone('9'.repeat(200)), { ok: false, reason: /longer than any number/ });
});

t.test('quiet hours in the tenant\'s time zone, also across midnight', async (t) => {
  const w = { from: '08:00', to: '20:00' };
  const at = (iso: string) => new Date(iso);
  t.equal(insideWindow(at('2026-12-06T01:00:00Z'), 'Asia/Ho_Chi_Minh', w), true, '08:00 in Hanoi');
  t.equal(insideWindow(at('2026-12-06T00:59:00Z'), 'Asia/Ho_Chi_Minh', w), false, '07:59');
  t.equal(insideWindow(at('2026-12-06T13:00:00Z'), 'Asia/Ho_Chi_Minh', w), false, '20:00 is closed');
  t.equal(nextOpening(at('2026-12-06T14:30:00Z'), 'Asia/Ho_Chi_Minh', w).toISOString(), '2026-12-07T01:00:00.000Z', '21:30 waits for 08:00 the next morning');
  t.equal(nextOpening(at('2026-12-06T05:00:00Z'), 'Asia/Ho_Chi_Minh', w).toISOString(), '2026-12-06T05:00:00.000Z', 'inside: now');
  const night = { from: '21:00', to: '06:00' };
  t.equal(insideWindow(at('2026-12-06T16:00:00Z'), 'Asia/Ho_Chi_Minh', night), true, '23:00 inside a window across midnight');
  t.equal(nextOpening(at('2026-12-06T03:00:00Z'), 'Asia/Ho_Chi_Minh', night).toISOString(), '2026-12-06T14:00:00.000Z', '10:00 waits for 21:00');
  t.equal(insideWindow(at('2026-12-06T03:00:00Z'), 'Asia/Riyadh', { from: '00:00', to: '00:00' }), true, 'the same time twice: no quiet hours');
});

t.test('SMPP receipts: the Appendix B text and the TLVs', async (t) => {
  t.match(readReceipt('id:m0001 sub:001 dlvrd:001 submit date:2612060900 done date:2612060901 stat:DELIVRD err:000 text:Kinh gui'), { providerId: 'm0001', state: 'delivered' });
  t.match(readReceipt('id:m0002 sub:001 dlvrd:000 submit date:2612060900 done date:2612061200 stat:EXPIRED err:000 text:'), { providerId: 'm0002', state: 'expired' });
  t.match(readReceipt('id:x stat:UNDELIV err:005', 'm0003'), { providerId: 'm0003', state: 'failed', message: /SMSC error 005/ }, 'receipted_message_id wins');
  t.match(readReceipt('', 'm0004', 2), { providerId: 'm0004', state: 'delivered' }, 'message_state alone');
  t.equal(readReceipt('id:m0005 stat:ENROUTE err:000'), null, 'on the way: not an end');
  t.equal(readReceipt('nothing here'), null);
});

t.test('a generic gateway\'s body: values filled inside JSON strings only', async (t) => {
  const body = fillBody({ to: '{{to}}', sms: { text: 'Nội dung: {{text}}', ref: '{{id}}' }, n: 3 }, { to: '+84912345678', text: 'a "quoted" \\ text', id: 'x1', encoding: 'gsm7', parts: '1', callbackUrl: '' });
  t.same(body, { to: '+84912345678', sms: { text: 'Nội dung: a "quoted" \\ text', ref: 'x1' }, n: 3 });
  t.equal(checkBodyTemplate('{"to":"{{to}}","text":"{{text}}"}'), null);
  t.match(checkBodyTemplate('{"to":'), /not JSON/);
  t.match(checkBodyTemplate('"{{to}} {{text}}"'), /JSON object/);
});

t.test('eSMS reports: finished is delivered or not by its counts', async (t) => {
  t.match(esmsReport({ SMSID: 'a', SendStatus: '5', SendSuccess: '1', SendFailed: '0' }), { state: 'delivered' });
  t.match(esmsReport({ SMSID: 'a', SendStatus: '5', SendSuccess: '0', SendFailed: '1' }), { state: 'failed' });
  t.match(esmsReport({ SMSID: 'a', SendStatus: '4' }), { state: 'failed', code: 'esms_rejected' });
  t.equal(esmsReport({ SMSID: 'a', SendStatus: '2' }), null);
  t.equal(esmsReport({ SendStatus: '5' }), null);
});

t.test('amounts carry the currency code, formatted for the language', async (t) => {
  t.equal(formatMoney(12_500_000n, 'VND', 'vi'), '12.500.000 VND');
  t.equal(formatMoney(12_500_000n, 'VND', 'en'), '12,500,000 VND');
  t.equal(formatMoney(123_456n, 'USD', 'vi'), '1.234,56 USD');
  t.equal(formatMoney(12_500_000n, 'VND', 'zh'), '12,500,000 VND');
});
