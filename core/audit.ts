import { sql } from 'kysely';
import type { Trx } from './db/kysely.js';
import type { Actor } from './events/types.js';

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
  if (list.length === 0) return;
  if (list.length === 1) {
    const [entry] = list;
    await trx.insertInto('core_audit').values({
      tenant_id: tenantId, actor_user_id: entry.actor.userId, actor_token_id: entry.actor.tokenId, module: entry.module, action: entry.action,
      entity: entry.entity, entity_id: entry.entityId, before: json(entry.before), after: json(entry.after), request_id: entry.actor.requestId,
    }).execute();
    return;
  }
  // Many rows (bulk work): one array per column, so the statement stays small whatever the count.
  const column = <T>(f: (e: AuditEntry) => T) => list.map(f);
  await sql`
    insert into core_audit (tenant_id, actor_user_id, actor_token_id, module, action, entity, entity_id, before, after, request_id)
    select ${tenantId}::uuid, * from unnest(${column((e) => e.actor.userId)}::uuid[], ${column((e) => e.actor.tokenId)}::uuid[], ${column((e) => e.module)}::text[],
      ${column((e) => e.action)}::text[], ${column((e) => e.entity)}::text[], ${column((e) => e.entityId)}::text[],
      ${column((e) => json(e.before))}::jsonb[], ${column((e) => json(e.after))}::jsonb[], ${column((e) => e.actor.requestId)}::text[])`.execute(trx);
}
