import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import type { Facts, Item, PartnerState } from './policy.js';
import type { ExclusionReason } from './tables.js';
import './tables.js';

export interface PartnerFacts extends Facts {
  partnerId: string;
  /** Open items followed up and past due on `date`. */
  overdue: bigint;
}

/**
 * The run's pass over the open items: per partner, the oldest followed-up due date, the oldest
 * not-excluded one, the overdue amount followed up, the balance and the end of the earliest running
 * promise. Partners without open items do not appear.
 *
 * Two statements: the aggregate of every partner reads only the columns of the index
 * `ledger_move_line_open` (an index-only scan: at size M 28 ms where the join with the follow-up
 * facts of each line, which needs the line's id from the table, took 250 ms); then the partners with
 * an exclusion or a promise on some item — few — are aggregated again with those facts, and their
 * rows replace the first ones.
 */
export async function openItemFacts(trx: Trx, tenantId: string, date: string, partnerIds?: string[]): Promise<PartnerFacts[]> {
  if (partnerIds && partnerIds.length === 0) return [];
  const only = partnerIds ? sql`and l.partner_id = any(${partnerIds}::uuid[])` : sql``;
  const { rows: plain } = await sql<{ partner_id: string; balance: bigint; overdue: bigint; oldest: string | null }>`
    select l.partner_id,
           sum(l.amount_residual)::bigint as balance,
           coalesce(sum(l.amount_residual) filter (where l.amount_residual > 0 and l.date_maturity < ${date}::date), 0)::bigint as overdue,
           min(l.date_maturity) filter (where l.amount_residual > 0) as oldest
    from ledger_move_line l
    where l.tenant_id = ${tenantId} and l.receivable and l.amount_residual <> 0 ${only}
    group by l.partner_id`.execute(trx);
  const { rows: special } = await sql<{ partner_id: string; balance: bigint; overdue: bigint; oldest_eligible: string | null; oldest_relevant: string | null; promise_until: string | null }>`
    with marked as (
      select distinct x.partner_id from followup_item x
      where x.tenant_id = ${tenantId} and (x.excluded_reason is not null or x.promise_date is not null)
        ${partnerIds ? sql`and x.partner_id = any(${partnerIds}::uuid[])` : sql``}
    )
    select l.partner_id,
           sum(l.amount_residual)::bigint as balance,
           coalesce(sum(l.amount_residual) filter (where l.amount_residual > 0 and x.excluded_reason is null and (x.promise_date is null or x.promise_date < ${date}::date) and l.date_maturity < ${date}::date), 0)::bigint as overdue,
           min(l.date_maturity) filter (where l.amount_residual > 0 and x.excluded_reason is null and (x.promise_date is null or x.promise_date < ${date}::date)) as oldest_eligible,
           min(l.date_maturity) filter (where l.amount_residual > 0 and x.excluded_reason is null) as oldest_relevant,
           min(x.promise_date) filter (where l.amount_residual > 0 and x.excluded_reason is null and x.promise_date >= ${date}::date) as promise_until
    from marked m
    join ledger_move_line l on l.tenant_id = ${tenantId} and l.partner_id = m.partner_id and l.receivable and l.amount_residual <> 0
    left join followup_item x on x.tenant_id = l.tenant_id and x.line_id = l.id
    group by l.partner_id`.execute(trx);
  const marked = new Map(special.map((r) => [r.partner_id, r]));
  return plain.map((p) => {
    const r = marked.get(p.partner_id);
    if (r) {
      return {
        partnerId: r.partner_id, balance: BigInt(r.balance), overdue: BigInt(r.overdue), oldestEligibleDue: r.oldest_eligible, oldestRelevantDue: r.oldest_relevant,
        promiseRunsUntil: r.promise_until,
      };
    }
    return { partnerId: p.partner_id, balance: BigInt(p.balance), overdue: BigInt(p.overdue), oldestEligibleDue: p.oldest, oldestRelevantDue: p.oldest, promiseRunsUntil: null };
  });
}

