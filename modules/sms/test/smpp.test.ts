/** Reminders through SMPP to an SMSC on 127.0.0.1: what arrives, how it is cut, and what the receipts make of it. */
import t from 'tap';
type Tap = { teardown(fn: () => unknown): void };
import smpp from 'smpp';
import { actions, customer, drain, dueLevelBy, messages, ok, owes, run, setSms, smsApp, until } from './helpers.js';
import { startSmsc } from './smsc.js';
import { withTenant } from '../../../core/db/kysely.js';

const DUE = '2026-11-20';

async function setup(t: Tap, extra: Record<string, unknown> = {}) {
  const smsc = await startSmsc({ systemId: 'congno', password: 'secret1' });
  t.teardown(() => smsc.close());
  const h = await smsApp(t, { provider: 'smpp', smpp: { host: '127.0.0.1', port: smsc.port, systemId: 'congno', password: 'secret1', sourceAddr: 'ACME' }, hotline: '1900 6868', ...extra });
  await dueLevelBy(h, ['sms']);
  return { h, smsc };
}

t.test('a Vietnamese reminder goes as UCS-2 in concatenated parts, once, and its receipts make it delivered', async (t) => {
  const { h, smsc } = await setup(t);
  await customer(h, 'MINHPHAT', { phone: '0912 345 678' });
  const invoice = await owes(h, 'MINHPHAT', '12500000', DUE);
  const preview = ok<any>(await h.request('GET', `/api/sms/partners/MINHPHAT/preview?date=${DUE}`));
  t.match(preview, { channel: 'sms', phone: '+84912345678', encoding: 'ucs2', parts: 3, perPart: 67, lang: 'vi', warnings: [] }, 'the preview counts it before it goes');
  t.equal((await h.request('GET', '/api/sms/partners/MINHPHAT/preview?date=2026-13-01')).statusCode, 400, 'a date that is not one');
  t.equal((await h.request('GET', `/api/sms/partners/NOBODY/preview?date=${DUE}`)).statusCode, 404);
  const r = await run(h, DUE);
  t.same(r.actions[0].channels, ['sms']);
  await drain(h);

  t.equal(smsc.received.length, 3, 'three parts reached the SMSC (151 UCS-2 characters, 67 a part)');
  for (const part of smsc.received) {
    t.equal(part.to, '84912345678', 'to the number in international form');
    t.equal(part.from, 'ACME');
    t.equal(part.dataCoding, 8, 'UCS-2: the text has Vietnamese diacritics');
    t.equal(part.esmClass & 0x40, 0x40, 'UDH indicator set');
    t.equal(part.pdu.registered_delivery, 1, 'a delivery receipt is asked for');
  }
  t.same(smsc.received.map((p) => [p.concat!.total, p.concat!.index]), [[3, 1], [3, 2], [3, 3]], 'the concatenation header numbers the parts');
  t.equal(new Set(smsc.received.map((p) => p.concat!.ref)).size, 1, 'every part carries the same reference');
  t.equal(smsc.received[0].text.length, 67, 'a full part holds 67 UCS-2 characters');
  const [shown] = smsc.messages();
  t.equal(shown.text, `ACME Trading Co., Ltd: Kính gửi Công ty MINHPHAT, khoản 12.500.000 VND đến hạn thanh toán hôm nay (20/11/2026). Nội dung chuyển khoản: ${invoice.paymentReference}. Hotline 1900 6868.`, 'the phone shows the whole reminder');

  const [m] = await messages(h);
  t.match(m, { channel: 'sms', phone: '+84912345678', encoding: 'ucs2', parts: 3, state: 'submitted', provider: 'smpp', providerId: smsc.received.map((p) => p.messageId).join(' '), partner: { ref: 'MINHPHAT' } });
  t.equal(m.text, shown.text, 'the list shows the text as the phone does');
  t.equal(preview.text, shown.text, 'the preview said what the phone shows');
  t.match((await actions(h, 'sms'))[0], { state: 'sent', recipient: '+84912345678' });

  // The run again, and the outbox delivering again: nothing more goes.
  await run(h, DUE);
  await drain(h);
  t.equal(smsc.received.length, 3, 'sent once');

  t.equal(await smsc.receipt(smsc.received[0].messageId, 'DELIVRD'), 0, 'the receipt is answered once it is on record');
  t.equal(await smsc.receipt(smsc.received[1].messageId, 'DELIVRD'), 0);
  t.equal((await messages(h))[0].state, 'submitted', 'two parts of three delivered: still waiting');
  t.equal(await smsc.receipt(smsc.received[2].messageId, 'DELIVRD'), 0);
  const done = await until('delivered', () => messages(h), (ms) => ms[0].state === 'delivered');
  t.match(done[0], { state: 'delivered', result: 'delivered to the phone' });
  t.equal(await smsc.receipt(smsc.received[2].messageId, 'DELIVRD'), 0, 'the same receipt again is answered too');
  t.equal((await messages(h))[0].state, 'delivered', 'and changes nothing');
  const [action] = await actions(h, 'sms');
  t.match(action, { state: 'sent' });
  t.match(action.result, /delivered to \+84912345678/);
  const timeline = ok(await h.request('GET', '/api/follow-up/partners/MINHPHAT/timeline'));
  t.match(JSON.stringify(timeline), /delivered to \+84912345678/, 'the partner\'s timeline shows the SMS delivered');
});

