import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { isIsoDate } from '../../core/dates.js';
import { badRequest, notFound } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import { MoneyError, formatAmount, parseAmount, type DecimalValue } from '../../core/money.js';
import { getTenant } from '../../core/tenants.js';
import { UUID, type FollowUpApi } from './context.js';
import * as repo from './repository.js';
import type { ExclusionReason, PromiseChannel } from './tables.js';

interface LineRow { id: string; partner_id: string; invoice_id: string | null; residual: bigint; due: string; label: string }

export interface ItemFollowUpView {
  item: { id: string; partner: string; invoice: string | null; label: string; dueDate: string; residual: string };
  excluded: { reason: ExclusionReason; note: string | null; since: string } | null;
  promise: { amount: string; date: string; by: string | null; channel: PromiseChannel | null; note: string | null; madeAt: string } | null;
}

/**
 * An open item (an instalment: a receivable line still owed) by its id, or by its invoice's id
 * when the invoice has exactly one open instalment.
 */
async function openItem(trx: Trx, tenantId: string, id: string, lock = false): Promise<LineRow> {
  if (!UUID.test(id)) throw notFound(`No open item ${id}.`);
  const { rows } = await sql<LineRow>`
    select l.id, l.partner_id, l.invoice_id, l.amount_residual as residual, l.date_maturity as due, coalesce(i.number, m.ref, l.description, 'open item') as label
    from ledger_move_line l
    join ledger_move m on m.tenant_id = l.tenant_id and m.id = l.move_id
    left join ledger_invoice i on i.tenant_id = l.tenant_id and i.id = l.invoice_id
    where l.tenant_id = ${tenantId} and l.receivable and l.debit > 0 and (l.id = ${id}::uuid or l.invoice_id = ${id}::uuid)
    order by l.date_maturity`.execute(trx);
  const byLine = rows.find((r) => r.id === id);
  let line = byLine;
  if (!line) {
    const open = rows.filter((r) => BigInt(r.residual) > 0n);
    if (rows.length === 0) throw notFound(`No open item ${id} (give the id of an instalment or of an invoice).`);
    if (open.length === 0) throw badRequest(`invoice ${rows[0].label} has nothing open any more`, 'id');
    if (open.length > 1) throw badRequest(`invoice ${rows[0].label} has ${open.length} open instalments (due ${open.map((r) => r.due).join(', ')}); give the instalment's id (the items of GET /api/follow-up/partners/{id})`, 'id');
    line = open[0];
  }
  if (lock) await sql`select 1 from ledger_move_line where tenant_id = ${tenantId} and id = ${line.id} for update`.execute(trx);
  return { ...line, residual: BigInt(line.residual) };
}

async function view(trx: Trx, tenantId: string, line: LineRow, currency: string): Promise<ItemFollowUpView> {
  const x = await trx.selectFrom('followup_item').selectAll().where('tenant_id', '=', tenantId).where('line_id', '=', line.id).executeTakeFirst();
  return {
    item: { id: line.id, partner: line.partner_id, invoice: line.invoice_id, label: line.label, dueDate: line.due, residual: formatAmount(line.residual, currency) },
    excluded: x?.excluded_reason ? { reason: x.excluded_reason, note: x.excluded_note, since: x.excluded_at!.toISOString() } : null,
    promise: x?.promise_date && x.promise_amount !== null
      ? { amount: formatAmount(BigInt(x.promise_amount), currency), date: x.promise_date, by: x.promise_by, channel: x.promise_channel, note: x.promise_note, madeAt: x.promised_at!.toISOString() }
      : null,
  };
}

async function snapshot(trx: Trx, tenantId: string, lineId: string) {
  return trx.selectFrom('followup_item').selectAll().where('tenant_id', '=', tenantId).where('line_id', '=', lineId).executeTakeFirst();
}

/** An open item's follow-up state; a salesperson sees only their partners' items (404 otherwise). */
export async function getItem(trx: Trx, tenantId: string, id: string, visible: string[] | null = null): Promise<ItemFollowUpView> {
  const { currency } = await getTenant(trx, tenantId);
  const line = await openItem(trx, tenantId, id);
  if (visible) {
    const partner = await trx.selectFrom('ledger_partner').select('salesperson_id').where('tenant_id', '=', tenantId).where('id', '=', line.partner_id).executeTakeFirst();
    if (!visible.includes(partner?.salesperson_id ?? '')) throw notFound(`No open item ${id}.`);
  }
  return view(trx, tenantId, line, currency);
}

export async function setExclusion(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, id: string, input: { reason: ExclusionReason; note?: string }): Promise<ItemFollowUpView> {
  const { currency } = await getTenant(trx, tenantId);
  const line = await openItem(trx, tenantId, id, true);
  if (line.residual <= 0n) throw badRequest(`${line.label} is paid: nothing to exclude`, 'id');
  const note = input.note?.trim() || null;
  const before = await snapshot(trx, tenantId, line.id);
  await trx.insertInto('followup_item').values({
    tenant_id: tenantId, line_id: line.id, partner_id: line.partner_id, excluded_reason: input.reason, excluded_note: note, excluded_at: new Date(),
    promise_amount: null, promise_date: null, promise_by: null, promise_channel: null, promise_note: null, promise_residual: null, promised_at: null,
  }).onConflict((oc) => oc.columns(['tenant_id', 'line_id']).doUpdateSet({ excluded_reason: input.reason, excluded_note: note, excluded_at: new Date(), updated_at: new Date() })).execute();
  await repo.noteChanged(trx, tenantId, [line.partner_id]);
  await trx.insertInto('followup_note').values({ tenant_id: tenantId, partner_id: line.partner_id, kind: 'exclusion', outcome: null, text: `${line.label} excluded from follow-up: ${input.reason}${note ? ` (${note})` : ''}`, line_id: line.id, next_action_on: null, user_id: actor.userId }).execute();
  await api.audit(trx, tenantId, {
    actor, action: 'followup.item_excluded', entity: 'open_item', entityId: line.id,
    before: { reason: before?.excluded_reason ?? null, note: before?.excluded_note ?? null }, after: { reason: input.reason, note },
  });
  return view(trx, tenantId, line, currency);
}

