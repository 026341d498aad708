import type { Static } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { Trx } from '../../core/db/kysely.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import type { ModuleApi } from '../../core/modules/api.js';
import type manifest from './manifest.js';
import './tables.js';

export type FollowUpApi = ModuleApi<typeof manifest>;
export type FollowUpSettings = Static<NonNullable<typeof manifest.settings>>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PartnerRow { id: string; ref: string; name: string; salesperson_id: string | null; lang: string | null; email: string | null }

/** A partner by id or ref through the ledger's service, only among the salespeople's partners when `visible` is set; 404 otherwise. */
export async function partnerOr404(api: FollowUpApi, trx: Trx, tenantId: string, idOrRef: string, visible: string[] | null = null): Promise<PartnerRow> {
  const ledger = api.service('ledger');
  const p = await ledger.partners.resolve(await ledger.books.open(trx, tenantId, SYSTEM_ACTOR, { visibleSalespeople: visible }), idOrRef);
  return { id: p.id, ref: p.ref, name: p.name, salesperson_id: p.salespersonId, lang: p.lang, email: p.email };
}
