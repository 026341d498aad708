import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendTable, type ExportColumn, type ExportFile, type TableSink } from '../../core/export.js';
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


/** A report or list of the request tenant's books as a CSV or XLSX file (core/export.ts), produced in one transaction. */
export function sendBooksTable(
  request: FastifyRequest, reply: FastifyReply, api: LedgerApi, file: ExportFile,
  produce: (books: Books, start: (columns: ExportColumn[]) => TableSink) => Promise<unknown>,
): Promise<FastifyReply> {
  return sendTable(request, reply, file, (start) => withBooks(request, api, (books) => produce(books, start)));
}
