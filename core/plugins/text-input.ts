import fp from 'fastify-plugin';
import { badRequest } from '../errors.js';

/**
 * Text PostgreSQL cannot store: the NUL character (in text and jsonb alike) and UTF-16 halves
 * without their other half (jsonb refuses their escapes). Found anywhere in a request they would
 * fail deep inside a query as a 500; they are refused first, as a 400 naming the field.
 */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function unstorableText(text: string): string | null {
  const m = UNSTORABLE.exec(text);
  if (!m) return null;
  return m[0] === '\u0000'
    ? `contains the NUL character (U+0000) at position ${m.index + 1}, which cannot be stored`
    : `contains an unpaired UTF-16 surrogate at position ${m.index + 1}; send valid Unicode text`;
}

/** The first string in `value` that cannot be stored, with its field name (`lines[0].description`); iterative, any depth. */
export function findUnstorableText(value: unknown, prefix: string): { field: string; message: string } | null {
  const stack: Array<[unknown, string]> = [[value, prefix]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const message = unstorableText(v);
      if (message) return { field: path || prefix, message };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i];
        const keyProblem = unstorableText(k);
        if (keyProblem) return { field: path ? `${path}.${JSON.stringify(k)}` : JSON.stringify(k), message: `a field name ${keyProblem}` };
        stack.push([child, path ? `${path}.${k}` : k]);
      }
    }
  }
  return null;
}

export default fp(async (app) => {
  app.addHook('preValidation', async (request) => {
    const found = findUnstorableText(request.params, 'params')
      ?? findUnstorableText(request.query, 'query')
      ?? findUnstorableText(request.body, '');
    if (found) throw badRequest(`${found.field} ${found.message}`, found.field || 'body');
  });
}, { name: 'congno-text-input' });