t.test('written without diacritics it fits GSM-7: one part, data coding 0', async (t) => {
  const { h, smsc } = await setup(t, { unaccented: true, hotline: '' });
  await customer(h, 'SAIGON', { phone: '+84 90 123 4567' });
  await owes(h, 'SAIGON', '3200000', DUE);
  await run(h, DUE);
  await drain(h);
  t.equal(smsc.received.length, 1);
  t.equal(smsc.received[0].dataCoding, 0, 'GSM 03.38');
  t.equal(smsc.received[0].concat, null, 'no header: one part');
  t.match(smsc.received[0].text, /^ACME Trading Co\., Ltd: Kinh gui Cong ty SAIGON, khoan 3\.200\.000 VND den han thanh toan hom nay \(20\/11\/2026\)\. Noi dung chuyen khoan: /);
  t.match((await messages(h))[0], { encoding: 'gsm7', parts: 1 });
});

t.test('a receipt that says undeliverable fails the reminder with the network\'s reason', async (t) => {
  const { h, smsc } = await setup(t, { unaccented: true, hotline: '' });
  await customer(h, 'HANOI', { phone: '0987654321' });
  await owes(h, 'HANOI', '1000000', DUE);
  await run(h, DUE);
  await drain(h);
  await smsc.receipt(smsc.received[0].messageId, 'UNDELIV', '005');
  const [m] = await until('failed', () => messages(h), (ms) => ms[0].state === 'failed');
  t.match(m.result, /not delivered: undeliverable \(SMSC error 005\)/);
  t.match((await actions(h, 'sms'))[0], { state: 'failed' });
});

t.test('a throttling SMSC slows the sender down; nothing fails', async (t) => {
  const { h, smsc } = await setup(t, { unaccented: true, hotline: '' });
  for (const ref of ['A1', 'A2', 'A3']) {
    await customer(h, ref, { phone: `09120000${ref.slice(1)}1` });
    await owes(h, ref, '500000', DUE);
  }
  smsc.refuseNext(4, smpp.errors.ESME_RTHROTTLED);
  await run(h, DUE);
  await drain(h);
  t.equal(smsc.received.length, 3, 'every message went once');
  t.same((await messages(h)).map((m) => m.state), ['submitted', 'submitted', 'submitted']);
});

t.test('a wrong password keeps the messages queued with the reason; they go once it is corrected', async (t) => {
  const smsc = await startSmsc({ systemId: 'congno', password: 'secret1' });
  t.teardown(() => smsc.close());
  const h = await smsApp(t, { provider: 'smpp', smpp: { host: '127.0.0.1', port: smsc.port, systemId: 'congno', password: 'wrong', sourceAddr: 'ACME' }, unaccented: true });
  await dueLevelBy(h, ['sms']);
  await customer(h, 'KH1', { phone: '0912000001' });
  await owes(h, 'KH1', '500000', DUE);
  await run(h, DUE);
  await drain(h);
  t.equal(smsc.received.length, 0);
  const [m] = await messages(h);
  t.equal(m.state, 'queued');
  t.match(m.result, /refused the login/);
  await setSms(h, { smpp: { host: '127.0.0.1', port: smsc.port, systemId: 'congno', password: 'secret1', sourceAddr: 'ACME' } });
  t.ok(Date.parse((await messages(h))[0].notBefore) > Date.now() + 50_000, 'it waits a minute before it is offered again');
  await withTenant(h.db, h.tenant.id, (trx) => trx.updateTable('sms_message').set({ not_before: new Date(Date.now() - 1000) }).where('tenant_id', '=', h.tenant.id).execute());
  ok(await h.request('POST', '/api/sms/messages', { partner: 'KH1', text: 'Xin chao', force: true }));
  await drain(h);
  t.equal(smsc.received.length, 2, 'the queued reminder and the new message both went');
});

t.test('a STOP reply opts the number out; the next reminder is not sent and says why', async (t) => {
  const { h, smsc } = await setup(t, { unaccented: true, hotline: '' });
  await customer(h, 'STOPME', { phone: '0912 111 222' });
  await owes(h, 'STOPME', '500000', DUE);
  await run(h, DUE);
  await drain(h);
  t.equal(await smsc.reply('84912111222', 'ACME', 'STOP'), 0);
  const outs = await until('opted out', async () => ok<any>(await h.request('GET', '/api/sms/opt-outs')).items, (items) => items.length === 1);
  t.match(outs[0], { phone: '+84912111222', source: 'stop' });
  const refused = await h.request('POST', '/api/sms/messages', { partner: 'STOPME', text: 'Xin chao', force: true });
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), { type: /opted-out/, detail: /replied STOP/ });
});
