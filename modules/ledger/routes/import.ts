import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { LedgerApi } from '../context.js';
import { withBooks } from '../http.js';
import { checkDate } from '../partners.js';
import { badRequest, notFound } from '../../../core/errors.js';
import { Type } from 'typebox';
import { importOpeningBalances } from '../import/opening.js';
import { importPartners } from '../import/partners.js';
import { importReceipts } from '../import/receipts.js';
import { importInvoices } from '../import/invoices.js';
import { importEInvoices } from '../import/e-invoices.js';
import { MappingBody, MappingOut, MappingParams, ImportProblem, OpeningImportQuery, OpeningImportResult, PartnerImportQuery, PartnerImportResult, ReceiptImportResult, InvoiceImportResult, EInvoiceImportQuery, EInvoiceImportResult } from '../import/http-schemas.js';
import { checkFormat } from '../import/table.js';
import { checkMapping, deleteMapping, readMapping, saveMapping, type ImportKind } from '../import/mappings.js';
import { PARTNER_COLUMNS } from '../import/partners.js';
import { OPENING_COLUMNS } from '../import/opening.js';
import { INVOICE_COLUMNS } from '../import/invoices.js';
import { RECEIPT_COLUMNS } from '../import/receipts.js';
import type { ColumnDef } from '../import/columns.js';

const COLUMNS: Record<ImportKind, ColumnDef[]> = { partners: PARTNER_COLUMNS, 'opening-balances': OPENING_COLUMNS, invoices: INVOICE_COLUMNS, receipts: RECEIPT_COLUMNS };
const available = (kind: ImportKind) => COLUMNS[kind].map((d) => ({ key: d.key, label: d.label, headers: [d.label, ...d.aliases] }));

const FILE_TYPES = ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/octet-stream', 'application/vnd.ms-excel'];
/** E-invoices: one XML, or a ZIP of them. */
const EINVOICE_TYPES = ['application/xml', 'text/xml', 'application/zip', 'application/x-zip-compressed'];
/** 20 MiB: about 100,000 partner rows of CSV; larger loads go through the bulk loader. */
const FILE_LIMIT = 20 * 1024 * 1024;
const ROLES = ['accountant', 'clerk'] as ('accountant' | 'clerk')[];

