import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

const base: Options = { allErrors: true, useDefaults: true, strict: false };

/** PostgreSQL's `integer`: where a schema gives an integer no bounds of its own, these apply. */
export const INTEGER_MIN = -2_147_483_648;
export const INTEGER_MAX = 2_147_483_647;

/**
 * Adjusts a route's input schema in place (so the OpenAPI document says the same):
 * - every integer without bounds of its own gets those of PostgreSQL's `integer`: `1e308` is an
 *   integer to JSON Schema and would otherwise reach a query and fail there;
 * - a property with a default is not required of the client (validation fills it in).
 */
export function prepareInputSchema(schema: unknown): void {
  const stack: unknown[] = [schema];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const s = stack.pop();
    if (s === null || typeof s !== 'object' || seen.has(s)) continue;
    seen.add(s);
    const node = s as Record<string, unknown>;
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (types.includes('integer')) {
      if (node.minimum === undefined && node.exclusiveMinimum === undefined) node.minimum = INTEGER_MIN;
      if (node.maximum === undefined && node.exclusiveMaximum === undefined) node.maximum = INTEGER_MAX;
    }
    if (Array.isArray(node.required) && node.properties && typeof node.properties === 'object') {
      const properties = node.properties as Record<string, { default?: unknown }>;
      node.required = node.required.filter((name: string) => properties[name]?.default === undefined);
    }
    for (const v of Object.values(node)) if (v !== null && typeof v === 'object') stack.push(v);
  }
}

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
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (!schema) return;
    for (const part of ['body', 'querystring', 'params', 'headers']) prepareInputSchema(schema[part]);
  });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
