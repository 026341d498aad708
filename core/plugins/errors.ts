import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError, problemType, type ProblemFieldError } from '../errors.js';
import { MoneyError } from '../money.js';
import { groupBy } from '../collections.js';

interface ValidationItem { instancePath?: string; message?: string; params?: Record<string, unknown>; keyword?: string }

/** Turns Ajv's findings into field names (`lines[0].unitPrice`, `query.limit`) and plain sentences. */
export function validationErrors(items: ValidationItem[], part: string): ProblemFieldError[] {
  return oneOfLiterals(items).map((v) => {
    const segments = (v.instancePath ?? '').split('/').filter(Boolean).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (v.keyword === 'required' && v.params?.missingProperty) segments.push(String(v.params.missingProperty));
    if (v.keyword === 'additionalProperties' && v.params?.additionalProperty) segments.push(String(v.params.additionalProperty));
    // Body fields are named as the client wrote them (`lines[0].unitPrice`); other parts get a prefix.
    const prefix = part === 'body' ? [] : [part === 'querystring' ? 'query' : part === 'headers' ? 'header' : part];
    const field = [...prefix, ...segments].reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '') || part;
    let message = v.message ?? 'is not valid';
    if (v.keyword === 'required') message = 'is required';
    if (v.keyword === 'additionalProperties') message = 'is not a known field';
    return { field, message };
  });
}

/**
 * A union of literals (`Type.Union([Type.Literal('csv'), …])`) fails as one `const` finding per
 * choice plus an `anyOf`: said once as "must be one of csv, xlsx, …"; a union of types likewise.
 */
function oneOfLiterals(items: ValidationItem[]): ValidationItem[] {
  const out: ValidationItem[] = [];
  for (const [path, found] of groupBy(items, (v) => v.instancePath ?? '')) {
    const choices = found.filter((v) => v.keyword === 'const').map((v) => String(v.params?.allowedValue));
    const types = [...new Set(found.filter((v) => v.keyword === 'type').map((v) => String(v.params?.type)))];
    if (choices.length > 0 && found.every((v) => v.keyword === 'const' || v.keyword === 'anyOf')) out.push({ instancePath: path, keyword: 'enum', message: `must be one of ${choices.join(', ')}` });
    // A union of types (a decimal string or a JSON number) is said once: "must be string or number".
    else if (types.length > 1 && found.every((v) => v.keyword === 'type' || v.keyword === 'anyOf')) out.push({ instancePath: path, keyword: 'type', message: `must be ${types.join(' or ')}` });
    else out.push(...found);
  }
  return out;
}

function send(reply: FastifyReply, request: FastifyRequest, status: number, body: Record<string, unknown>): FastifyReply {
  return reply.status(status).type('application/problem+json').send({ ...body, status, instance: request.url });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a NUL or line break in a header,
 * a malformed request line, headers over the size limit): answered as a problem document too,
 * on the raw socket, then the connection is closed as Node does.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, slug, title, detail] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'request-timeout', 'Request timeout', 'The request was not received in time.']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'Request headers too large', 'The request headers are larger than the server accepts.']
      : [400, 'bad-request', 'The request could not be processed',
        err.code === 'HPE_INVALID_HEADER_TOKEN' || err.code === 'HPE_INVALID_HEADER_VALUE' || err.code === 'HPE_INVALID_HEADER'
          ? 'A request header holds a character HTTP does not allow (a control character such as NUL or a line break).'
          : 'The request is not valid HTTP.'];
  const body = JSON.stringify({ type: problemType(slug), title, detail, status, ...(status === 400 && /HEADER/.test(err.code ?? '') ? { field: 'header' } : {}) });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${title}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/problem+json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** Errors Fastify raises before routing (a URL that is not valid percent-encoding, a too long parameter). */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  send(reply, request, status, { type: problemType('bad-request'), title: 'The request could not be processed', detail: error.message, field: 'url' });
}

export default fp(async (app) => {
  app.setErrorHandler((error: FastifyError & { validation?: ValidationItem[]; validationContext?: string }, request, reply) => {
    if (error instanceof ProblemError) {
      return send(reply, request, error.status, {
        type: problemType(error.slug), title: error.title, detail: error.detail,
        ...(error.field ? { field: error.field } : {}), ...(error.errors ? { errors: error.errors } : {}),
      });
    }
    const money: unknown = error;
    if (money instanceof MoneyError) {
      return send(reply, request, 400, { type: problemType('validation'), title: 'The request is not valid', detail: money.message, field: money.field, errors: [{ field: money.field, message: money.message }] });
    }
    if (error.validation) {
      const errors = validationErrors(error.validation, error.validationContext ?? 'body');
      return send(reply, request, 400, {
        type: problemType('validation'), title: 'The request is not valid',
        detail: errors.map((e) => `${e.field} ${e.message}`).join('; '), field: errors[0]?.field, errors,
      });
    }
    const status = error.statusCode ?? 500;
    if (status === 413) return send(reply, request, 413, { type: problemType('body-too-large'), title: 'Request body too large', detail: error.message });
    if (status === 415) {
      const sent = String(request.headers['content-type'] ?? '').split(';')[0].slice(0, 100);
      const detail = error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? `This route does not take a body of content-type '${sent}'; see its request body in the API reference (/docs).` : error.message;
      return send(reply, request, 415, { type: problemType('unsupported-media-type'), title: 'Unsupported media type', detail, field: 'content-type' });
    }
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (malformed JSON, empty body with a JSON type …).
      const field = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'body' : undefined;
      return send(reply, request, status, { type: problemType(status === 429 ? 'too-many-requests' : 'bad-request'), title: 'The request could not be processed', detail: error.message, ...(field ? { field } : {}) });
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, request, 500, { type: problemType('internal'), title: 'Internal server error', detail: `Something went wrong on the server; quote request id ${request.id} when reporting it.` });
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, request, 404, { type: problemType('not-found'), title: 'Not found', detail: `No route ${request.method} ${request.url.split('?')[0]}` }));
}, { name: 'congno-errors' });
