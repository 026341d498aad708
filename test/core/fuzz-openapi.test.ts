/**
 * Every write route of /openapi.json, sent what careless and hostile clients send: wrong types,
 * missing and unknown fields, NUL and broken Unicode, huge strings, numbers at and past every
 * bound, hostile path parameters. Nothing may answer 5xx; every refusal is a problem document,
 * and a 400 names the field.
 */
import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

type Schema = Record<string, any>;
interface Operation { method: string; path: string; schema: Schema | null; contentTypes: string[] }

const UUID = '00000000-0000-4000-8000-000000000001';
const HOSTILE_VALUES: unknown[] = [
  null, true, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, '', ' ', '\u0000', 'a\u0000b', '\ud800x', 'x'.repeat(100_000),
  '1e308', '-0', '99999999999999999999999999999.999', '2026-02-30', '0000-00-00', {}, [], [null], { a: { b: { c: {} } } },
];
const HOSTILE_PARAMS = ['%00', 'x'.repeat(3000), '1e308', '..%2F..%2Fetc', '%F0%9F%98', '-1', UUID];
/** Hostile files with the format they pretend to be (asked for with ?format= where a route takes it). */
const HOSTILE_FILES: Array<[string, string, Buffer]> = [
  ['text/csv', 'csv', Buffer.from('Ngày giao dịch,Số tiền ghi có,Số dư,Nội dung\r\n05/03/2026,1.000,1.000,a\u0000b\r\n')],
  ['text/csv', 'csv', Buffer.from('Ngày giao dịch,Số tiền ghi có,Số dư,Nội dung\r\n30/02/2026,-1,1.000,x\r\n')],
  ['text/csv', 'csv', Buffer.alloc(2048, 0)],
  ['application/octet-stream', 'ofx', Buffer.from('<OFX>' + '<A>'.repeat(50_000))],
  ['application/octet-stream', 'ofx', Buffer.from('<OFX>' + '<STMTTRN><TRNAMT>1'.repeat(200_000))],
  ['application/octet-stream', 'mt940', Buffer.from(':20:X\r\n:25:1\r\n:60F:C260301VND1,\r\n:61:2602300230C5,NTRFNONREF\r\n:86:' + 'a'.repeat(10_000) + '\u0000\r\n:62F:C260302VND6,\r\n-')],
  ['application/xml', 'camt053', Buffer.from('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>')],
  ['application/xml', 'camt053', Buffer.from('<Document>' + '<a>'.repeat(100_000) + '</a>'.repeat(100_000) + '</Document>')],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx', Buffer.from('PK\u0003\u0004 not really a zip')],
];

function resolve(doc: Schema, s: Schema | undefined): Schema | undefined {
  let out = s;
  for (let i = 0; out?.$ref && i < 10; i++) out = doc.components?.schemas?.[String(out.$ref).replace('#/components/schemas/', '')];
  return out;
}

/** A plausible value of the schema (its first choice, example or bound). */
function sample(doc: Schema, raw: Schema | undefined, depth = 0): unknown {
  const s = resolve(doc, raw);
  if (!s || depth > 6) return null;
  const choices = s.anyOf ?? s.oneOf;
  if (choices) return sample(doc, choices.find((c: Schema) => resolve(doc, c)?.type !== 'null') ?? choices[0], depth + 1);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  const type = Array.isArray(s.type) ? s.type.find((x: string) => x !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) out[key] = sample(doc, s.properties?.[key], depth + 1);
      return out;
    }
    case 'array': return Array.from({ length: Math.max(1, s.minItems ?? 0) }, () => sample(doc, s.items, depth + 1));
    case 'integer': case 'number': return s.minimum ?? 1;
    case 'boolean': return false;
    case 'string':
      if (s.format === 'date') return '2026-03-01';
      if (s.format === 'uuid') return UUID;
      if (s.format === 'email') return 'ke.toan@example.vn';
      if (s.format === 'date-time') return '2026-03-01T00:00:00Z';
      return '1000';
    default: return 'x';
  }
}

/** Paths to every property of the body's object tree (the first element of arrays), up to depth 3. */
function propertyPaths(doc: Schema, raw: Schema | undefined, prefix: Array<string | number> = [], depth = 0): Array<Array<string | number>> {
  const s = resolve(doc, raw);
  if (!s || depth > 3) return [];
  const choices = s.anyOf ?? s.oneOf;
  if (choices) return choices.flatMap((c: Schema) => propertyPaths(doc, c, prefix, depth));
  if (s.type === 'array') return propertyPaths(doc, s.items, [...prefix, 0], depth + 1);
  if (s.type !== 'object' || !s.properties) return [];
  return Object.entries(s.properties).flatMap(([k, v]) => [[...prefix, k], ...propertyPaths(doc, v as Schema, [...prefix, k], depth + 1)]);
}

function setAt(base: unknown, path: Array<string | number>, value: unknown): unknown {
  const root = structuredClone(base) ?? {};
  let node: any = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    if (node[key] === null || typeof node[key] !== 'object') node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key];
  }
  node[path[path.length - 1]] = value;
  return root;
}

function writeOperations(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths)) {
    for (const method of ['post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const content = op.requestBody?.content ?? {};
      out.push({ method: method.toUpperCase(), path, schema: content['application/json']?.schema ?? null, contentTypes: Object.keys(content) });
    }
  }
  return out;
}

