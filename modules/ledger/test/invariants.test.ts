/**
 * The books' invariants after random sequences of what clerks do, all through the REST API:
 * posts (one due date, or 1–3 instalments), payments with and without allocations, allocations
 * of credit, full and partial reversals, write-offs and unallocations.
 *
 * After each sequence, for every partner: Σ residuals of its receivable lines = its balance =
 * its statement's closing balance = its aging total (far future, and today); every posted entry
 * balances. Operations go forward in time, so the open items read from the database after the
 * last operation of a day are the books as of that day: aging as of each of those days, rebuilt
 * from the allocation history, must show them bucket by bucket (tenant-wide query and one-partner
 * query), and each partner's total must equal a replay of the documents dated up to that day.
 */
import t from 'tap';
import fc from 'fast-check';
import { sql } from 'kysely';
import { addDays, daysBetween, todayIn } from '../../../core/dates.js';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';

const TODAY = todayIn('Asia/Ho_Chi_Minh');
const FAR = '2099-12-31';
const BOUNDS = [30, 60, 90, 120];

type Op = { kind: 'invoice' | 'payment' | 'allocate' | 'reverse' | 'writeOff' | 'unallocate'; partner: number; pick: number; step: number; amount: number; percent: number; instalments: number; flag: boolean };

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('invoice', 'invoice', 'invoice', 'payment', 'payment', 'allocate', 'reverse', 'writeOff', 'unallocate'),
  partner: fc.nat(2),
  pick: fc.nat(1000),
  step: fc.nat(6),
  amount: fc.integer({ min: 1, max: 60 }),
  percent: fc.integer({ min: 1, max: 100 }),
  instalments: fc.integer({ min: 1, max: 3 }),
  flag: fc.boolean(),
});

/** Aging amounts of open items as of a day, bucketed as the contract says. */
function bucketize(items: Array<{ due: string; amount: bigint }>, asOf: string): string[] {
  const sums = new Array<bigint>(BOUNDS.length + 2).fill(0n);
  for (const i of items) {
    const d = daysBetween(i.due, asOf);
    const k = BOUNDS.findIndex((bound) => d <= bound);
    sums[d <= 0 ? 0 : k === -1 ? BOUNDS.length + 1 : k + 1] += i.amount;
  }
  return [...sums.map(String), String(sums.reduce((a, b) => a + b, 0n))];
}

const agingAmounts = (row: { notDue: string; columns: string[]; total: string } | undefined) =>
  (row ? [row.notDue, ...row.columns, row.total] : ['0', '0', '0', '0', '0', '0', '0']);

async function ok(res: Promise<{ statusCode: number; body: string; json(): any }>, status = 200): Promise<any> {
  const r = await res;
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
  return r.json();
}

