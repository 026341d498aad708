/**
 * A salesperson sees nothing of the follow-up of another salesperson's partner: not the partner,
 * its items, timeline, statement, nor its actions inside a run.
 */
import t from 'tap';
import { BASE, followUpApp, invoice, ok, partner, run } from './helpers.js';

t.test("follow-up: a salesperson sees only their partners' items, actions and pages", async (t) => {
  const h = await followUpApp(t);
  const lan = await h.tokenFor('sales');
  const hung = await h.tokenFor('sales');
  const k1 = await partner(h, 'KH01', { salesperson: lan.userId });
  const k2 = await partner(h, 'KH02', { salesperson: hung.userId });
  const i1 = await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  const i2 = await invoice(h, 'KH02', '2000000', '2026-03-01', '2026-03-31');
  const done = await run(h, '2026-04-20');
  t.ok(done.actions.some((a: any) => a.partner === k1.id) && done.actions.some((a: any) => a.partner === k2.id), 'the run acted on both partners');

  const as = (token: string, url: string) => h.request('GET', url, undefined, { token });
  const detail = ok(await as(lan.token, `${BASE}/runs/${done.id}`));
  t.ok(detail.actions.length > 0);
  t.ok(detail.actions.every((a: any) => a.partner === k1.id), "Lan sees only her partner's actions in the run");
  t.ok(ok(await h.request('GET', `${BASE}/runs/${done.id}`)).actions.some((a: any) => a.partner === k2.id), 'a clerk sees all of them');

  t.equal((await as(lan.token, `${BASE}/items/${i1.id}`)).statusCode, 200, 'her own item');
  for (const url of [`${BASE}/items/${i2.id}`, `${BASE}/partners/KH02`, `${BASE}/partners/${k2.id}/timeline`, `${BASE}/partners/KH02/statement`, `${BASE}/partners/KH02/preview?date=2026-04-20`]) {
    const res = await as(lan.token, url);
    t.equal(res.statusCode, 404, `${url} is not hers`);
    t.notMatch(res.body, /Công ty KH02|2000000|2\.000\.000/, 'and says nothing of it (but the id or ref asked for)');
  }
  t.equal((await as(hung.token, `${BASE}/items/${i2.id}`)).statusCode, 200);
  t.equal((await as(hung.token, `${BASE}/items/${i1.id}`)).statusCode, 404);
});