function fileOf(request: FastifyRequest): Buffer {
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw badRequest(`send the file itself as the request body, with Content-Type ${FILE_TYPES.slice(0, 3).join(', ')}`, 'body');
  }
  return body;
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as LedgerApi;
  const tags = ['ledger: import'];
  // The raw file, in this scope only: the other routes keep their JSON bodies.
  app.addContentTypeParser([...FILE_TYPES, ...EINVOICE_TYPES], { parseAs: 'buffer', bodyLimit: FILE_LIMIT }, (_request, body, done) => done(null, body));

  app.post('/import/partners', {
    config: { roles: ROLES },
    schema: {
      tags, summary: 'Import partners from CSV or XLSX: new refs created, known refs updated; every row checked first, nothing written on any error',
      consumes: FILE_TYPES, querystring: PartnerImportQuery,
      response: { 200: PartnerImportResult, 201: PartnerImportResult, 400: ImportProblem, 409: ImportProblem, 413: ImportProblem },
    },
  }, async (request, reply) => {
    const file = fileOf(request);
    const format = checkFormat(file, request.query.format);
    const dryRun = request.query.dryRun ?? false;
    const result = await withBooks(request, api, (b) => importPartners(b, file, format, dryRun));
    return reply.status(dryRun ? 200 : 201).send(result);
  });

  app.post('/import/opening-balances', {
    config: { roles: ROLES, idempotent: true },
    schema: {
      tags, summary: 'Import opening balances (per partner at a closing date, or per open invoice) from CSV or XLSX; all or nothing',
      consumes: FILE_TYPES, querystring: OpeningImportQuery,
      response: { 200: OpeningImportResult, 201: OpeningImportResult, 400: ImportProblem, 409: ImportProblem, 413: ImportProblem },
    },
  }, async (request, reply) => {
    const file = fileOf(request);
    const date = request.query.date === undefined ? undefined : checkDate(request.query.date, 'query.date');
    const format = checkFormat(file, request.query.format);
    const dryRun = request.query.dryRun ?? false;
    const result = await withBooks(request, api, (b) => importOpeningBalances(b, file, format, date, dryRun));
    return reply.status(dryRun ? 200 : 201).send(result);
  });

  app.post('/import/invoices', {
    config: { roles: ROLES, idempotent: true },
    schema: {
      tags, summary: "Import invoices from CSV or XLSX (a row per line; an invoice's rows share its number), posted as the bulk posting posts them; all or nothing",
      consumes: FILE_TYPES, querystring: PartnerImportQuery,
      response: { 200: InvoiceImportResult, 201: InvoiceImportResult, 400: ImportProblem, 409: ImportProblem, 413: ImportProblem },
    },
  }, async (request, reply) => {
    const file = fileOf(request);
    const format = checkFormat(file, request.query.format);
    const dryRun = request.query.dryRun ?? false;
    const result = await withBooks(request, api, (b) => importInvoices(b, file, format, dryRun));
    return reply.status(dryRun ? 200 : 201).send(result);
  });

  app.post('/import/e-invoices', {
    config: { roles: ROLES, idempotent: true },
    schema: {
      tags, summary: "Import Vietnamese e-invoices (the tax authority's XML, Circular 78/2021): one XML or a ZIP of them; buyers found or created, totals checked, the XML kept; a duplicate is reported, not posted twice",
      consumes: [...EINVOICE_TYPES, 'application/octet-stream'], querystring: EInvoiceImportQuery,
      response: { 200: EInvoiceImportResult, 201: EInvoiceImportResult, 400: ImportProblem, 413: ImportProblem },
    },
  }, async (request, reply) => {
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) throw badRequest(`send the XML file or a ZIP of them as the request body, with Content-Type ${EINVOICE_TYPES.join(', ')}`, 'body');
    const dryRun = request.query.dryRun ?? false;
    const result = await withBooks(request, api, (b) => importEInvoices(b, body, dryRun));
    return reply.status(dryRun ? 200 : 201).send(result);
  });

  app.get('/import/mappings/:kind', {
    config: { roles: ROLES },
    schema: { tags, summary: "The company's saved headers for an import, and the columns the import reads", params: MappingParams, response: { 200: MappingOut } },
  }, async (request) => {
    const { kind } = request.params;
    const saved = await withBooks(request, api, (b) => readMapping(b, kind));
    return { kind, columns: saved.columns, updatedAt: saved.updatedAt?.toISOString() ?? null, available: available(kind) };
  });

  app.put('/import/mappings/:kind', {
    config: { roles: ROLES },
    schema: {
      tags, summary: "Save the company's own headers for an import (replaces the saved ones); every later file of that kind reads them",
      params: MappingParams, body: MappingBody, response: { 200: MappingOut, 400: ImportProblem },
    },
  }, async (request) => {
    const { kind } = request.params;
    const columns = checkMapping(request.body.columns, COLUMNS[kind]);
    const updatedAt = await withBooks(request, api, (b) => saveMapping(b, kind, columns));
    return { kind, columns, updatedAt: updatedAt.toISOString(), available: available(kind) };
  });

  app.delete('/import/mappings/:kind', {
    config: { roles: ROLES },
    schema: { tags, summary: 'Forget the saved headers of an import', params: MappingParams, response: { 204: Type.Null(), 404: ImportProblem } },
  }, async (request, reply) => {
    const { kind } = request.params;
    const deleted = await withBooks(request, api, (b) => deleteMapping(b, kind));
    if (!deleted) throw notFound(`no saved mapping for the ${kind} import`);
    return reply.status(204).send(null);
  });

  app.post('/import/receipts', {
    config: { roles: ROLES, idempotent: true },
    schema: {
      tags, summary: 'Import receipts (payments received) from CSV or XLSX, one per row, allocated to the invoice named or oldest due first; all or nothing',
      consumes: FILE_TYPES, querystring: PartnerImportQuery,
      response: { 200: ReceiptImportResult, 201: ReceiptImportResult, 400: ImportProblem, 409: ImportProblem, 413: ImportProblem },
    },
  }, async (request, reply) => {
    const file = fileOf(request);
    const format = checkFormat(file, request.query.format);
    const dryRun = request.query.dryRun ?? false;
    const result = await withBooks(request, api, (b) => importReceipts(b, file, format, dryRun));
    return reply.status(dryRun ? 200 : 201).send(result);
  });
};

export default routes;
