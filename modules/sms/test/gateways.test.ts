/** eSMS, SpeedSMS, a generic gateway and Zalo ZNS on 127.0.0.1: the requests as their documentation wants them, their answers and reports. */
import t from 'tap';
import { createHash } from 'node:crypto';
import { withTenant } from '../../../core/db/kysely.js';
import { actions, customer, drain, dueLevelBy, messages, ok, owes, run, smsApp } from './helpers.js';
import { startGateways } from './gateways.js';

const DUE = '2026-11-20';
const PUBLIC = 'https://congno.example.vn';

async function callbackPath(h: Awaited<ReturnType<typeof smsApp>>, provider: string): Promise<string> {
  const { token } = await h.tokenFor('accountant');
  const urls = ok<Record<string, string>>(await h.request('GET', '/api/sms/callbacks', undefined, { token }));
  t.ok(urls[provider].startsWith(`${PUBLIC}/api/sms/callbacks/${provider}/`), `${provider} callback under the public URL`);
  return urls[provider].slice(PUBLIC.length);
}

t.test('eSMS: a customer-care brandname message per reminder, our id as RequestId, its report by GET', async (t) => {
  const gw = await startGateways();
  t.teardown(() => gw.close());
  const h = await smsApp(t, { provider: 'esms', esms: { url: `${gw.url}/esms`, apiKey: 'esms-key', secretKey: 'esms-secret', brandname: 'ACME' } }, { config: { publicUrl: PUBLIC } });
  await dueLevelBy(h, ['sms']);
  await customer(h, 'KH1', { phone: '+84 912 345 678' });
  await owes(h, 'KH1', '2000000', DUE);
  await run(h, DUE);
  await drain(h);
  t.equal(gw.calls.length, 1);
  const [m] = await messages(h);
  const path = await callbackPath(h, 'esms');
  t.match(gw.calls[0].body, {
    ApiKey: 'esms-key', SecretKey: 'esms-secret', Phone: '0912345678', Brandname: 'ACME', SmsType: '2', IsUnicode: '1', Sandbox: '0',
    RequestId: m.id, CallbackUrl: `${PUBLIC}${path}`, Content: m.text,
  }, 'the documented fields, every one a string');
  t.match(m, { state: 'submitted', providerId: /^esms-\d+$/, provider: 'esms' });

  const report = await h.request('GET', `${path}?SMSID=${m.providerId}&SendStatus=5&SendSuccess=1&SendFailed=0&TotalReceiver=1&phonenumber=0912345678`, undefined, { token: null });
  t.equal(report.statusCode, 200, report.body);
  t.same(report.json(), { received: 1, applied: 1 });
  t.match((await messages(h))[0], { state: 'delivered', result: 'delivered to 0912345678' });
  const again = ok(await h.request('GET', `${path}?SMSID=${m.providerId}&SendStatus=5&SendSuccess=1&SendFailed=0`, undefined, { token: null }));
  t.same(again, { received: 1, applied: 0 }, 'the same report twice changes nothing');
  t.equal((await h.request('GET', `${path.slice(0, -3)}abc?SMSID=${m.providerId}&SendStatus=5`, undefined, { token: null })).statusCode, 404, 'a forged secret finds nothing');
  t.equal((await h.request('GET', `/api/sms/callbacks/esms/not-a-token?SMSID=1`, undefined, { token: null })).statusCode, 404);
  const { token: accountant } = await h.tokenFor('accountant');
  const rotated = ok<Record<string, string>>(await h.request('POST', '/api/sms/callbacks/rotate', undefined, { token: accountant }));
  t.not(rotated.esms, `${PUBLIC}${path}`, 'new addresses');
  t.equal((await h.request('GET', `${path}?SMSID=${m.providerId}&SendStatus=5`, undefined, { token: null })).statusCode, 404, 'the old address answers 404');
  t.same(ok(await h.request('GET', `${rotated.esms.slice(PUBLIC.length)}?SMSID=${m.providerId}&SendStatus=5&SendSuccess=1&SendFailed=0`, undefined, { token: null })), { received: 1, applied: 0 }, 'the new one works');
});