/** For the partners a run acts on: the invoices of their open items followed up and due by `date + lead` (what the reminder is about). */
export async function reminderInvoices(trx: Trx, tenantId: string, partnerIds: string[], date: string, lead: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (partnerIds.length === 0) return out;
  const { rows } = await sql<{ partner_id: string; invoice_ids: string[] }>`
    select l.partner_id, array_agg(distinct l.invoice_id) as invoice_ids
    from ledger_move_line l
    left join followup_item x on x.tenant_id = l.tenant_id and x.line_id = l.id
    where l.tenant_id = ${tenantId} and l.partner_id = any(${partnerIds}::uuid[]) and l.receivable and l.amount_residual > 0
      and l.invoice_id is not null and l.date_maturity <= ${date}::date + ${lead}::integer
      and x.excluded_reason is null and (x.promise_date is null or x.promise_date < ${date}::date)
    group by l.partner_id`.execute(trx);
  for (const r of rows) out.set(r.partner_id, r.invoice_ids);
  return out;
}

export interface StoredState extends PartnerState { plan: string | null; responsibleUserId: string | null; nextCheckOn: string | null }

/** The partners' follow-up state: one partner, the partners listed, or all of the tenant. */
export async function partnerStates(trx: Trx, tenantId: string, partner?: string | string[]): Promise<Map<string, StoredState>> {
  let q = trx.selectFrom('followup_partner').select(['partner_id', 'plan', 'responsible_user_id', 'episode', 'last_level_id', 'last_level_delay', 'last_reminder_on', 'next_action_on', 'next_check_on'])
    .where('tenant_id', '=', tenantId);
  if (typeof partner === 'string') q = q.where('partner_id', '=', partner);
  else if (partner) q = q.where('partner_id', '=', sql<string>`any(${partner}::uuid[])`);
  const out = new Map<string, StoredState>();
  if (Array.isArray(partner) && partner.length === 0) return out;
  for (const r of await q.execute()) {
    out.set(r.partner_id, {
      plan: r.plan, responsibleUserId: r.responsible_user_id, episode: r.episode, lastLevelId: r.last_level_id,
      lastLevelDelay: r.last_level_delay, lastReminderOn: r.last_reminder_on, nextActionOn: r.next_action_on, nextCheckOn: r.next_check_on,
    });
  }
  return out;
}

/**
 * Notes that a partner's open items or follow-up facts changed, for the next incremental run: an
 * append-only row in the changing transaction (no key, so concurrent writers never wait for each
 * other). Once per partner and transaction: a bulk of events for one partner writes one row. (The
 * set assumes no savepoint is rolled back before the transaction goes on changing the same partner:
 * nothing does so today — the relay's savepoint around a subscriber ends its transaction's work.)
 */
const noted = new WeakMap<object, Set<string>>();
export async function noteChanged(trx: Trx, tenantId: string, partnerIds: Iterable<string | null | undefined>): Promise<void> {
  let seen = noted.get(trx);
  if (!seen) noted.set(trx, (seen = new Set()));
  const fresh: string[] = [];
  for (const id of partnerIds) {
    if (!id || seen.has(id)) continue;
    seen.add(id);
    fresh.push(id);
  }
  if (fresh.length === 0) return;
  await sql`insert into followup_change (tenant_id, partner_id) select ${tenantId}, p from unnest(${fresh}::uuid[]) as p`.execute(trx);
}

/** A partner's open items (debits and credits) with their follow-up facts, oldest due first. */
export async function partnerItems(trx: Trx, tenantId: string, partnerId: string): Promise<Item[]> {
  return (await partnersItems(trx, tenantId, [partnerId])).get(partnerId) ?? [];
}