t.test('every write route refuses hostile input with a problem document, never a 5xx', async (t) => {
  const h: TestApp = await buildTestApp(t, { modules: ['ledger', 'payment-terms', 'follow-up', 'bank-reconciliation', 'example'] });
  const accountant = await h.tokenFor('accountant');
  const doc = (await h.request('GET', '/openapi.json', undefined, { token: null })).json();
  // Real objects, so that requests on them reach past the 404 into the code that does the work.
  const ok = (res: { statusCode: number; body: string; json(): any }) => { if (res.statusCode >= 300) throw new Error(res.body); return res.json(); };
  const as = (method: 'POST' | 'GET', url: string, body?: unknown) => h.request(method, url, body, { token: accountant.token });
  const partner = ok(await as('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát', email: 'kt@minhphat.vn' }));
  const invoice = ok(await as('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '500000' }] }));
  const payment = ok(await as('POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-03-05', amount: '100000' }));
  const term = ok(await as('POST', '/api/payment-terms/terms', { name: '30 ngày', lines: [{ value: 'balance', delayType: 'days_after', days: 30 }] }));
  const level = ok(await as('GET', '/api/follow-up/levels'))[0];
  const rule = ok(await as('POST', '/api/bank-reconciliation/rules', { name: 'r', conditions: { textContains: 'MINH PHAT' }, action: { partner: 'KH01' } }));
  const statement = ok(await h.app.inject({ method: 'POST', url: '/api/bank-reconciliation/statements?format=csv', headers: { authorization: `Bearer ${accountant.token}`, 'content-type': 'text/csv' },
    payload: 'Số tài khoản: 0071000123456,,,,,\r\nNgày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Nội dung\r\n05/03/2026,FT1,,400.000,1.400.000,KHONG RO\r\n' }));
  const line = ok(await as('GET', `/api/bank-reconciliation/statements/${statement.id}/lines`))[0];
  const account = ok(await as('GET', '/api/bank-reconciliation/accounts'))[0];
  const token = ok(await h.request('POST', `/api/admin/tenants/${h.tenant.slug}/tokens`, { name: 'Fuzz', role: 'clerk' }, { token: h.adminToken }));
  const ids: Array<[RegExp, string]> = [
    [/\/tenants\/\{[^}]+\}/, `/tenants/${h.tenant.slug}`], [/\/modules\/\{[^}]+\}/, '/modules/example'], [/\/tokens\/\{[^}]+\}/, `/tokens/${token.id ?? UUID}`],
    [/\/invoices\/\{[^}]+\}/, `/invoices/${invoice.id}`], [/\/items\/\{[^}]+\}/, `/items/${invoice.id}`], [/\/payments\/\{[^}]+\}/, `/payments/${payment.id}`],
    [/\/partners\/\{[^}]+\}/, `/partners/${partner.ref}`], [/\/terms\/\{[^}]+\}/, `/terms/${term.id}`], [/\/levels\/\{[^}]+\}/, `/levels/${level.id}`],
    [/\/rules\/\{[^}]+\}/, `/rules/${rule.id}`], [/\/lines\/\{[^}]+\}/, `/lines/${line.id}`], [/\/accounts\/\{[^}]+\}/, `/accounts/${account.id}`],
  ];
  const real = (path: string) => ids.reduce((p, [re, to]) => p.replace(re, to), path);
  // Deleting comes last, so that the other routes find their objects.
  const operations = writeOperations(doc).sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  t.ok(operations.length >= 40, `${operations.length} write operations`);

  const failures: string[] = [];
  let sent = 0;
  const statuses = new Map<number, number>();
  const send = async (op: Operation, path: string, what: string, payload: unknown, contentType = 'application/json') => {
    sent++;
    const token = path.startsWith('/api/admin') ? h.adminToken : accountant.token;
    const res = await h.app.inject({
      method: op.method as 'POST', url: path, headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      ...(payload === undefined ? {} : { payload: Buffer.isBuffer(payload) || typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    const where = `${op.method} ${path} ${what}`;
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    if (res.statusCode >= 500) { failures.push(`${where}: ${res.statusCode} ${res.body.slice(0, 300)}`); return; }
    if (res.statusCode >= 400) {
      if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) failures.push(`${where}: ${res.statusCode} is not a problem document`);
      else if (res.statusCode === 400 && typeof res.json().field !== 'string') failures.push(`${where}: 400 names no field: ${res.body.slice(0, 300)}`);
    }
  };
  const fill = (path: string, value: string) => path.replace(/\{[^}]+\}/g, value);

  for (const op of operations) {
    const path = fill(real(op.path), UUID);
    for (const p of HOSTILE_PARAMS) if (op.path.includes('{')) await send(op, fill(op.path, p), `param ${p.slice(0, 20)}`, op.schema ? sample(doc, op.schema) : undefined);
    if (!op.schema) {
      for (const [type, format, file] of op.contentTypes.length ? HOSTILE_FILES : []) {
        await send(op, path, `file ${type}`, file, type);
        await send(op, `${path}?format=${format}`, `file ${format}`, file, type);
      }
      continue;
    }
    const base = sample(doc, op.schema);
    for (const whole of [undefined, '', '{', '[]', '"x"', '1', 'null', '{}', '{"a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}']) {
      await send(op, path, `body ${String(whole).slice(0, 12)}`, whole === undefined ? undefined : whole);
    }
    await send(op, path, 'base', base);
    await send(op, path, 'unknown field', { ...(base as object), zzz: 1 });
    for (const field of propertyPaths(doc, op.schema)) {
      for (const value of HOSTILE_VALUES) await send(op, path, `${field.join('.')}=${JSON.stringify(value)?.slice(0, 20)}`, setAt(base, field, value));
    }
  }
  t.comment(`answers: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  t.ok(sent > 1000, `${sent} requests sent`);
  t.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > 20, 'some requests were valid enough to be carried out');
  t.same(failures.slice(0, 50), [], `${failures.length} answers broke the rules`);
});
