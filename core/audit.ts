import { sql, type RawBuilder } from 'kysely';
import type { Trx } from './db/kysely.js';
import type { Actor } from './events/types.js';
import { isIsoDate } from './dates.js';
import { badRequest } from './errors.js';
import { eachPage, type ExportColumn, type Lang, type TableSink } from './export.js';

export interface AuditEntry {
  actor: Actor;
  module: string;
  /** What happened, e.g. `payment.allocated`, `invoice.reversed`, `followup.level_changed`. */
  action: string;
  entity: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));

/** Appends audit rows in the caller's transaction: the record and the change commit together. */
export async function audit(trx: Trx, tenantId: string, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length > 0) await auditInsert(tenantId, list).execute(trx);
}

/**
 * The insert of audit rows as a statement to run or to put in a `with` (the event bus writes an
 * event's audit rows with the event). One array per column, so the statement stays small and its
 * text the same whatever the count.
 */
export function auditInsert(tenantId: string, list: AuditEntry[]): RawBuilder<unknown> {
  const column = <T>(f: (e: AuditEntry) => T) => list.map(f);
  return sql`
    insert into core_audit (tenant_id, actor_user_id, actor_token_id, module, action, entity, entity_id, before, after, request_id)
    select ${tenantId}::uuid, * from unnest(${column((e) => e.actor.userId)}::uuid[], ${column((e) => e.actor.tokenId)}::uuid[], ${column((e) => e.module)}::text[],
      ${column((e) => e.action)}::text[], ${column((e) => e.entity)}::text[], ${column((e) => e.entityId)}::text[],
      ${column((e) => json(e.before))}::jsonb[], ${column((e) => json(e.after))}::jsonb[], ${column((e) => e.actor.requestId)}::text[])`;
}

// ---- Reading the log -----------------------------------------------------------------------

export interface AuditQuery {
  /** The changed object: `type:id` (`invoice:3f…`), a type alone (`invoice`, lower-case letters), or an id. */
  object?: string;
  /** The user who made the change (user id). */
  user?: string;
  module?: string;
  action?: string;
  /** Days in the tenant's time zone, both included. */
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface AuditItem {
  id: string;
  at: string;
  actor: { user: string | null; name: string | null; token: string | null; requestId: string | null };
  module: string;
  action: string;
  object: { type: string; id: string };
  before: unknown;
  after: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The filters of a read of the log, checked; every one names its field when it is wrong. */
function auditConditions(tenantId: string, timezone: string, q: Omit<AuditQuery, 'limit' | 'cursor'>) {
  const c = [sql`a.tenant_id = ${tenantId}`];
  if (q.object) {
    const [type, id] = q.object.includes(':') ? q.object.split(':', 2) : /^[a-z][a-z_]*$/.test(q.object) ? [q.object, null] : [null, q.object];
    if (type) c.push(sql`a.entity = ${type}`);
    if (id) c.push(sql`a.entity_id = ${id}`);
  }
  if (q.user !== undefined) {
    if (!UUID.test(q.user)) throw badRequest(`user '${q.user}' is not a user id`, 'user');
    c.push(sql`a.actor_user_id = ${q.user}::uuid`);
  }
  if (q.module) c.push(sql`a.module = ${q.module}`);
  if (q.action) c.push(sql`a.action = ${q.action}`);
  for (const [field, value] of [['from', q.from], ['to', q.to]] as const) {
    if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
  }
  if (q.from) c.push(sql`a.at >= (${q.from}::date)::timestamp at time zone ${timezone}`);
  if (q.to) c.push(sql`a.at < (${q.to}::date + 1)::timestamp at time zone ${timezone}`);
  return c;
}

/** The tenant's audit log, newest first, paged by a cursor (the id of the last row shown). */
export async function readAudit(trx: Trx, tenantId: string, timezone: string, q: AuditQuery): Promise<{ items: AuditItem[]; next: string | null }> {
  const c = auditConditions(tenantId, timezone, q);
  if (q.cursor !== undefined) {
    if (!/^\d{1,19}$/.test(q.cursor)) throw badRequest('cursor is not one this list gave (use `next` of the page before)', 'cursor');
    c.push(sql`a.id < ${q.cursor}::bigint`);
  }
  const { rows } = await sql<{
    id: bigint; at: Date; actor_user_id: string | null; name: string | null; actor_token_id: string | null; request_id: string | null;
    module: string; action: string; entity: string; entity_id: string; before: unknown; after: unknown;
  }>`
    select a.id, a.at, a.actor_user_id, u.name, a.actor_token_id, a.request_id, a.module, a.action, a.entity, a.entity_id, a.before, a.after
    from core_audit a
    left join core_user u on u.tenant_id = a.tenant_id and u.id = a.actor_user_id
    where ${sql.join(c, sql` and `)}
    order by a.id desc
    limit ${q.limit + 1}`.execute(trx);
  const shown = rows.slice(0, q.limit);
  return {
    items: shown.map((r) => ({
      id: String(r.id), at: r.at.toISOString(),
      actor: { user: r.actor_user_id, name: r.name, token: r.actor_token_id, requestId: r.request_id },
      module: r.module, action: r.action, object: { type: r.entity, id: r.entity_id }, before: r.before ?? null, after: r.after ?? null,
    })),
    next: rows.length > q.limit ? String(shown.at(-1)!.id) : null,
  };
}

const AUDIT_HEADERS: Record<Lang, string[]> = {
  vi: ['Thời điểm', 'Người dùng', 'Mã người dùng', 'Token', 'Phân hệ', 'Hành động', 'Loại đối tượng', 'Mã đối tượng', 'Trước', 'Sau', 'Mã yêu cầu'],
  en: ['At', 'User', 'User id', 'Token', 'Module', 'Action', 'Object type', 'Object id', 'Before', 'After', 'Request id'],
};

/**
 * Every entry the filters select (paging aside), newest first, as a table: the time in the
 * company's time zone, before and after as JSON text. Read through a cursor, so a year of log
 * is never held in memory.
 */
export async function exportAudit(trx: Trx, tenantId: string, timezone: string, q: Omit<AuditQuery, 'limit' | 'cursor'>, lang: Lang, start: (columns: ExportColumn[]) => TableSink): Promise<void> {
  const c = auditConditions(tenantId, timezone, q);
  const sink = start(AUDIT_HEADERS[lang].map((header) => ({ header, kind: 'text' as const })));
  type Row = { at: string; name: string | null; actor_user_id: string | null; actor_token_id: string | null; module: string; action: string; entity: string; entity_id: string; before: unknown; after: unknown; request_id: string | null };
  await eachPage<Row>(trx, sql`
    select to_char(a.at at time zone ${timezone}, 'YYYY-MM-DD HH24:MI:SS') as at, u.name, a.actor_user_id, a.actor_token_id, a.module, a.action, a.entity, a.entity_id, a.before, a.after, a.request_id
    from core_audit a
    left join core_user u on u.tenant_id = a.tenant_id and u.id = a.actor_user_id
    where ${sql.join(c, sql` and `)}
    order by a.id desc`, async (rows) => {
    const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
    for (const r of rows) await sink.row([r.at, r.name, r.actor_user_id, r.actor_token_id, r.module, r.action, r.entity, r.entity_id, json(r.before), json(r.after), r.request_id]);
  });
  await sink.end();
}
