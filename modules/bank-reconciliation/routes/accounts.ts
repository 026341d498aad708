import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest, notFound } from '../../../core/errors.js';
import type { BankApi } from '../context.js';
import { withBank } from '../http.js';
import { listAccounts } from '../lines.js';
import { PRESETS } from '../parsers/index.js';
import { createRule, deleteRule, listRules } from '../rules.js';
import { AccountOut, AccountPatch, IdParams, Problem, RuleBody, RuleOut } from '../http-schemas.js';

const WRITE = { roles: ['accountant', 'clerk'] as ('accountant' | 'clerk')[] };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as BankApi;
  const tags = ['bank-reconciliation: accounts and rules'];

  app.get('/accounts', {
    schema: { tags, summary: 'Bank accounts with their freshness: last statement date, lines waiting', response: { 200: Type.Array(AccountOut) } },
  }, async (request) => withBank(request, api, (b) => listAccounts(b)));

  app.patch('/accounts/:id', {
    config: WRITE,
    schema: { tags, summary: "Name an account, or save its CSV/XLSX layout (a preset or an own column mapping)", params: IdParams, body: AccountPatch, response: { 200: AccountOut, 400: Problem, 404: Problem } },
  }, async (request) => withBank(request, api, async (b) => {
    const { name, csvPreset, csvMapping } = request.body;
    if (csvPreset !== undefined && !Object.hasOwn(PRESETS, csvPreset)) throw badRequest(`no preset '${csvPreset}' (one of ${Object.keys(PRESETS).join(', ')})`, 'csvPreset');
    const set: Record<string, unknown> = {};
    if (name !== undefined) set.name = name;
    if (csvPreset !== undefined || csvMapping !== undefined) set.csv_mapping = JSON.stringify({ preset: csvPreset, mapping: csvMapping });
    if (Object.keys(set).length > 0) {
      const updated = await b.trx.updateTable('bank_reconciliation_account').set(set).where('tenant_id', '=', b.tenantId).where('id', '=', request.params.id).returning('id').executeTakeFirst();
      if (!updated) throw notFound(`No bank account ${request.params.id}.`);
      await b.api.audit(b.trx, b.tenantId, { actor: b.actor, action: 'bank.account_changed', entity: 'bank_reconciliation_account', entityId: request.params.id, after: request.body });
    }
    const account = (await listAccounts(b)).find((a) => a.id === request.params.id);
    if (!account) throw notFound(`No bank account ${request.params.id}.`);
    return account;
  }));

  app.get('/rules', {
    schema: { tags, summary: 'Matching rules in the order they are tried', response: { 200: Type.Array(RuleOut) } },
  }, async (request) => withBank(request, api, (b) => listRules(b)));

  app.post('/rules', {
    config: WRITE,
    schema: { tags, summary: 'A matching rule: conditions on a line → its payer, a tolerance, automatic or to confirm', body: RuleBody, response: { 201: RuleOut, 400: Problem } },
  }, async (request, reply) => reply.status(201).send(await withBank(request, api, (b) => createRule(b, request.body))));

  app.delete('/rules/:id', {
    config: WRITE,
    schema: { tags, summary: 'Delete a rule', params: IdParams, response: { 204: Type.Null(), 404: Problem } },
  }, async (request, reply) => { await withBank(request, api, (b) => deleteRule(b, request.params.id)); return reply.status(204).send(null); });
};

export default routes;