t.test('eSMS: a refused text fails with eSMS\'s reason; a low balance waits and goes after the top-up', async (t) => {
  const gw = await startGateways();
  t.teardown(() => gw.close());
  const h = await smsApp(t, { provider: 'esms', unaccented: true, esms: { url: `${gw.url}/esms`, apiKey: 'esms-key', secretKey: 'esms-secret', brandname: 'ACME' } });
  await dueLevelBy(h, ['sms']);
  await customer(h, 'KH1', { phone: '0912000001' });
  await customer(h, 'KH2', { phone: '0912000002' });
  await owes(h, 'KH1', '100000', DUE);
  await owes(h, 'KH2', '200000', DUE);
  gw.answer('/esms/SendMultipleMessage_V4_post_json/', { body: { CodeResult: '146', ErrorMessage: 'Template not registered' } }, { body: { CodeResult: '103', ErrorMessage: 'Balance not enough' } });
  await run(h, DUE);
  await drain(h);
  const [second, first] = await messages(h);
  t.match(first, { state: 'failed', result: /not sent: the text does not match a registered customer-care template \(eSMS code 146: Template not registered\)/ });
  t.match(second, { state: 'queued', result: /the account balance is too low \(eSMS code 103/ });
  t.match((await actions(h, 'sms')).find((a) => a.partner.ref === 'KH1' || a.partnerRef === 'KH1') ?? (await actions(h, 'sms'))[0], { state: /failed|pending/ });
  // Topped up; a minute later the clock's round sends it.
  await withTenant(h.db, h.tenant.id, (trx) => trx.updateTable('sms_message').set({ not_before: new Date(Date.now() - 1000) }).where('tenant_id', '=', h.tenant.id).execute());
  await withTenant(h.db, h.tenant.id, (trx) => h.app.congno.bus.emit(trx, h.tenant.id, 'sms.clock_ticked', { job: 'sms/clock', period: new Date().toISOString(), date: DUE }, 'sms'));
  await drain(h);
  t.match((await messages(h))[0], { state: 'submitted' });
  t.equal(gw.calls.length, 3, 'the refused one was not offered again');
});

t.test('SpeedSMS: Basic auth, brandname type 3; reports and a STOP reply through its webhook', async (t) => {
  const gw = await startGateways();
  t.teardown(() => gw.close());
  const h = await smsApp(t, { provider: 'speedsms', unaccented: true, speedsms: { url: `${gw.url}/speedsms`, accessToken: 'speed-token', sender: 'ACME' } }, { config: { publicUrl: PUBLIC } });
  await dueLevelBy(h, ['sms']);
  await customer(h, 'KH1', { phone: '0912000001' });
  await customer(h, 'KH2', { phone: '0912000002' });
  await owes(h, 'KH1', '100000', DUE);
  await owes(h, 'KH2', '200000', DUE);
  await run(h, DUE);
  await drain(h);
  t.equal(gw.calls.length, 2);
  t.match(gw.calls[0].body, { to: [/^8491200000[12]$/], sms_type: 3, sender: 'ACME' });
  t.equal(gw.calls[0].headers.authorization, `Basic ${Buffer.from('speed-token:x').toString('base64')}`);
  const path = await callbackPath(h, 'speedsms');
  const sent = await messages(h);
  const [a, b] = sent.map((m) => m.providerId);
  t.same(ok(await h.request('POST', path, { type: 'report', tranId: Number(a), phone: '84912000001', status: 0 }, { token: null })), { received: 1, applied: 1 });
  t.same(ok(await h.request('POST', path, { type: 'report', tranId: Number(b), phone: '84912000002', status: 5 }, { token: null })), { received: 0, applied: 0 }, 'still trying: not an end');
  t.same(ok(await h.request('POST', path, { type: 'report', tranId: Number(b), phone: '84912000002', status: 64 }, { token: null })), { received: 1, applied: 1 });
  const states = Object.fromEntries((await messages(h)).map((m) => [m.providerId, m.state]));
  t.same(states, { [a]: 'delivered', [b]: 'failed' });
  t.same(ok(await h.request('POST', path, { type: 'sms', phone: '84912000001', content: 'stop' }, { token: null })), { received: 1, applied: 1 });
  t.match(ok<any>(await h.request('GET', '/api/sms/opt-outs')).items, [{ phone: '+84912000001', source: 'stop' }]);
  const bad = await h.request('POST', path, 'not json', { token: null, headers: { 'content-type': 'application/json' } });
  t.equal(bad.statusCode, 400, 'a body that is not JSON is a 400, not a 500');
});

t.test('Zalo ZNS: the template with the reminder\'s data, our id as tracking id; no Zalo account → the same reminder by SMS, once', async (t) => {
  const gw = await startGateways();
  t.teardown(() => gw.close());
  const h = await smsApp(t, {
    provider: 'http', unaccented: true,
    http: { url: `${gw.url}/http/send`, secretHeaders: { Authorization: 'Bearer gw-secret' }, body: '{"to":"{{to}}","message":"{{text}}","ref":"{{id}}"}', idField: 'data.id' },
    zalo: { url: `${gw.url}/zalo`, accessToken: 'zalo-token', templates: { due: '223344' }, oaSecretKey: 'oa-secret', appId: 'app-1' },
  }, { config: { publicUrl: PUBLIC } });
  const level = await dueLevelBy(h, ['zalo']);
  t.same(level.fallback, { zalo: 'sms' }, 'a zalo level without sms falls back to SMS by default');
  await customer(h, 'ZALO', { phone: '0912000001' });
  await customer(h, 'NOZALO', { phone: '0912000008' });
  const inv = await owes(h, 'ZALO', '4500000', DUE);
  await owes(h, 'NOZALO', '700000', DUE);
  await run(h, DUE);
  await drain(h);
  const zaloCalls = gw.calls.filter((c) => c.path === '/zalo/message/template');
  t.equal(zaloCalls.length, 2);
  const toZalo = zaloCalls.find((c) => c.body.phone === '84912000001')!;
  t.equal(toZalo.headers.access_token, 'zalo-token');
  t.match(toZalo.body, { template_id: '223344', template_data: { customer_name: 'Công ty ZALO', amount: '4.500.000 VND', due_date: '20/11/2026', payment_reference: inv.paymentReference } });
  const smsCalls = gw.calls.filter((c) => c.path === '/http/send');
  t.equal(smsCalls.length, 1, 'one SMS: for the number without Zalo');
  t.match(smsCalls[0], { headers: { authorization: 'Bearer gw-secret' }, body: { to: '+84912000008', message: /^ACME Trading Co\., Ltd: Kinh gui Cong ty NOZALO/ } });
  const all = await messages(h);
  const zns = all.find((m) => m.channel === 'zalo' && m.phone === '+84912000001');
  t.equal(toZalo.body.tracking_id, zns.id);
  const failedZalo = all.find((m) => m.channel === 'zalo' && m.phone === '+84912000008');
  t.match(failedZalo, { state: 'failed', result: /the phone number has no Zalo account \(Zalo error -118/ });
  t.match(all.find((m) => m.channel === 'sms'), { state: 'submitted', fallbackOf: failedZalo.id, providerId: /^gw-/ });
  const zaloActions = await actions(h, 'zalo');
  t.equal(zaloActions.length, 2);

  // Zalo's "received" event, signed as Zalo signs it.
  const path = await callbackPath(h, 'zalo');
  const body = JSON.stringify({ app_id: 'app-1', event_name: 'user_received_message', timestamp: '1764990000000', message: { msg_id: zns.providerId, tracking_id: zns.id, delivery_time: '1764990000500' } });
  const mac = createHash('sha256').update(`app-1${body}1764990000000oa-secret`).digest('hex');
  const forged = await h.request('POST', path, body, { token: null, headers: { 'content-type': 'application/json', 'x-zevent-signature': `mac=${'0'.repeat(64)}` } });
  t.equal(forged.statusCode, 401, 'a wrong signature is refused');
  const received = await h.request('POST', path, body, { token: null, headers: { 'content-type': 'application/json', 'x-zevent-signature': `mac=${mac}` } });
  t.same(received.json(), { received: 1, applied: 1 });
  t.match((await messages(h)).find((m) => m.id === zns.id), { state: 'delivered', doneAt: new Date(1764990000500).toISOString() });

  // Run and deliver again: nothing more goes.
  await run(h, DUE);
  await drain(h);
  t.equal(gw.calls.length, 3, 'nothing sent twice');
});

t.test('a report that comes before the hand-over is on record waits for it; secrets of a gateway stay hidden', async (t) => {
  const gw = await startGateways();
  t.teardown(() => gw.close());
  const h = await smsApp(t, {
    provider: 'http', unaccented: true,
    http: { url: `${gw.url}/http/send`, secretHeaders: { Authorization: 'Bearer gw-secret' }, body: '{"to":"{{to}}","text":"{{text}}"}', idField: 'data.id' },
  }, { config: { publicUrl: PUBLIC } });
  const shown = ok<any>(await h.request('GET', `/api/admin/tenants/${h.tenant.slug}/modules/sms`, undefined, { token: h.adminToken }));
  t.same(shown.settings.http.secretHeaders, { Authorization: '***' }, 'a secret header is masked');
  await dueLevelBy(h, ['sms']);
  await customer(h, 'FAST', { phone: '0912000001' });
  await owes(h, 'FAST', '100000', DUE);
  const path = await callbackPath(h, 'http');
  // The gateway's report overtakes its own answer.
  const early = ok(await h.request('POST', path, { id: 'gw-early', status: 'delivered' }, { token: null }));
  t.same(early, { received: 1, applied: 0 }, 'parked: no message has that id yet');
  gw.answer('/http/send', { status: 202, body: { data: { id: 'gw-early' } } });
  await run(h, DUE);
  await drain(h);
  t.match(await messages(h), [{ providerId: 'gw-early', state: 'delivered' }], 'applied once the hand-over was on record');
  t.same(ok(await h.request('POST', path, { id: 'gw-early', status: 'delivered' }, { token: null })), { received: 1, applied: 0 }, 'and not twice');
  // Zalo's callback: a body that is not an object, and no key to check its signature with.
  const zaloPath = path.replace('/http/', '/zalo/');
  t.equal((await h.request('POST', zaloPath, 'null', { token: null, headers: { 'content-type': 'application/json' } })).statusCode, 400);
  const unsigned = await h.request('POST', zaloPath, { event_name: 'user_received_message', message: { msg_id: 'x' } }, { token: null });
  t.equal(unsigned.statusCode, 401, 'unsigned Zalo events are refused');
  t.match(unsigned.json().detail, /zalo\.oaSecretKey/);
});

t.test('Zalo not received within the setting\'s minutes: expired, then the SMS', async (t) => {
  const gw = await startGateways();
  t.teardown(() => gw.close());
  const h = await smsApp(t, {
    provider: 'http', unaccented: true, http: { url: `${gw.url}/http/send`, body: '{"to":"{{to}}","text":"{{text}}"}', idField: 'data.id' },
    zalo: { url: `${gw.url}/zalo`, accessToken: 'zalo-token', templates: { due: '223344' }, deliveryMinutes: 30 },
  });
  await dueLevelBy(h, ['zalo'], { zalo: 'sms' });
  await customer(h, 'LATE', { phone: '0912000001' });
  await customer(h, 'PAID', { phone: '0912000002' });
  await owes(h, 'LATE', '100000', DUE);
  await owes(h, 'PAID', '300000', DUE);
  await run(h, DUE);
  await drain(h);
  t.match(await messages(h), [{ channel: 'zalo', state: 'submitted' }, { channel: 'zalo', state: 'submitted' }]);
  // PAID pays after its Zalo message went: no SMS will ask for it.
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'PAID', date: DUE, amount: '300000' }));
  const tick = () => withTenant(h.db, h.tenant.id, (trx) => h.app.congno.bus.emit(trx, h.tenant.id, 'sms.clock_ticked', { job: 'sms/clock', period: new Date().toISOString(), date: DUE }, 'sms'));
  await tick();
  await drain(h);
  t.equal((await messages(h)).length, 2, 'within the 30 minutes: no SMS yet');
  // 31 minutes on.
  await withTenant(h.db, h.tenant.id, (trx) => trx.updateTable('sms_message').set({ submitted_at: new Date(Date.now() - 31 * 60_000) }).where('tenant_id', '=', h.tenant.id).execute());
  await tick();
  await drain(h);
  const all = await messages(h);
  const zns = all.find((m) => m.channel === 'zalo' && m.partner.ref === 'LATE');
  t.match(zns, { state: 'expired', result: 'not received on Zalo within 30 minutes' });
  t.match(all.filter((m) => m.channel === 'sms'), [{ partner: { ref: 'LATE' }, state: 'submitted', fallbackOf: zns.id }], 'one SMS: for the customer who still owes');
  const byRef = Object.fromEntries((await actions(h, 'zalo')).map((a: any) => [a.partner.ref, a]));
  t.match(byRef.LATE, { state: 'sent', result: /instead of the Zalo message/ });
  t.match(byRef.PAID, { state: 'cancelled', result: /not sent by SMS either: nothing to remind/ });
});
