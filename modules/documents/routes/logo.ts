import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { ProblemError, notFound } from '../../../core/errors.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { DocumentsApi } from '../context.js';
import { Problem } from '../http-schemas.js';
import { LOGO_MAX_BYTES, LOGO_TYPES, type LogoType } from '../logo.js';

const LogoOut = Type.Object({
  mediaType: Type.Union([Type.Literal('image/png'), Type.Literal('image/jpeg')]),
  width: Type.Integer({ description: 'Pixels' }),
  height: Type.Integer({ description: 'Pixels' }),
  bytes: Type.Integer(),
  sha256: Type.String(),
});

/** The letterhead logo, uploaded as the request body itself (`content-type: image/png` or `image/jpeg`). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as DocumentsApi;
  const tags = ['documents'];

  // One byte over the limit is enough to say "too large" without reading a huge body.
  app.addContentTypeParser(LOGO_TYPES as unknown as string[], { parseAs: 'buffer', bodyLimit: LOGO_MAX_BYTES + 1 }, (_request, body, done) => done(null, body));

  app.put('/logo', {
    config: { roles: ['accountant'] },
    schema: {
      tags, summary: 'Upload the company\'s letterhead logo: the PNG or JPEG file as the body (at most 200 KB, 3000 × 3000 pixels)',
      description: 'Send the file with `content-type: image/png` or `image/jpeg`. It is printed at most 40 mm wide and 16 mm high, proportions kept. 413 above 200 KB; 400 when the bytes are not a printable image of that type; 415 for another type.',
      response: { 200: LogoOut, 400: Problem, 413: Problem, 415: Problem },
    },
  }, async (request) => {
    const tenant = tenantOf(request);
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!(LOGO_TYPES as readonly string[]).includes(type) || !Buffer.isBuffer(request.body)) {
      throw new ProblemError(415, 'unsupported-media-type', 'Unsupported media type', `Send the logo itself as the body, with content-type ${LOGO_TYPES.join(' or ')}.`);
    }
    const body = request.body as Buffer;
    return request.tx((trx) => api.ownService().logo.put(trx, tenant.id, request.actor, body, type as LogoType));
  });

  app.get('/logo', {
    schema: { tags, summary: 'The company\'s letterhead logo as uploaded', response: { 200: { description: 'The image', content: { 'image/png': { schema: Type.String({ format: 'binary' }) }, 'image/jpeg': { schema: Type.String({ format: 'binary' }) } } }, 404: Problem } },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const logo = await request.tx((trx) => api.ownService().logo.get(trx, tenant.id));
    if (!logo) throw notFound('The company has no logo; upload one with PUT /api/documents/logo.');
    return (reply as FastifyReply).type(logo.mediaType).header('etag', `"${logo.sha256}"`).send(logo.content);
  });

  app.delete('/logo', {
    config: { roles: ['accountant'] },
    schema: { tags, summary: 'Remove the letterhead logo', response: { 204: Type.Null(), 404: Problem } },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const gone = await request.tx((trx) => api.ownService().logo.delete(trx, tenant.id, request.actor));
    if (!gone) throw notFound('The company has no logo.');
    return reply.status(204).send(null);
  });
};

export default routes;
