/** What stops or delays a message: quiet hours, the number, the cap of parts, an opt-out; a clerk's own message; bad input. */
import t from 'tap';
import { actions, customer, drain, dueLevelBy, messages, ok, owes, run, setSms, smsApp } from './helpers.js';
import { startSmsc } from './smsc.js';

const DUE = '2026-11-20';

async function setup(t: { teardown(fn: () => unknown): void }, extra: Record<string, unknown> = {}) {
  const smsc = await startSmsc();
  t.teardown(() => smsc.close());
  const h = await smsApp(t, { provider: 'smpp', smpp: { host: '127.0.0.1', port: smsc.port, systemId: 'congno', password: 'pw', sourceAddr: '8088' }, pricePerPart: '850', ...extra });
  await dueLevelBy(h, ['sms']);
  return { h, smsc };
}

/** "HH:MM" in Ho Chi Minh City, `minutes` from now. */
function vnClock(minutes: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(Date.now() + minutes * 60_000));
}

t.test('quiet hours: outside the window the reminder waits for its opening, it is not dropped', async (t) => {
  const { h, smsc } = await setup(t);
  // A window that opens two hours from now and lasts an hour: now is quiet.
  await setSms(h, { quietHours: { from: vnClock(120), to: vnClock(180) } });
  await customer(h, 'NIGHT', { phone: '0912000001' });
  await owes(h, 'NIGHT', '100000', DUE);
  await run(h, DUE);
  await drain(h);
  t.equal(smsc.received.length, 0, 'nothing sent in quiet hours');
  const [m] = await messages(h);
  t.equal(m.state, 'queued');
  const wait = Date.parse(m.notBefore) - Date.now();
  t.ok(wait > 118 * 60_000 && wait <= 120 * 60_000, `waits for the opening, about two hours (${Math.round(wait / 60_000)} min)`);
  const [a] = await actions(h, 'sms');
  t.match(a, { state: 'pending' });
  t.match(a.result, /waits for the sending window: goes at/);
  // The window opens (a clerk widens it): the clock's round sends it.
  await setSms(h, { quietHours: { from: '00:00', to: '00:00' } });
  const { withTenant } = await import('../../../core/db/kysely.js');
  await withTenant(h.db, h.tenant.id, (trx) => trx.updateTable('sms_message').set({ not_before: new Date() }).where('tenant_id', '=', h.tenant.id).execute());
  await withTenant(h.db, h.tenant.id, (trx) => h.app.congno.bus.emit(trx, h.tenant.id, 'sms.clock_ticked', { job: 'sms/clock', period: new Date().toISOString(), date: DUE }, 'sms'));
  await drain(h);
  t.match(await messages(h), [{ state: 'submitted' }], 'sent when the window came');
  t.equal(smsc.received.length, 3, 'its three parts');
});

t.test('a number that cannot take an SMS is missing contact data, in words', async (t) => {
  const { h, smsc } = await setup(t);
  await customer(h, 'LANDLINE', { phone: '024 3825 3535' });
  await customer(h, 'GARBLED', { phone: '12ab' });
  await customer(h, 'NONE', {});
  for (const ref of ['LANDLINE', 'GARBLED', 'NONE']) await owes(h, ref, '100000', DUE);
  const r = await run(h, DUE);
  t.match(r.missingContactData, [{ ref: 'NONE', channel: 'sms', missing: /no phone number/ }]);
  await drain(h);
  t.equal(smsc.received.length, 0);
  const byRef = Object.fromEntries((await actions(h, 'sms')).map((a: any) => [a.partner?.ref ?? a.partnerRef ?? a.partner, a]));
  const states = (await actions(h, 'sms')).map((a: any) => [a.state, a.result]);
  t.equal(states.filter(([s]) => s === 'missing_contact').length, 3, JSON.stringify(byRef).slice(0, 300));
  t.ok(states.some(([, r]) => /'024 3825 3535' is a landline number: it cannot receive an SMS/.test(r)));
  t.ok(states.some(([, r]) => /'12ab' is not a valid phone number/.test(r)));
});

