/**
 * Incremental runs decide exactly what a full run of the same date decides: generated books
 * (partners with several invoices, various due dates, exclusions, promises, partial payments), a
 * full run, then day after day random changes and, for each date, a dry full run next to the
 * incremental run — the same actions. A partner nobody touched reaches its next level by the
 * passage of time alone; an incremental run without a full run to rest on is a full run.
 */
import t from 'tap';
import { sql } from 'kysely';
import { addDays } from '../../../core/dates.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { createRng } from '../../../test/bench/lib/dataset.js';
import { BASE, followUpApp, invoice, ok, partner, pay, run } from './helpers.js';

const D1 = '2026-03-20';

async function incremental(h: TestApp, date: string, dryRun = false): Promise<any> {
  return ok(await h.request('POST', `${BASE}/runs`, { date, dryRun, incremental: true }));
}

const summary = (r: any): string[] => r.actions.map((a: any) => `${a.ref} ${a.levelName} [${a.channels.join('+')}]${a.missingContactData.length ? ' missing' : ''}`);

async function openInvoices(h: TestApp): Promise<Array<{ id: string; ref: string; residual: bigint; due: string }>> {
  const { rows } = await sql<{ id: string; ref: string; residual: string; due: string }>`
    select i.id, p.ref, i.residual::text, i.due_date::text as due from ledger_invoice i join ledger_partner p on p.id = i.partner_id
    where i.kind = 'invoice' and i.state = 'posted' and i.residual > 0 order by p.ref, i.due_date, i.id`.execute(h.db);
  return rows.map((r) => ({ ...r, residual: BigInt(r.residual) }));
}

async function residualOf(h: TestApp, invoiceId: string): Promise<bigint> {
  const { rows } = await sql<{ residual: string }>`select residual::text from ledger_invoice where id = ${invoiceId}`.execute(h.db);
  return BigInt(rows[0].residual);
}

async function changedPartners(h: TestApp): Promise<Set<string>> {
  const { rows } = await sql<{ ref: string }>`select distinct p.ref from followup_change c join ledger_partner p on p.id = c.partner_id`.execute(h.db);
  return new Set(rows.map((r) => r.ref));
}

t.test('without a full run to rest on, an incremental run is a full run and says so', async (t) => {
  const h = await followUpApp(t);
  await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  const dry = await incremental(h, '2026-04-20', true);
  t.match(dry, { mode: 'full', fallback: /no full run yet/ });
  const first = await incremental(h, '2026-04-20');
  t.match(first, { mode: 'full', fallback: /no full run yet/, partners: 1 });
  t.same(summary(first), ['KH01 Quá hạn 15 ngày [email]']);
  const second = await incremental(h, '2026-04-21');
  t.match(second, { mode: 'incremental', fallback: null, partners: 0 }, 'nothing changed and nothing falls due: nobody looked at');
  t.match(await run(h, '2026-04-21'), { mode: 'full', fallback: null, partners: 1 });

  // A level changed since the last full run: the stored dates may be wrong, so every partner is looked at.
  const levels = ok(await h.request('GET', `${BASE}/levels`));
  const final = levels.find((l: any) => l.delay === 60);
  ok(await h.request('PUT', `${BASE}/levels/${final.id}`, { name: final.name, delay: 30, channels: final.channels, auto: true, template: final.template }));
  const changed = await incremental(h, '2026-05-01');
  t.match(changed, { mode: 'full', fallback: /levels or the settings changed/ });
  t.same(summary(changed), ['KH01 Quá hạn 60 ngày: thông báo lần cuối [letter+email] missing']);
  t.match(await incremental(h, '2026-05-02'), { mode: 'incremental' });
  t.match(await incremental(h, '2026-04-25'), { mode: 'full', fallback: /later date 2026-05-02/ }, 'a date before the last run is looked at in full');
  const earlier = await run(h, '2026-04-24');
  t.ok(earlier.warnings.some((w: string) => w.includes('later date 2026-05-02') && w.includes('as of 2026-04-24')), 'a full run for an earlier date says so');
  t.notOk((await run(h, '2026-05-02')).warnings.some((w: string) => w.includes('later date')), 'the latest date: no such warning');
  t.notOk(ok(await h.request('POST', `${BASE}/runs`, { date: '2026-04-01', dryRun: true })).warnings.some((w: string) => w.includes('later date')), 'a dry run previews any date without it');
});

