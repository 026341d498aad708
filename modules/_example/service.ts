import type { Trx } from '../../core/db/kysely.js';
import { badRequest } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import type { ExampleApi } from './context.js';
import * as repo from './repository.js';

export interface Note { id: string; text: string; createdAt: string; publishedAt: string | null }

export function toNote(row: { id: string; text: string; created_at: Date; published_at: Date | null }): Note {
  return { id: row.id, text: row.text, createdAt: row.created_at.toISOString(), publishedAt: row.published_at?.toISOString() ?? null };
}

/** Writes a note and emits `note.created` in the same transaction (hooks may still veto it). */
export async function createNote(api: ExampleApi, trx: Trx, tenantId: string, actor: Actor, text: string): Promise<Note> {
  const settings = await api.settings(trx, tenantId);
  if (text.trim().length === 0) throw badRequest('text must not be blank', 'text');
  if (text.length > settings.maxLength) throw badRequest(`text is ${text.length} characters long; at most ${settings.maxLength} are allowed`, 'text');
  const row = await repo.insertNote(trx, tenantId, text, actor.userId);
  await api.audit(trx, tenantId, { actor, action: 'note.created', entity: 'note', entityId: row.id, after: { text } });
  await api.emit(trx, tenantId, 'note.created', { id: row.id, text }, { actor });
  return toNote(row);
}
