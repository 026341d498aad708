import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../../core/errors.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { ExampleApi } from '../context.js';
import { createNote, toNote } from '../service.js';
import * as repo from '../repository.js';
import { ListQuery, NewNote, Note, NoteParams, Problem, Stats } from '../http-schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as ExampleApi;
  const tags = ['example'];

  app.get('/notes', {
    schema: { tags, summary: 'Latest notes', querystring: ListQuery, response: { 200: Type.Array(Note) } },
  }, async (request) => {
    const tenant = tenantOf(request);
    const rows = await request.tx((trx) => repo.listNotes(trx, tenant.id, request.query.limit));
    return rows.map(toNote);
  });

  app.post('/notes', {
    config: { idempotent: true, roles: ['accountant', 'clerk'] },
    schema: { tags, summary: 'Write a note', body: NewNote, response: { 201: Note, 400: Problem } },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const note = await request.tx((trx) => createNote(api, trx, tenant.id, request.actor, request.body.text, request.body.partner));
    return reply.status(201).send(note);
  });

  app.get('/notes/:id', {
    schema: { tags, summary: 'One note', params: NoteParams, response: { 200: Note, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    const row = await request.tx((trx) => repo.findNote(trx, tenant.id, request.params.id));
    if (!row) throw notFound(`No note ${request.params.id}.`);
    return toNote(row);
  });

  app.get('/stats', {
    schema: { tags, summary: 'Note counter (kept by the hook) and daily digests (written by the job)', response: { 200: Stats } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => ({ notes: await repo.counter(trx, tenant.id), digests: await repo.digests(trx, tenant.id) }));
  });
};

export default routes;
