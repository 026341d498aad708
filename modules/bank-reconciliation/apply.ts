import { sql } from 'kysely';
import { badRequest, conflict, notFound } from '../../core/errors.js';
import { formatAmount, parseAmount } from '../../core/money.js';
import type { Bank } from './context.js';
import type { OpenInvoice } from './matching.js';

/** A bank line (money in) settling invoices: a bank-matched payment is created in the ledger. */
export interface MatchDecision {
  lineId: string;
  partnerId: string;
  date: string;
  amount: bigint;
  allocations: Array<{ invoiceId: string; amount: bigint }>;
  /** What stays open on an invoice after the allocation and is written off (short payment, bank fee). */
  writeOff?: { invoiceId: string; amount: bigint; reason?: string };
  rule: string;
  reason: string;
}

/** Payments per call of the ledger's bulk service (its per-call work — the lock of the open items — is then done a few times per statement, not once per thousand lines). */
const CHUNK = 20_000;

/**
 * Applies matches: one bank-matched ledger payment per line (through the ledger's bulk service,
 * so invoices go to `paid` and `payment.reconciled` fires in this transaction), write-offs, the
 * match records and the lines' state.
 */
export async function applyMatches(bank: Bank, decisions: MatchDecision[]): Promise<void> {
  const { currency } = bank.books;
  const { rows: lines } = decisions.length === 0 ? { rows: [] } : await sql<{ id: string; reference: string | null; description: string }>`
    select id, reference, description from bank_reconciliation_line where tenant_id = ${bank.tenantId} and id = any(${decisions.map((d) => d.lineId)}::uuid[])`.execute(bank.trx);
  const text = new Map(lines.map((l) => [l.id, (l.reference ?? l.description).slice(0, 140)]));
  const paymentIds: string[] = [];
  for (let i = 0; i < decisions.length; i += CHUNK) {
    const chunk = decisions.slice(i, i + CHUNK);
    const { payments } = await bank.ledger.payments.registerInBulk(bank.books, chunk.map((d) => ({
      partner: d.partnerId, date: d.date, amount: d.amount, reference: text.get(d.lineId), journal: 'bank' as const,
      allocations: d.allocations.map((a) => ({ invoice: a.invoiceId, amount: a.amount })),
    })), { bankMatched: true });
    paymentIds.push(...payments.map((p) => p.id));
  }
  for (const d of decisions) {
    if (d.writeOff) await bank.ledger.payments.writeOff(bank.books, d.writeOff.invoiceId, { amount: d.writeOff.amount, date: d.date, reason: d.writeOff.reason ?? `Difference on bank line (${d.rule})` });
  }
  if (decisions.length === 0) return;
  await sql`
    with m as (
      select * from unnest(${decisions.map((d) => d.lineId)}::uuid[], ${paymentIds}::uuid[], ${decisions.map((d) => d.amount.toString())}::bigint[],
                           ${decisions.map((d) => d.rule)}::text[], ${decisions.map((d) => d.reason)}::text[], ${decisions.map((d) => d.partnerId)}::uuid[])
        as t(line_id, payment_id, amount, rule, reason, partner_id)
    ), inserted as (
      insert into bank_reconciliation_match (tenant_id, line_id, payment_id, amount, created_payment, rule, reason, matched_by)
      select ${bank.tenantId}, line_id, payment_id, amount, true, rule, reason, ${bank.actor.userId}::uuid from m
    )
    update bank_reconciliation_line l set match_state = 'matched', partner_id = m.partner_id, match_rule = m.rule, match_reason = m.reason, suggestion = null, version = l.version + 1
    from m where l.tenant_id = ${bank.tenantId} and l.id = m.line_id`.execute(bank.trx);
  const payloads = decisions.map((d, i) => ({ lineId: d.lineId, paymentIds: [paymentIds[i]], invoiceIds: d.allocations.map((a) => a.invoiceId), rule: d.rule }));
  await bank.api.audit(bank.trx, bank.tenantId, payloads.map((p, i) => ({ actor: bank.actor, action: 'bank.line_matched', entity: 'bank_reconciliation_line', entityId: p.lineId, after: { ...p, reason: decisions[i].reason } })));
  await bank.api.emitMany(bank.trx, bank.tenantId, 'bank.line_matched', payloads, { actor: bank.actor });
}

interface LockedLine { id: string; date: string; amount: bigint; match_state: string; counterparty_account: string | null; version: number }