for (const [seed, interval] of [[20260320, 5], [7, 0], [12, 3], [16, 10]]) t.test(`an incremental run decides exactly what a full run of the same date decides (seed ${seed}, minimum interval ${interval})`, async (t) => {
  const h = await followUpApp(t);
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { minIntervalDays: interval } }, { token: h.adminToken }));
  const r = createRng(seed);
  for (let i = 1; i <= 14; i++) {
    const ref = `KH${String(i).padStart(2, '0')}`;
    await partner(h, ref, i % 5 === 0 ? { email: null } : {});
    const n = 1 + r.int(3);
    for (let k = 0; k < n; k++) {
      const due = addDays(D1, r.int(90) - 70); // from 70 days overdue to 19 days ahead
      await invoice(h, ref, String(100_000 * (1 + r.int(40))), addDays(due, -30), due);
    }
  }
  // A partner nobody will touch, whose invoice reaches −3 days (then 0) by the passage of time only.
  await partner(h, 'KH99');
  await invoice(h, 'KH99', '2500000', '2026-03-01', addDays(D1, 7));

  // Before the first run: exclusions, a promise, a partial payment.
  const open0 = await openInvoices(h);
  const pick0 = (ref: string) => open0.find((o) => o.ref === ref)!;
  ok(await h.request('PUT', `${BASE}/items/${pick0('KH02').id}/exclusion`, { reason: 'dispute', note: 'thiếu hàng' }));
  ok(await h.request('PUT', `${BASE}/items/${pick0('KH03').id}/promise`, { amount: '100000', date: addDays(D1, 6), by: 'Anh Tuấn', channel: 'phone' }));
  await pay(h, 'KH04', String(pick0('KH04').residual / 2n), D1, pick0('KH04').id);

  const first = await run(h, D1);
  t.match(first, { mode: 'full' });
  t.ok(first.actions.length > 0, `the first full run acts (${first.actions.length} actions)`);
  t.same(summary(await run(h, D1, true)), [], 'and a second look the same day finds nothing more to do');

  let timeOnly = 0;
  let lookedAt = 0;
  let total = 0;
  const steps = [1, 3, 4, 7, 8, 10, 13, 16, 20, 27, 35, 46, 60, 75];
  for (const offset of steps) {
    const date = addDays(D1, offset);
    // A few changes through the API, as clerks and the bank would make them.
    const open = await openInvoices(h);
    const changes = 1 + r.int(3);
    for (let c = 0; c < changes && open.length > 0; c++) {
      const picked = r.pick(open.filter((x) => x.ref !== 'KH99'));
      if (!picked) break;
      const o = { ...picked, residual: await residualOf(h, picked.id) }; // earlier changes of this step may have paid some of it
      if (o.residual <= 0n) continue;
      const what = r.int(7);
      if (what === 0) await pay(h, o.ref, o.residual.toString(), date, o.id);
      else if (what === 1) await pay(h, o.ref, String(o.residual / 3n), date, o.id);
      else if (what === 2) {
        const due = addDays(date, r.int(30) - 20);
        await invoice(h, o.ref, String(100_000 * (1 + r.int(30))), addDays(due, -30), due);
      } else if (what === 3) ok(await h.request('PUT', `${BASE}/items/${o.id}/exclusion`, { reason: r.pick(['dispute', 'litigation', 'agreed_delay']) }));
      else if (what === 4) ok(await h.request('DELETE', `${BASE}/items/${o.id}/exclusion`));
      else if (what === 5) ok(await h.request('PUT', `${BASE}/items/${o.id}/promise`, { amount: String(o.residual), date: addDays(date, 1 + r.int(8)), by: 'Chị Hoa', channel: 'phone' }));
      else await pay(h, o.ref, String(50_000 * (1 + r.int(10))), date); // money on account, allocated by the ledger or left as credit
    }
    const touched = await changedPartners(h);
    const full = await run(h, date, true);
    t.equal(full.mode, 'full');
    const inc = await incremental(h, date);
    t.equal(inc.mode, 'incremental', `${date}: incremental`);
    t.same(summary(inc), summary(full), `${date}: the incremental run decides what a full run decides (${full.actions.length} actions)`);
    t.same(inc.missingContactData, full.missingContactData);
    timeOnly += inc.actions.filter((a: any) => !touched.has(a.ref)).length;
    lookedAt += inc.partners;
    total += full.partners;
    t.same(summary(await run(h, date, true)), [], `${date}: after it, a full run finds nothing left to do`);
    t.equal((await changedPartners(h)).size, 0, 'the run consumed the changes it saw');
  }
  t.ok(timeOnly > 0, `${timeOnly} actions went to partners with no change since the last run (time alone)`);
  t.ok(lookedAt < total, `incremental runs looked at ${lookedAt} partners where full runs looked at ${total}`);
  const kh99 = await h.db.selectFrom('followup_action as a').innerJoin('ledger_partner as p', 'p.id', 'a.partner_id').innerJoin('followup_level as l', 'l.id', 'a.level_id')
    .select(['a.date', 'l.delay']).where('p.ref', '=', 'KH99').where('a.channel', '=', 'email').orderBy('a.date').execute();
  const dueLevelOn = steps.find((s) => s >= Math.max(7, 4 + interval))!; // the due date, or the end of the interval after the reminder of D1 + 4
  t.same(kh99.map((a) => `${a.date} ${a.delay}`).slice(0, 2), [`${addDays(D1, 4)} -3`, `${addDays(D1, dueLevelOn)} 0`],
    'KH99, never changed: the reminder 3 days before due on its day, the due-date one when the interval allowed it');
});