export async function clearExclusion(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, id: string): Promise<ItemFollowUpView> {
  const { currency } = await getTenant(trx, tenantId);
  const line = await openItem(trx, tenantId, id, true);
  const before = await snapshot(trx, tenantId, line.id);
  if (before?.excluded_reason) {
    await trx.updateTable('followup_item').set({ excluded_reason: null, excluded_note: null, excluded_at: null, updated_at: new Date() })
      .where('tenant_id', '=', tenantId).where('line_id', '=', line.id).execute();
    await repo.noteChanged(trx, tenantId, [line.partner_id]);
    await trx.insertInto('followup_note').values({ tenant_id: tenantId, partner_id: line.partner_id, kind: 'exclusion', outcome: null, text: `${line.label} followed up again (was: ${before.excluded_reason})`, line_id: line.id, next_action_on: null, user_id: actor.userId }).execute();
    await api.audit(trx, tenantId, { actor, action: 'followup.item_included', entity: 'open_item', entityId: line.id, before: { reason: before.excluded_reason, note: before.excluded_note } });
  }
  return view(trx, tenantId, line, currency);
}

/** amount: a decimal string, or a JSON number where exact in the currency. */
export interface PromiseInput { amount: DecimalValue; date: string; by: string; channel: PromiseChannel; note?: string }

/** A promise to pay pauses reminders about the item until its date; unpaid after that, follow-up resumes where it was. */
export async function setPromise(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, id: string, input: PromiseInput): Promise<ItemFollowUpView> {
  const { currency } = await getTenant(trx, tenantId);
  const line = await openItem(trx, tenantId, id, true);
  if (line.residual <= 0n) throw badRequest(`${line.label} is paid: there is nothing to promise`, 'id');
  if (!isIsoDate(input.date)) throw badRequest(`date '${input.date}' is not a date (YYYY-MM-DD)`, 'date');
  let amount: bigint;
  try {
    amount = parseAmount(input.amount, currency, { field: 'amount' });
  } catch (e) {
    throw e instanceof MoneyError ? badRequest(e.message, 'amount') : e;
  }
  if (amount > line.residual) throw badRequest(`amount ${input.amount} is more than the ${formatAmount(line.residual, currency)} ${currency} still open on ${line.label}`, 'amount');
  const by = input.by.trim();
  if (!by) throw badRequest('by must name who promised', 'by');
  const note = input.note?.trim() || null;
  const before = await snapshot(trx, tenantId, line.id);
  const values = {
    promise_amount: amount, promise_date: input.date, promise_by: by, promise_channel: input.channel, promise_note: note,
    promise_residual: line.residual, promised_at: new Date(),
  };
  await trx.insertInto('followup_item').values({ tenant_id: tenantId, line_id: line.id, partner_id: line.partner_id, excluded_reason: null, excluded_note: null, excluded_at: null, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'line_id']).doUpdateSet({ ...values, updated_at: new Date() })).execute();
  await repo.noteChanged(trx, tenantId, [line.partner_id]);
  await trx.insertInto('followup_note').values({ tenant_id: tenantId, partner_id: line.partner_id, kind: 'promise', outcome: null, text: `Promise to pay ${formatAmount(amount, currency)} ${currency} on ${line.label} by ${input.date} (${by}, ${input.channel})${note ? `: ${note}` : ''}`, line_id: line.id, next_action_on: null, user_id: actor.userId }).execute();
  await api.audit(trx, tenantId, {
    actor, action: 'followup.promise_recorded', entity: 'open_item', entityId: line.id,
    before: before?.promise_date ? { amount: formatAmount(BigInt(before.promise_amount!), currency), date: before.promise_date, by: before.promise_by, channel: before.promise_channel } : null,
    after: { amount: formatAmount(amount, currency), date: input.date, by, channel: input.channel, note },
  });
  return view(trx, tenantId, line, currency);
}

export async function clearPromise(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, id: string): Promise<ItemFollowUpView> {
  const { currency } = await getTenant(trx, tenantId);
  const line = await openItem(trx, tenantId, id, true);
  const before = await snapshot(trx, tenantId, line.id);
  if (before?.promise_date) {
    await trx.updateTable('followup_item').set({ promise_amount: null, promise_date: null, promise_by: null, promise_channel: null, promise_note: null, promise_residual: null, promised_at: null, updated_at: new Date() })
      .where('tenant_id', '=', tenantId).where('line_id', '=', line.id).execute();
    await repo.noteChanged(trx, tenantId, [line.partner_id]);
    await api.audit(trx, tenantId, { actor, action: 'followup.promise_withdrawn', entity: 'open_item', entityId: line.id, before: { amount: formatAmount(BigInt(before.promise_amount!), currency), date: before.promise_date, by: before.promise_by } });
  }
  return view(trx, tenantId, line, currency);
}