/** The open items of several partners at once, each partner's in due-date order. */
export async function partnersItems(trx: Trx, tenantId: string, partnerIds: string[]): Promise<Map<string, Item[]>> {
  const out = new Map<string, Item[]>();
  if (partnerIds.length === 0) return out;
  const { rows } = await sql<{
    partner_id: string; id: string; invoice_id: string | null; number: string | null; ref: string | null; description: string | null; due: string; residual: bigint;
    excluded_reason: ExclusionReason | null; excluded_note: string | null;
    promise_amount: bigint | null; promise_date: string | null; promise_by: string | null; promise_channel: string | null; promise_residual: bigint | null;
  }>`
    select l.partner_id, l.id, l.invoice_id, i.number, m.ref, l.description, l.date_maturity as due, l.amount_residual as residual,
           x.excluded_reason, x.excluded_note, x.promise_amount, x.promise_date, x.promise_by, x.promise_channel, x.promise_residual
    from ledger_move_line l
    join ledger_move m on m.tenant_id = l.tenant_id and m.id = l.move_id
    left join ledger_invoice i on i.tenant_id = l.tenant_id and i.id = l.invoice_id
    left join followup_item x on x.tenant_id = l.tenant_id and x.line_id = l.id
    where l.tenant_id = ${tenantId} and l.partner_id = any(${partnerIds}::uuid[]) and l.receivable and l.amount_residual <> 0
    order by l.partner_id, l.date_maturity, l.date, l.id`.execute(trx);
  for (const r of rows) {
    const list = out.get(r.partner_id) ?? [];
    list.push(toItem(r));
    out.set(r.partner_id, list);
  }
  return out;
}

function toItem(r: {
  id: string; invoice_id: string | null; number: string | null; ref: string | null; description: string | null; due: string; residual: bigint;
  excluded_reason: ExclusionReason | null; excluded_note: string | null;
  promise_amount: bigint | null; promise_date: string | null; promise_by: string | null; promise_channel: string | null; promise_residual: bigint | null;
}): Item {
  return {
    id: r.id, invoiceId: r.invoice_id, label: r.number ?? r.ref ?? r.description ?? 'open item', dueDate: r.due, residual: BigInt(r.residual),
    excluded: r.excluded_reason ? { reason: r.excluded_reason, note: r.excluded_note } : null,
    promise: r.promise_date && r.promise_amount !== null
      ? { amount: BigInt(r.promise_amount), date: r.promise_date, by: r.promise_by, channel: r.promise_channel, residualThen: r.promise_residual === null ? null : BigInt(r.promise_residual) }
      : null,
  };
}

export interface Contact { partnerId: string; name: string; salespersonId: string | null; email: string | null; phone: string | null; address: unknown; lang: string | null; contactName: string | null }

/** Where to reach partners: the follow-up contact first, else the partner's own data. */
export async function contacts(trx: Trx, tenantId: string, partnerIds: string[]): Promise<Map<string, Contact>> {
  const out = new Map<string, Contact>();
  if (partnerIds.length === 0) return out;
  const { rows } = await sql<{ id: string; name: string; salesperson_id: string | null; email: string | null; phone: string | null; address: unknown; lang: string | null; contact_name: string | null }>`
    select p.id, p.name, p.salesperson_id, coalesce(c.email, nullif(p.email, '')) as email, coalesce(c.phone, nullif(p.phone, '')) as phone, p.address,
           coalesce(c.lang, p.lang) as lang, c.name as contact_name
    from ledger_partner p
    left join lateral (
      select nullif(c.email, '') as email, nullif(c.phone, '') as phone, c.lang, c.name from ledger_partner_contact c
      where c.tenant_id = p.tenant_id and c.partner_id = p.id and c.kind = 'followup'
      order by (nullif(c.email, '') is null), c.id limit 1
    ) c on true
    where p.tenant_id = ${tenantId} and p.id = any(${partnerIds}::uuid[])`.execute(trx);
  for (const r of rows) out.set(r.id, { partnerId: r.id, name: r.name, salespersonId: r.salesperson_id, email: r.email, phone: r.phone, address: r.address, lang: r.lang, contactName: r.contact_name });
  return out;
}