t.test('a partner\'s plan, a rescheduled call and a manual send count as changes', async (t) => {
  const h = await followUpApp(t);
  const p = await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  await run(h, '2026-04-20');
  t.equal((await changedPartners(h)).size, 0);
  ok(await h.request('POST', `${BASE}/levels`, { plan: 'vip', name: 'VIP overdue', delay: 10, channels: ['email'], auto: true }));
  ok(await h.request('PUT', `${BASE}/partners/${p.id}`, { plan: 'vip' }));
  t.same([...await changedPartners(h)], ['KH01']);
  const inc = await incremental(h, '2026-04-21');
  t.match(inc, { mode: 'full', fallback: /levels or the settings changed/ }, 'a new level changes the basis');
  t.same(summary(inc), [], "the VIP plan's 10-day level counts as done: the 15-day level was reached in this episode");
  t.equal((await changedPartners(h)).size, 0);

  ok(await h.request('POST', `${BASE}/partners/KH01/calls`, { outcome: 'no_answer', nextActionDate: '2099-01-01' }));
  t.same([...await changedPartners(h)], ['KH01'], 'a rescheduled follow-up');
  t.match(await incremental(h, '2026-04-22'), { mode: 'incremental', partners: 1, actions: [] });
  const vip = (await h.request('GET', `${BASE}/levels?plan=vip`)).json()[0];
  ok(await h.request('POST', `${BASE}/partners/KH01/reminders`, { level: vip.id, force: true }));
  t.same([...await changedPartners(h)], ['KH01'], 'a manual send');
  t.match(await incremental(h, '2026-04-23'), { mode: 'incremental', partners: 1, actions: [] });
});

t.test('bulk payments and bulk invoices (emitMany) note each partner once, in one statement', async (t) => {
  const h = await followUpApp(t);
  const invoices: any[] = [];
  for (const ref of ['KH01', 'KH02', 'KH03']) {
    await partner(h, ref);
    invoices.push(await invoice(h, ref, '1000000', '2026-03-01', '2026-03-31'));
  }
  await run(h, '2026-04-20');
  ok(await h.request('POST', '/api/ledger/payments/bulk', {
    payments: invoices.slice(0, 2).map((inv, i) => ({ partner: `KH0${i + 1}`, date: '2026-04-21', amount: '400000', journal: 'bank', allocations: [{ invoice: inv.id, amount: '400000' }] })),
  }));
  ok(await h.request('POST', '/api/ledger/invoices/bulk', {
    invoices: [{ partner: 'KH03', date: '2026-04-01', dueDate: '2026-04-10', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '500000' }] }],
  }));
  const rows = await sql<{ ref: string; n: number }>`select p.ref, count(*)::int as n from followup_change c join ledger_partner p on p.id = c.partner_id group by p.ref order by p.ref`.execute(h.db);
  t.same(rows.rows, [{ ref: 'KH01', n: 1 }, { ref: 'KH02', n: 1 }, { ref: 'KH03', n: 1 }], 'payment registered + allocated + state changed: one row per partner and transaction');
  const full = await run(h, '2026-04-21', true);
  const inc = await incremental(h, '2026-04-21');
  t.match(inc, { mode: 'incremental', partners: 3 });
  t.same(summary(inc), summary(full));
});

t.test('an opening-balance import notes its partners: the next incremental run decides what a full run does', async (t) => {
  const h = await followUpApp(t);
  for (const ref of ['KH01', 'KH02']) await partner(h, ref);
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  await run(h, '2026-04-20');
  const csv = 'ref,invoice number,invoice date,due date,amount\nKH02,HD0000123,2026-02-01,2026-03-03,2500000\nKH02,HD0000124,2026-04-01,2026-04-30,700000\n';
  const res = await h.request('POST', '/api/ledger/import/opening-balances?date=2026-04-20', Buffer.from(csv), { headers: { 'content-type': 'text/csv' } });
  t.equal(res.statusCode, 201, res.body);
  t.same([...await changedPartners(h)], ['KH02'], 'the imported partner is noted as changed, in the import transaction');
  const full = await run(h, '2026-04-21', true);
  const inc = await incremental(h, '2026-04-21');
  t.match(inc, { mode: 'incremental' });
  t.ok(summary(inc).some((a) => a.startsWith('KH02 ')), 'the imported overdue balance is followed up at once');
  t.same(summary(inc), summary(full), 'the same actions as a full run');
});
