import type { Trx } from '../../core/db/kysely.js';
import { badRequest } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import type { ExampleApi } from './context.js';
import * as repo from './repository.js';

export interface Note { id: string; text: string; partner: repo.NotePartner | null; createdAt: string; publishedAt: string | null }

export function toNote(row: { id: string; text: string; partner_id: string | null; partner_ref: string | null; partner_name: string | null; created_at: Date; published_at: Date | null }): Note {
  return {
    id: row.id, text: row.text, partner: row.partner_id ? { id: row.partner_id, ref: row.partner_ref!, name: row.partner_name! } : null,
    createdAt: row.created_at.toISOString(), publishedAt: row.published_at?.toISOString() ?? null,
  };
}

/**
 * The customer a note names (id or ref), through the ledger's service: another module is reached
 * only through its public.ts, here an `optional` one, so it may be absent from the server or off
 * for the tenant.
 */
async function notePartner(api: ExampleApi, trx: Trx, tenantId: string, actor: Actor, idOrRef: string): Promise<repo.NotePartner> {
  const ledger = api.optionalService('ledger');
  if (!ledger || !(await api.isEnabled(trx, tenantId, 'ledger'))) throw badRequest('this company does not keep its books in congno (the ledger module is not enabled): a note cannot name a partner', 'partner');
  const partner = await ledger.partners.resolve(await ledger.books.open(trx, tenantId, actor), idOrRef, 'partner');
  return { id: partner.id, ref: partner.ref, name: partner.name };
}

/** Writes a note and emits `note.created` in the same transaction (hooks may still veto it). */
export async function createNote(api: ExampleApi, trx: Trx, tenantId: string, actor: Actor, text: string, partnerIdOrRef?: string): Promise<Note> {
  const settings = await api.settings(trx, tenantId);
  if (text.trim().length === 0) throw badRequest('text must not be blank', 'text');
  if (text.length > settings.maxLength) throw badRequest(`text is ${text.length} characters long; at most ${settings.maxLength} are allowed`, 'text');
  const partner = partnerIdOrRef === undefined ? null : await notePartner(api, trx, tenantId, actor, partnerIdOrRef);
  const row = await repo.insertNote(trx, tenantId, text, actor.userId, partner);
  await api.audit(trx, tenantId, { actor, action: 'note.created', entity: 'note', entityId: row.id, after: { text, partner: partner?.ref ?? null } });
  await api.emit(trx, tenantId, 'note.created', { id: row.id, text }, { actor });
  return toNote(row);
}
