/**
 * The reminders as a working list (GET /actions): every action a run decided — sent, pending,
 * refused, cancelled because the customer paid, missing contact data — per channel and state.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { isIsoDate } from '../../core/dates.js';
import { badRequest } from '../../core/errors.js';
import { decodeCursor, encodeCursor, keyset, nameOrRef, type Page, type SortKey } from '../../core/lists.js';
import { eachPage, type CellKind, type ExportColumn, type TableSink } from '../../core/export.js';
import type { ActionState, Channel } from './tables.js';
import { UUID } from './context.js';

export interface ActionFilter {
  partner?: string; channel?: Channel; state?: ActionState; level?: string; run?: string;
  dateFrom?: string; dateTo?: string;
  /** The partner's name or ref contains this — any case, with or without diacritics. */
  q?: string;
  sort?: 'date' | '-date';
}

export interface ActionListItem {
  id: string; run: string; date: string; channel: Channel; state: ActionState;
  partner: { id: string; ref: string; name: string }; level: { id: string; name: string };
  recipient: string | null; invoices: number;
  /** What happened, in words (the mail server's answer, why it was cancelled, what contact data is missing). */
  result: string | null;
  createdAt: string; doneAt: string | null;
}

function conditions(tenantId: string, f: ActionFilter, visible: string[] | null): RawBuilder<unknown>[] {
  const c: RawBuilder<unknown>[] = [sql`a.tenant_id = ${tenantId}`];
  if (f.partner !== undefined) c.push(UUID.test(f.partner) ? sql`a.partner_id = ${f.partner}::uuid` : sql`p.ref = ${f.partner}`);
  if (f.channel) c.push(sql`a.channel = ${f.channel}`);
  if (f.state) c.push(sql`a.state = ${f.state}`);
  if (f.level !== undefined) c.push(UUID.test(f.level) ? sql`a.level_id = ${f.level}::uuid` : sql`l.name = ${f.level}`);
  if (f.run !== undefined) c.push(UUID.test(f.run) ? sql`a.run_id = ${f.run}::uuid` : sql`false`);
  for (const [field, value] of [['dateFrom', f.dateFrom], ['dateTo', f.dateTo]] as const) {
    if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
  }
  if (f.dateFrom) c.push(sql`a.date >= ${f.dateFrom}::date`);
  if (f.dateTo) c.push(sql`a.date <= ${f.dateTo}::date`);
  if (f.q) c.push(sql`a.partner_id in (select n.id from ledger_partner n where n.tenant_id = ${tenantId} and ${nameOrRef(sql`n.name`, sql`n.ref`, f.q)})`);
  if (visible) c.push(sql`p.salesperson_id = any(${visible}::uuid[])`);
  return c;
}

/** What happened to an action, in words: the mail server's answer, why it was cancelled, what is missing. */
function resultText(result: Record<string, unknown> | null): string | null {
  return typeof result?.message === 'string' ? result.message : typeof result?.reason === 'string' ? result.reason : null;
}

const FROM = sql`followup_action a
  join ledger_partner p on p.tenant_id = a.tenant_id and p.id = a.partner_id
  join followup_level l on l.tenant_id = a.tenant_id and l.id = a.level_id`;

export async function listActions(trx: Trx, tenantId: string, f: ActionFilter, visible: string[] | null, limit: number, cursor?: string): Promise<Page<ActionListItem>> {
  const sortName = f.sort ?? '-date';
  const sort: SortKey = { key: sql`a.date`, cast: 'date', desc: sortName === '-date' };
  const { where, order } = keyset(sort, sql`a.id`, cursor ? decodeCursor(cursor, sortName) : null);
  const c = conditions(tenantId, f, visible);
  if (where) c.push(where);
  const { rows } = await sql<{
    id: string; run_id: string; date: string; channel: Channel; state: ActionState; partner_id: string; ref: string; name: string;
    level_id: string; level_name: string; recipient: string | null; invoices: number; result: Record<string, unknown> | null;
    created_at: Date; done_at: Date | null; sort_value: string;
  }>`
    select a.id, a.run_id, a.date::text as date, a.channel, a.state, a.partner_id, p.ref, p.name, a.level_id, l.name as level_name, a.recipient,
           cardinality(a.invoice_ids) as invoices, a.result, a.created_at, a.done_at, a.date::text as sort_value
    from ${FROM}
    where ${sql.join(c, sql` and `)}
    order by ${order}
    limit ${limit + 1}`.execute(trx);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map((r) => ({
      id: r.id, run: r.run_id, date: r.date, channel: r.channel, state: r.state,
      partner: { id: r.partner_id, ref: r.ref, name: r.name }, level: { id: r.level_id, name: r.level_name },
      recipient: r.recipient, invoices: r.invoices,
      result: resultText(r.result),
      createdAt: r.created_at.toISOString(), doneAt: r.done_at?.toISOString() ?? null,
    })),
    next: rows.length > limit && last ? encodeCursor({ sort: sortName, value: last.sort_value, id: last.id }) : null,
  };
}

/** The count of the filtered actions, and how many there are per state. */
export async function actionTotals(trx: Trx, tenantId: string, f: ActionFilter, visible: string[] | null): Promise<{ count: number; byState: Record<string, number> }> {
  const { rows } = await sql<{ state: ActionState; n: number }>`
    select a.state, count(*)::integer as n from ${FROM} where ${sql.join(conditions(tenantId, f, visible), sql` and `)} group by a.state order by a.state`.execute(trx);
  return { count: rows.reduce((s, r) => s + r.n, 0), byState: Object.fromEntries(rows.map((r) => [r.state, r.n])) };
}

const ACTION_HEADERS = {
  vi: ['Ngày', 'Kênh', 'Trạng thái', 'Mã khách hàng', 'Khách hàng', 'Cấp nhắc nợ', 'Người nhận', 'Số khoản nợ', 'Kết quả'],
  en: ['Date', 'Channel', 'State', 'Partner ref', 'Partner', 'Level', 'Recipient', 'Open items', 'Result'],
};
const ACTION_KINDS: CellKind[] = ['date', 'text', 'text', 'text', 'text', 'text', 'text', 'integer', 'text'];

/** Every action of the filtered list, in its order, as a file. */
export async function exportActions(trx: Trx, tenantId: string, f: ActionFilter, visible: string[] | null, lang: 'vi' | 'en', start: (columns: ExportColumn[]) => TableSink): Promise<void> {
  const order = f.sort === 'date' ? sql`a.date, a.id` : sql`a.date desc, a.id desc`;
  const sink = start(ACTION_HEADERS[lang].map((header, i) => ({ header, kind: ACTION_KINDS[i] })));
  await eachPage<{ date: string; channel: string; state: string; ref: string; name: string; level_name: string; recipient: string | null; invoices: number; result: Record<string, unknown> | null }>(
    trx,
    sql`select a.date::text as date, a.channel, a.state, p.ref, p.name, l.name as level_name, a.recipient, cardinality(a.invoice_ids) as invoices, a.result
        from ${FROM} where ${sql.join(conditions(tenantId, f, visible), sql` and `)} order by ${order}`,
    async (rows) => {
      for (const r of rows) await sink.row([r.date, r.channel, r.state, r.ref, r.name, r.level_name, r.recipient, r.invoices, resultText(r.result)]);
    },
  );
  await sink.end();
}