async function lockLine(bank: Bank, lineId: string): Promise<LockedLine> {
  const { rows: [line] } = await sql<LockedLine>`
    select id, date, amount, match_state, counterparty_account, version from bank_reconciliation_line
    where tenant_id = ${bank.tenantId} and id = ${lineId} for update`.execute(bank.trx);
  if (!line) throw notFound(`No bank statement line ${lineId}.`);
  return line;
}

export interface ManualMatch {
  invoices?: string[];
  payment?: string;
  /** Write off what stays open on the last invoice (within the ledger's write-off limit). */
  writeOff?: boolean | { amount?: string | number; reason?: string };
  /** Remember the payer: a rule mapping this line's counterparty account to the partner. */
  saveRule?: boolean;
  /** The line's version the clerk saw: a line changed since answers 409. */
  version?: number;
}

/**
 * A clerk matches a line: to invoices (the line's amount applied to them in the order given,
 * partially when it is less than what is open), or to a payment registered before (which is then
 * confirmed by the bank). A line matched meanwhile by someone else answers 409.
 */
export async function matchLine(bank: Bank, lineId: string, input: ManualMatch): Promise<{ warnings: string[] }> {
  const line = await lockLine(bank, lineId);
  if (line.match_state === 'matched') throw conflict(`Line ${lineId} is already matched; unmatch it first.`, 'line-matched');
  if (input.version !== undefined && input.version !== line.version) throw conflict(`Line ${lineId} changed since version ${input.version} (now ${line.version}).`, 'line-changed');
  if (line.amount <= 0n) throw badRequest('money going out is not matched to customer invoices or receipts', 'id');
  const { currency } = bank.books;
  if ((input.invoices?.length ? 1 : 0) + (input.payment ? 1 : 0) !== 1) throw badRequest('give either invoices or payment', 'invoices');

  if (input.payment) {
    const payment = await bank.ledger.payments.get(bank.books, input.payment).catch(() => { throw badRequest(`no payment ${input.payment}`, 'payment'); });
    if (payment.reversedOn) throw badRequest(`payment ${input.payment} was reversed`, 'payment');
    if (payment.bankMatched) throw conflict(`Payment ${input.payment} is already matched to a bank line.`, 'payment-matched');
    const { amount } = payment;
    if (amount !== line.amount) throw badRequest(`the payment is ${formatAmount(amount, currency)} and the line ${formatAmount(line.amount, currency)}: a payment is confirmed by a line of the same amount`, 'payment');
    await bank.ledger.payments.setBankMatched(bank.books, input.payment, true);
    await sql`insert into bank_reconciliation_match (tenant_id, line_id, payment_id, amount, created_payment, rule, reason, matched_by)
      values (${bank.tenantId}, ${lineId}, ${input.payment}, ${amount.toString()}::bigint, false, 'manual', 'payment confirmed by a clerk', ${bank.actor.userId}::uuid)`.execute(bank.trx);
    await sql`update bank_reconciliation_line set match_state = 'matched', partner_id = ${payment.partnerId}, match_rule = 'manual', match_reason = 'payment confirmed by a clerk', suggestion = null, version = version + 1
      where tenant_id = ${bank.tenantId} and id = ${lineId}`.execute(bank.trx);
    await bank.api.audit(bank.trx, bank.tenantId, { actor: bank.actor, action: 'bank.line_matched', entity: 'bank_reconciliation_line', entityId: lineId, after: { payment: input.payment, rule: 'manual' } });
    await bank.api.emit(bank.trx, bank.tenantId, 'bank.line_matched', { lineId, paymentIds: [input.payment], invoiceIds: payment.allocations.map((a) => a.invoiceId).filter((x): x is string => !!x), rule: 'manual' }, { actor: bank.actor });
    return { warnings: input.saveRule ? await savePayerRule(bank, line, payment.partnerId) : [] };
  }

  const ids = input.invoices!;
  // An invoice by its id or its number, as a clerk reads it on the bank line.
  const isId = (x: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(x);
  const { rows } = await sql<OpenInvoice & { kind: string; state: string }>`
    select id, number, payment_reference, partner_id, residual, due_date, date, kind, state from ledger_invoice
    where tenant_id = ${bank.tenantId} and (id = any(${ids.filter(isId)}::uuid[]) or number = any(${ids.filter((x) => !isId(x))}::text[]))`.execute(bank.trx);
  const byId = new Map(rows.flatMap((r) => [[r.id, r], ...(r.number ? [[r.number, r] as const] : [])]));
  const invoices = ids.map((id, i) => {
    const inv = byId.get(id);
    if (!inv || inv.kind !== 'invoice' || inv.state !== 'posted') throw badRequest(`no posted invoice ${id} (give its id or number)`, `invoices[${i}]`);
    if (inv.residual <= 0n) throw badRequest(`nothing is open on ${inv.number}`, `invoices[${i}]`);
    return inv;
  });
  if (new Set(invoices.map((i) => i.partner_id)).size > 1) throw badRequest('the invoices belong to different customers; a bank line pays one customer', 'invoices');
  let left = line.amount;
  const allocations: MatchDecision['allocations'] = [];
  for (const inv of invoices) {
    const take = inv.residual < left ? inv.residual : left;
    if (take > 0n) allocations.push({ invoiceId: inv.id, amount: take });
    left -= take;
  }
  const last = invoices.at(-1)!;
  const lastOpen = last.residual - (allocations.find((a) => a.invoiceId === last.id)?.amount ?? 0n);
  let writeOff: MatchDecision['writeOff'];
  if (input.writeOff) {
    const given = typeof input.writeOff === 'object' ? input.writeOff : {};
    const amount = given.amount !== undefined ? parseAmount(given.amount, currency, { field: 'writeOff.amount' }) : lastOpen;
    if (amount <= 0n || amount > lastOpen) throw badRequest(`${formatAmount(lastOpen, currency)} stays open on ${last.number}; a write-off is at most that`, 'writeOff');
    writeOff = { invoiceId: last.id, amount, reason: given.reason };
  }
  await applyMatches(bank, [{
    lineId, partnerId: last.partner_id, date: line.date, amount: line.amount, allocations, writeOff, rule: 'manual',
    reason: `matched by a clerk to ${invoices.map((i) => i.number).join(', ')}${left > 0n ? `; ${formatAmount(left, currency)} kept as the customer's credit` : ''}`,
  }]);
  return { warnings: input.saveRule ? await savePayerRule(bank, line, last.partner_id) : [] };
}

/** Remembers the line's payer account for the partner; a line without one is matched all the same, with a warning. */
async function savePayerRule(bank: Bank, line: LockedLine, partnerId: string): Promise<string[]> {
  if (!line.counterparty_account) return ['no rule was saved: the line names no payer account to remember'];
  await bank.trx.insertInto('bank_reconciliation_rule').values({
    tenant_id: bank.tenantId, name: `payer ${line.counterparty_account}`, sequence: 10, active: true,
    conditions: JSON.stringify({ counterpartyAccount: line.counterparty_account }), action: JSON.stringify({ partner: partnerId, autoValidate: true }),
  }).execute();
  return [];
}

/**
 * Undoes a line's matches: payments the match created are reversed (dated the line's date, so
 * history reads as if they never were), payments confirmed by it are unconfirmed. Audited.
 */
export async function unmatchLine(bank: Bank, lineId: string): Promise<void> {
  const line = await lockLine(bank, lineId);
  if (line.match_state !== 'matched') throw conflict(`Line ${lineId} is not matched.`, 'line-not-matched');
  const { rows: matches } = await sql<{ id: string; payment_id: string; created_payment: boolean }>`
    select id, payment_id, created_payment from bank_reconciliation_match where tenant_id = ${bank.tenantId} and line_id = ${lineId} and undone_at is null order by id for update`.execute(bank.trx);
  for (const m of matches) {
    if (m.created_payment) await bank.ledger.payments.reverse(bank.books, m.payment_id, { date: line.date, reason: 'bank match undone' });
    else await bank.ledger.payments.setBankMatched(bank.books, m.payment_id, false);
  }
  await sql`update bank_reconciliation_match set undone_at = now() where tenant_id = ${bank.tenantId} and line_id = ${lineId} and undone_at is null`.execute(bank.trx);
  await sql`update bank_reconciliation_line set match_state = 'unmatched', partner_id = null, match_rule = null, match_reason = null, suggestion = null, version = version + 1
    where tenant_id = ${bank.tenantId} and id = ${lineId}`.execute(bank.trx);
  const paymentIds = matches.map((m) => m.payment_id);
  await bank.api.audit(bank.trx, bank.tenantId, { actor: bank.actor, action: 'bank.line_unmatched', entity: 'bank_reconciliation_line', entityId: lineId, before: { payments: paymentIds } });
  await bank.api.emit(bank.trx, bank.tenantId, 'bank.line_unmatched', { lineId, paymentIds }, { actor: bank.actor });
}
