import type { FastifyRequest } from 'fastify';
import { tenantOf } from '../../core/plugins/auth.js';
import { visibleSalespeople } from '../../core/scope.js';
import type { Books, LedgerApi } from './context.js';

/** Runs `fn` on the request tenant's books, in one transaction (see request.tx). */
export function withBooks<T>(request: FastifyRequest, api: LedgerApi, fn: (books: Books) => Promise<T>): Promise<T> {
  const tenant = tenantOf(request);
  return request.tx(async (trx) => fn({
    api, trx, tenantId: tenant.id, currency: tenant.currency, timezone: tenant.timezone, actor: request.actor,
    settings: await api.settings(trx, tenant.id),
    visibleSalespeople: await visibleSalespeople(trx, tenant.id, request.auth),
  }));
}

/** What a list answers: `format` when given, else a file when `Accept` asks for CSV or a workbook, else JSON. */
export function listFormat(request: FastifyRequest, format?: 'json' | 'csv' | 'xlsx'): 'json' | 'csv' | 'xlsx' {
  if (format) return format;
  const accept = request.headers.accept ?? '';
  if (/\btext\/csv\b/i.test(accept)) return 'csv';
  if (/spreadsheetml\.sheet/i.test(accept)) return 'xlsx';
  return 'json';
}
