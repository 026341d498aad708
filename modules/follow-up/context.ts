import type { Static } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { Db, Trx } from '../../core/db/kysely.js';
import { notFound } from '../../core/errors.js';
import type { ModuleApi } from '../../core/modules/api.js';
import type manifest from './manifest.js';
import './tables.js';

export type FollowUpApi = ModuleApi<typeof manifest>;
export type FollowUpSettings = Static<NonNullable<typeof manifest.settings>>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The server's database, per app instance. A sender must commit "I am about to hand this message
 * over" *before* calling the mail server (a subscriber's own transaction commits only after it
 * returns), so it needs a transaction of its own. Core gives subscribers no database handle, so
 * the module's route plugin records the app's (`app.congno.db`) when the server boots.
 */
const databases = new WeakMap<object, Db>();

export function bindDatabase(api: object, db: Db): void {
  databases.set(api, db);
}

export function databaseOf(api: object): Db | undefined {
  return databases.get(api);
}

export interface PartnerRow { id: string; ref: string; name: string; salesperson_id: string | null; lang: string | null; email: string | null }

/** A partner by id or ref, only among the salespeople's partners when `visible` is set; 404 otherwise. */
export async function partnerOr404(trx: Trx, tenantId: string, idOrRef: string, visible: string[] | null = null): Promise<PartnerRow> {
  let q = trx.selectFrom('ledger_partner').select(['id', 'ref', 'name', 'salesperson_id', 'lang', 'email']).where('tenant_id', '=', tenantId);
  q = UUID.test(idOrRef) ? q.where('id', '=', idOrRef) : q.where('ref', '=', idOrRef);
  const row = await q.executeTakeFirst();
  if (!row || (visible && !visible.includes(row.salesperson_id ?? ''))) throw notFound(`No partner '${idOrRef}'.`);
  return row;
}

export type { FastifyRequest };
