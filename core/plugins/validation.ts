import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

const base: Options = { allErrors: true, useDefaults: true, strict: false };

/**
 * Bodies are validated as sent: no type coercion ("1234" stays a string, 1234 is refused where a
 * string is wanted) and unknown fields are errors, never silently dropped. Path parameters,
 * query strings and headers arrive as text, so there numbers and booleans are coerced.
 */
export function installValidators(app: FastifyInstance): void {
  const strict = new Ajv({ ...base, coerceTypes: false, removeAdditional: false });
  const coercing = new Ajv({ ...base, coerceTypes: 'array', removeAdditional: false });
  addFormats.default(strict);
  addFormats.default(coercing);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
