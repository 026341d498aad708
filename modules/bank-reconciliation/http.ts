import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../core/errors.js';
import { tenantOf } from '../../core/plugins/auth.js';
import { visibleSalespeople } from '../../core/scope.js';
import { openBank, type Bank, type BankApi } from './context.js';

/** Runs `fn` on the request tenant's bank books, in the request's one transaction. */
export function withBank<T>(request: FastifyRequest, api: BankApi, fn: (bank: Bank) => Promise<T>): Promise<T> {
  const tenant = tenantOf(request);
  return request.tx(async (trx) => fn({ ...(await openBank(api, trx, tenant.id, request.actor)), visibleSalespeople: await visibleSalespeople(trx, tenant.id, request.auth) }));
}

export const FILE_TYPES = ['application/octet-stream', 'text/plain', 'text/csv', 'application/xml', 'text/xml', 'application/x-ofx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/vnd.ms-excel'];

export function fileOf(request: FastifyRequest): Buffer {
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) throw badRequest(`send the statement file itself as the request body (Content-Type ${FILE_TYPES.slice(0, 4).join(', ')} …)`, 'body');
  return body;
}