t.test('over the cap of parts the reminder is refused with that reason, never cut', async (t) => {
  const { h, smsc } = await setup(t, { maxParts: 2 });
  await customer(h, 'LONG', { phone: '0912000001' });
  await owes(h, 'LONG', '100000', DUE);
  await run(h, DUE);
  await drain(h);
  t.equal(smsc.received.length, 0);
  const [a] = await actions(h, 'sms');
  t.match(a, { state: 'failed' });
  t.match(a.result, /not sent: the text needs 3 parts \(\d+ UCS-2 characters\), more than the company's cap of 2; writing it without diacritics \(setting unaccented\) fits 160 characters a part/);
  t.same(await messages(h), [], 'no message was queued');
});

t.test('a clerk opts a partner\'s number out: its reminders are cancelled with the reason; opted in again, they go', async (t) => {
  const { h, smsc } = await setup(t, { unaccented: true });
  await customer(h, 'OUT', { phone: '0912000001' });
  await owes(h, 'OUT', '100000', DUE);
  const out = await h.request('POST', '/api/sms/opt-outs', { partner: 'OUT', note: 'khách yêu cầu qua điện thoại' });
  t.equal(out.statusCode, 201);
  t.match(out.json(), { phone: '+84912000001', source: 'clerk', note: 'khách yêu cầu qua điện thoại' });
  await run(h, DUE);
  await drain(h);
  t.equal(smsc.received.length, 0);
  const [a] = await actions(h, 'sms');
  t.match(a, { state: 'cancelled' });
  t.match(a.result, /not sent: \+84912000001 was opted out by a clerk on \d{4}-\d\d-\d\d/);
  t.equal((await h.request('DELETE', '/api/sms/opt-outs/0912000001')).statusCode, 204);
  t.equal((await h.request('DELETE', '/api/sms/opt-outs/0912000001')).statusCode, 404);
  ok(await h.request('POST', '/api/sms/messages', { partner: 'OUT', text: 'Xin chào', force: true }));
  await drain(h);
  t.equal(smsc.received.length, 1);
});

t.test('a clerk\'s own message: counted and priced first, the follow-up\'s interval warns, bad input named', async (t) => {
  const { h, smsc } = await setup(t);
  await customer(h, 'OWN', { phone: '0912000001' });
  const dry = ok<any>(await h.request('POST', '/api/sms/messages', { partner: 'OWN', text: 'Kính gửi quý khách, xin vui lòng liên hệ kế toán.', dryRun: true }));
  t.same(dry.message, null);
  t.match(dry.estimate, { phone: '+84912000001', encoding: 'ucs2', parts: 1, perPart: 70, cost: '850', currency: 'VND' });
  t.equal(smsc.received.length, 0, 'a dry run sends nothing');
  const long = 'Kính gửi quý khách. '.repeat(12);
  const tooLong = await h.request('POST', '/api/sms/messages', { partner: 'OWN', text: long });
  t.equal(tooLong.statusCode, 400);
  t.match(tooLong.json(), { field: 'text', detail: /needs 4 parts/ });
  const sent = await h.request('POST', '/api/sms/messages', { partner: 'OWN', text: 'Xin chao quy khach' });
  t.equal(sent.statusCode, 201);
  t.match(sent.json(), { message: { state: 'queued', encoding: 'gsm7', parts: 1, cost: '850', action: null }, estimate: { length: 18 } });
  await drain(h);
  t.equal(smsc.received.length, 1);
  t.equal(smsc.received[0].from, '8088');
  const soon = await h.request('POST', '/api/sms/messages', { partner: 'OWN', text: 'Lần hai' });
  t.equal(soon.statusCode, 409);
  t.match(soon.json(), { type: /reminder-sent-recently/, field: 'force' });
  for (const [body, field] of [
    [{ partner: 'OWN' }, 'text'], [{ partner: 'NOBODY', text: 'x' }, 'partner'], [{ partner: 'OWN', text: 'x', phone: '123' }, 'phone'],
    [{ partner: 'OWN', text: '   ' }, 'text'], [{ partner: 'OWN', text: 'x', extra: 1 }, null],
  ] as const) {
    const res = await h.request('POST', '/api/sms/messages', body);
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${JSON.stringify(body)} → ${res.statusCode}`);
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    if (field) t.equal(res.json().field, field, `names ${field}`);
  }
  t.equal((await h.request('GET', '/api/sms/messages?state=bogus')).statusCode, 400);
  t.equal((await h.request('GET', '/api/sms/messages?from=yesterday')).statusCode, 400);
  t.equal((await h.request('GET', '/api/sms/messages/not-an-id')).statusCode, 404);
  t.match(await messages(h, '&partner=OWN'), [{ partner: { ref: 'OWN' }, text: 'Xin chao quy khach' }]);
});

t.test('settings are checked: a generic gateway needs a JSON body with {{to}} and {{text}}; secrets are masked', async (t) => {
  const { h } = await setup(t);
  const bad = await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/sms`, { settings: { provider: 'http', http: { url: 'https://gw.example/send', body: '{"to":"{{to}}"' } } }, { token: h.adminToken });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { field: 'settings.http.body', detail: /not JSON/ });
  const noText = await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/sms`, { settings: { provider: 'http', http: { url: 'https://gw.example/send', body: '{"to":"{{to}}"}' } } }, { token: h.adminToken });
  t.match(noText.json(), { field: 'settings.http.body', detail: /"\{\{to\}\}" and "\{\{text\}\}"/ });
  const price = await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/sms`, { settings: { pricePerPart: '850.5' } }, { token: h.adminToken });
  t.equal(price.statusCode, 400, 'a price the company currency cannot hold');
  t.match(price.json(), { field: 'settings.pricePerPart' });
  const template = await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/sms`, { settings: { templates: { 'due/sms.vi': 'Kính gửi {{#if partner}} {{partner}}' } } }, { token: h.adminToken });
  t.equal(template.statusCode, 400, 'a template that does not parse');
  t.match(template.json(), { field: 'settings.templates.due/sms.vi' });
  const helper = await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/sms`, { settings: { templates: { 'due/sms.vi': '{{upper partner}}' } } }, { token: h.adminToken });
  t.equal(helper.statusCode, 400, 'a helper that does not exist');
  const shown = ok<any>(await h.request('GET', `/api/admin/tenants/${h.tenant.slug}/modules/sms`, undefined, { token: h.adminToken }));
  t.equal(JSON.stringify(shown).includes('"pw"'), false, 'the SMPP password is not shown');
  const level = await h.request('PUT', `/api/follow-up/levels/${(ok<any[]>(await h.request('GET', '/api/follow-up/levels')))[0].id}`, { name: 'X', delay: -3, channels: ['email'], auto: true, fallback: { zalo: 'sms' } });
  t.equal(level.statusCode, 400);
  t.match(level.json(), { field: 'fallback.zalo', detail: /does not send by zalo/ });
});