function equal(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

t.test('balances, statements and aging agree after random sequences, and aging of past days replays them', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  // Instalments without the payment-terms module: a provider on the ledger's own extension point.
  h.app.congno.service('ledger').installments.register('ledger', {
    defaultTerm: async () => null,
    plan: async (_books, term, date, total) => {
      const n = Number(term.split('-')[1]);
      const part = total / BigInt(n);
      const installments = Array.from({ length: n }, (_, i) => ({ dueDate: addDays(date, 10 + 30 * i), amount: i === n - 1 ? total - part * BigInt(n - 1) : part }));
      return { installments, term: { id: term, name: term } };
    },
  });
  await ok(h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/ledger`, { settings: { writeOffLimit: '100000000' } }, { token: h.adminToken }));

  let run = 0;
  let comparisons = 0;
  const property = fc.asyncProperty(fc.array(opArb, { minLength: 12, maxLength: 16 }), async (ops) => {
    run++;
    const group = `G${run}`;
    const refs = [0, 1, 2].map((k) => `R${run}P${k}`);
    for (const ref of refs) await ok(h.request('POST', '/api/ledger/partners', { ref, name: `Khách ${ref} – Công ty Đông Á`, group }), 201);
    const invoices: Array<{ id: string; partner: number; total: bigint; reversed: bigint }> = [];
    const movements: Array<{ partner: number; date: string; amount: bigint }> = [];
    const snapshots = new Map<string, Map<string, Array<{ due: string; date: string; amount: bigint }>>>();
    let day = '2025-01-02';
    const first = day;

    // Choosing what to act on is read straight from the tables; what is asserted goes through the API.
    const openInvoices = async (partner: number) => (await sql<{ id: string; residual: bigint }>`
      select i.id, i.residual from ledger_invoice i join ledger_partner p on p.tenant_id = i.tenant_id and p.id = i.partner_id
      where i.tenant_id = ${h.tenant.id} and p.ref = ${refs[partner]} and i.kind = 'invoice' and i.residual > 0 order by i.date, i.number`.execute(h.db)).rows;
    const openCredits = async (partner: number) => (await sql<{ payment: string | null; credit_note: string | null; available: bigint }>`
      select l.payment_id as payment, case when l.payment_id is null then l.invoice_id end as credit_note, -l.amount_residual as available
      from ledger_move_line l join ledger_partner p on p.tenant_id = l.tenant_id and p.id = l.partner_id
      left join ledger_invoice i on i.tenant_id = l.tenant_id and i.id = l.invoice_id
      where l.tenant_id = ${h.tenant.id} and p.ref = ${refs[partner]} and l.receivable and l.amount_residual < 0
        and (l.payment_id is not null or i.kind = 'credit_note') order by l.date, l.id`.execute(h.db)).rows;
    const allocatedPayments = async (partner: number) => (await sql<{ id: string; invoices: string[] }>`
      select y.id, array_agg(distinct d.invoice_id::text) as invoices
      from ledger_payment y join ledger_partner p on p.tenant_id = y.tenant_id and p.id = y.partner_id
      join ledger_move_line c on c.tenant_id = y.tenant_id and c.payment_id = y.id and c.receivable
      join ledger_partial x on x.tenant_id = c.tenant_id and x.credit_line_id = c.id and x.undone_at is null
      join ledger_move_line d on d.tenant_id = x.tenant_id and d.id = x.debit_line_id
      where y.tenant_id = ${h.tenant.id} and p.ref = ${refs[partner]} group by y.id order by y.id`.execute(h.db)).rows;
    const part = (whole: bigint, percent: number) => {
      const p = (whole * BigInt(percent)) / 100n;
      return p < 1n ? 1n : p;
    };

    for (const op of ops) {
      day = addDays(day, op.step);
      const partner = refs[op.partner];
      if (op.kind === 'invoice') {
        const body: Record<string, unknown> = { partner, date: day, post: true, lines: [{ description: 'Hàng hoá', quantity: '1', unitPrice: String(op.amount * 10000), taxRate: '10' }] };
        if (op.flag) body.paymentTerm = `split-${op.instalments}`;
        else body.dueDate = addDays(day, op.pick % 45);
        const inv = await ok(h.request('POST', '/api/ledger/invoices', body), 201);
        equal(inv.installments.length, op.flag ? op.instalments : 1, 'instalments');
        invoices.push({ id: inv.id, partner: op.partner, total: BigInt(inv.total), reversed: 0n });
        movements.push({ partner: op.partner, date: day, amount: BigInt(inv.total) });
      } else if (op.kind === 'payment') {
        const open = await openInvoices(op.partner);
        let amount = BigInt(op.amount * 7000);
        const body: Record<string, unknown> = { partner, date: day };
        if (op.flag && open.length > 0) {
          const target = open[op.pick % open.length];
          const allocated = part(target.residual, op.percent);
          if (op.pick % 2 === 0) amount = allocated; else amount = allocated + amount;
          body.allocations = [{ invoice: target.id, amount: String(allocated) }];
        }
        body.amount = String(amount);
        await ok(h.request('POST', '/api/ledger/payments', body), 201);
        movements.push({ partner: op.partner, date: day, amount: -amount });
      } else if (op.kind === 'allocate') {
        const credits = await openCredits(op.partner);
        const open = await openInvoices(op.partner);
        if (credits.length === 0 || open.length === 0) continue;
        const credit = credits[op.pick % credits.length];
        const target = open[(op.pick >> 3) % open.length];
        const amount = part(credit.available < target.residual ? credit.available : target.residual, op.percent);
        const from = credit.payment ? { payment: credit.payment } : { creditNote: credit.credit_note };
        await ok(h.request('POST', '/api/ledger/allocations', { ...from, invoice: target.id, amount: String(amount), date: day }), 201);
      } else if (op.kind === 'reverse') {
        const candidates = invoices.filter((x) => x.partner === op.partner && x.reversed < x.total);
        if (candidates.length === 0) continue;
        const inv = candidates[op.pick % candidates.length];
        const full = op.flag && inv.reversed === 0n;
        const amount = full ? inv.total : part(inv.total - inv.reversed, op.percent);
        const res = await ok(h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, full
          ? { date: day }
          : { date: day, lines: [{ description: 'Giảm giá', quantity: '1', unitPrice: String(amount), taxRate: '0' }] }));
        equal(res.creditNote.total, String(amount), 'credit note total');
        inv.reversed += amount;
        movements.push({ partner: op.partner, date: day, amount: -amount });
      } else if (op.kind === 'writeOff') {
        const open = await openInvoices(op.partner);
        if (open.length === 0) continue;
        const target = open[op.pick % open.length];
        const amount = part(target.residual, op.percent);
        await ok(h.request('POST', `/api/ledger/invoices/${target.id}/write-off`, { amount: String(amount), date: day, reason: 'Chênh lệch nhỏ' }));
        movements.push({ partner: op.partner, date: day, amount: -amount });
      } else {
        const allocated = await allocatedPayments(op.partner);
        if (allocated.length === 0) continue;
        const p = allocated[op.pick % allocated.length];
        await ok(h.request('POST', `/api/ledger/payments/${p.id}/unallocate`, op.flag ? { date: day } : { date: day, invoice: p.invoices[(op.pick >> 2) % p.invoices.length] }));
      }
      // The books as they stand after the last operation of `day` are the books as of `day`.
      const { rows } = await sql<{ ref: string; due: string; date: string; amount: bigint }>`
        select p.ref, l.date_maturity as due, l.date, l.amount_residual as amount
        from ledger_move_line l join ledger_partner p on p.tenant_id = l.tenant_id and p.id = l.partner_id
        where l.tenant_id = ${h.tenant.id} and p.group_code = ${group} and l.receivable and l.amount_residual <> 0`.execute(h.db);
      const byPartner = new Map(refs.map((r) => [r, rows.filter((x) => x.ref === r)]));
      snapshots.set(day, byPartner);
    }

    // Now: residuals = balance = statement closing = aging total (far future and today).
    const { rows: sums } = await sql<{ ref: string; residual: bigint }>`
      select p.ref, coalesce(sum(l.amount_residual), 0)::bigint as residual
      from ledger_partner p left join ledger_move_line l on l.tenant_id = p.tenant_id and l.partner_id = p.id and l.receivable
      where p.tenant_id = ${h.tenant.id} and p.group_code = ${group} group by p.ref`.execute(h.db);
    const far = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${FAR}&group=${group}`));
    const now = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${TODAY}&group=${group}`));
    for (const ref of refs) {
      const residualSum = String(sums.find((s) => s.ref === ref)!.residual);
      const balance = (await ok(h.request('GET', `/api/ledger/partners/${ref}`))).balance;
      const closing = (await ok(h.request('GET', `/api/ledger/partners/${ref}/statement?from=${first}&to=${FAR}`))).closing;
      const outstanding = (await ok(h.request('GET', `/api/ledger/partners/${ref}/statement?type=outstanding`))).total;
      const farTotal = agingAmounts(far.rows.find((r: { ref: string }) => r.ref === ref)).at(-1);
      const nowTotal = agingAmounts(now.rows.find((r: { ref: string }) => r.ref === ref)).at(-1);
      equal([balance, closing, outstanding, farTotal, nowTotal], [residualSum, residualSum, residualSum, residualSum, residualSum], `${ref}: residuals, balance, statement closing, outstanding, aging far, aging today`);
      comparisons++;
    }

    // Each past day: aging rebuilt from history (tenant-wide roll-back, and one partner's lines
    // rebuilt, a partner a day in turn) = the open items as they stood that day, whose sum is the
    // replay of the documents; in turn one more view a day: aging by invoice date, the period
    // summary's closing, the outstanding statement.
    let turn = 0;
    for (const [asOf, byPartner] of snapshots) {
      const all = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${asOf}&group=${group}`));
      const replays = refs.map((_, k) => String(movements.filter((m) => m.partner === k && m.date <= asOf).reduce((s, m) => s + m.amount, 0n)));
      for (const [k, ref] of refs.entries()) {
        const expected = bucketize(byPartner.get(ref)!, asOf);
        equal(expected.at(-1), replays[k], `${ref} on ${asOf}: open items against the replay of documents`);
        equal(agingAmounts(all.rows.find((r: { ref: string }) => r.ref === ref)), expected, `${ref} aging on ${asOf} (all partners)`);
        comparisons++;
      }
      const k = turn % refs.length;
      const ref = refs[k];
      const items = byPartner.get(ref)!;
      const one = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${asOf}&partner=${ref}`));
      equal(agingAmounts(one.rows[0]), bucketize(items, asOf), `${ref} aging on ${asOf} (one partner)`);
      const view = turn++ % 3;
      if (view === 0) {
        const byDate = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${asOf}&group=${group}&by=invoiceDate`));
        for (const r of refs) {
          equal(agingAmounts(byDate.rows.find((x: { ref: string }) => x.ref === r)), bucketize(byPartner.get(r)!.map((i) => ({ due: i.date, amount: i.amount })), asOf), `${r} aging by invoice date on ${asOf}`);
        }
      } else if (view === 1) {
        const summary = await ok(h.request('GET', `/api/ledger/reports/summary?from=${first}&to=${asOf}&group=${group}`));
        refs.forEach((r, i) => equal(summary.rows.find((x: { ref: string }) => x.ref === r)?.closing ?? '0', replays[i], `${r} summary closing on ${asOf}`));
      } else {
        const open = await ok(h.request('GET', `/api/ledger/partners/${ref}/statement?type=outstanding&asOf=${asOf}`));
        const key = (due: string, amount: string) => `${due} ${amount}`;
        equal(open.items.map((i: { dueDate: string; residual: string }) => key(i.dueDate, i.residual)).sort(),
          items.map((i) => key(i.due, String(i.amount))).sort(), `${ref} open items on ${asOf}`);
      }
    }

    const { rows: unbalanced } = await sql<{ move_id: string }>`
      select move_id from ledger_move_line where tenant_id = ${h.tenant.id} group by move_id having sum(debit) <> sum(credit)`.execute(h.db);
    equal(unbalanced, [], 'unbalanced journal entries');
  });
  await fc.assert(property, { seed: 20261125, numRuns: 25, endOnFailure: true });
  t.ok(comparisons > 25 * 3 * 5, `${comparisons} partner-day comparisons held`);
});
