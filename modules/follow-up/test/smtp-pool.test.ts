/**
 * A tenant's emails share pooled SMTP connections (a server's greeting can take 100 ms or more,
 * so one connection per email capped delivery at ~12 a second); tenants never share one, new
 * settings take a new connection, and closing the server ends them.
 */
import t from 'tap';
import { createTenantToken } from '../../../core/auth/tokens.js';
import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import { createTenant } from '../../../core/tenants.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { followUpApp, invoice, ok, partner, run, smtpServer, useSmtp } from './helpers.js';

async function drain(h: TestApp): Promise<void> {
  while (await h.app.congno.relay.deliverOne());
}

t.test('one connection carries a tenant\'s emails; another tenant gets its own; new settings a new one', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  for (const ref of ['KH01', 'KH02', 'KH03', 'KH04', 'KH05']) {
    await partner(h, ref);
    await invoice(h, ref, '1500000', '2026-03-01', '2026-03-31');
  }
  t.equal((await run(h, '2026-04-16')).actions.length, 5);
  await drain(h);
  t.same(box.messages.map((m) => m.to[0]).sort(), ['kh01@khach.vn', 'kh02@khach.vn', 'kh03@khach.vn', 'kh04@khach.vn', 'kh05@khach.vn'], 'every reminder arrived once');
  // Sent together (one delivery takes the run's reminders): the pool's three connections at most.
  const first = box.connections;
  t.ok(first >= 1 && first <= 3, `five emails, ${first} connection(s) of the pool's three`);
  t.equal(box.open, first, 'kept open for the next email');

  // A second tenant on the same mail server: its own connection, never tenant A's.
  const beta = await createTenant(h.db, { slug: 'beta', name: 'Beta JSC', currency: 'VND' });
  await h.app.congno.enablement.enable(beta.id, 'follow-up', SYSTEM_ACTOR);
  const betaClerk = await createTenantToken(h.db, beta.id, 'Beta clerk', 'clerk');
  ok(await h.request('PATCH', '/api/admin/tenants/beta/modules/follow-up', { settings: { email: { host: '127.0.0.1', port: box.port, secure: false, from: 'ketoan@beta.vn' } } }, { token: h.adminToken }));
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'B01', name: 'Khách của Beta', email: 'b01@khach.vn', lang: 'vi' }, { token: betaClerk.token }));
  ok(await h.request('POST', '/api/ledger/invoices', { partner: 'B01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '700000' }] }, { token: betaClerk.token }));
  ok(await h.request('POST', '/api/follow-up/runs', { date: '2026-04-16' }, { token: betaClerk.token }));
  await drain(h);
  const toBeta = box.messages.find((m) => m.to[0] === 'b01@khach.vn');
  t.equal(toBeta?.from, 'ketoan@beta.vn', 'sent as tenant B');
  t.equal(box.connections, first + 1, 'tenant B does not use tenant A\'s connections');

  // Tenant A moves to another mail server: the next email goes there.
  const moved = await smtpServer(t);
  await useSmtp(h, moved);
  await partner(h, 'KH06');
  await invoice(h, 'KH06', '900000', '2026-03-05', '2026-04-01');
  await run(h, '2026-04-17');
  await drain(h);
  t.same(moved.messages.map((m) => m.to[0]), ['kh06@khach.vn'], 'the new settings\' server got it');
  t.equal(box.messages.length, 6, 'nothing more to the old server');
  t.equal(moved.connections, 1);

  await h.app.close();
  await new Promise((r) => setTimeout(r, 200));
  t.equal(box.open + moved.open, 0, 'closing the server ends its SMTP connections (QUIT)');
});
