import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import './tables.js';

export interface NotePartner { id: string; ref: string; name: string }

export async function insertNote(trx: Trx, tenantId: string, text: string, authorUserId: string | null, partner: NotePartner | null) {
  return trx.insertInto('example_note').values({
    tenant_id: tenantId, text, author_user_id: authorUserId, published_at: null, publish_key: null,
    partner_id: partner?.id ?? null, partner_ref: partner?.ref ?? null, partner_name: partner?.name ?? null,
  })
    .returningAll().executeTakeFirstOrThrow();
}

export async function findNote(trx: Trx, tenantId: string, id: string) {
  return trx.selectFrom('example_note').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listNotes(trx: Trx, tenantId: string, limit: number) {
  return trx.selectFrom('example_note').selectAll().where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
}

export async function incrementCounter(trx: Trx, tenantId: string): Promise<void> {
  await trx.insertInto('example_note_counter').values({ tenant_id: tenantId, notes: 1 })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ notes: sql`example_note_counter.notes + 1` })).execute();
}

export async function counter(trx: Trx, tenantId: string): Promise<number> {
  const row = await trx.selectFrom('example_note_counter').select('notes').where('tenant_id', '=', tenantId).executeTakeFirst();
  return row?.notes ?? 0;
}

export async function markPublished(trx: Trx, tenantId: string, id: string, key: string): Promise<void> {
  await trx.updateTable('example_note').set({ published_at: sql`now()` as never, publish_key: key })
    .where('tenant_id', '=', tenantId).where('id', '=', id).where('published_at', 'is', null).execute();
}

/** Counts the notes created on `date` (tenant time zone) and records the digest once. */
export async function writeDigest(trx: Trx, tenantId: string, date: string, timezone: string): Promise<void> {
  await sql`
    insert into example_digest (tenant_id, date, notes)
    select ${tenantId}, ${date}::date, count(*)::int from example_note
    where tenant_id = ${tenantId} and (created_at at time zone ${timezone})::date = ${date}::date
    on conflict (tenant_id, date) do nothing`.execute(trx);
}

export async function digests(trx: Trx, tenantId: string) {
  return trx.selectFrom('example_digest').select(['date', 'notes']).where('tenant_id', '=', tenantId).orderBy('date', 'desc').execute();
}
