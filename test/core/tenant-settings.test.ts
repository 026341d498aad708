/**
 * `GET/PATCH /api/<module>/settings`: a company's accountant configures the company's modules
 * (SMTP, reminder interval, templates …) with the integrator's validation, merge and masking;
 * enabling modules stays the integrator's.
 */
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MODULES_DIR, PROJECT_ROOT } from '../../core/app.js';
import { discoverModules, loadRegistry } from '../../core/modules/registry.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

const admin = (h: TestApp, method: 'GET' | 'PUT' | 'PATCH' | 'DELETE', module: string, body?: unknown) =>
  h.request(method, `/api/admin/tenants/${h.tenant.slug}/modules/${module}`, body, { token: h.adminToken });

const storedSettings = async (h: TestApp, module: string) =>
  (await h.db.selectFrom('core_tenant_module').select('settings').where('tenant_id', '=', h.tenant.id).where('module', '=', module).executeTakeFirstOrThrow()).settings as Record<string, any>;

t.test('the accountant reads and changes the follow-up settings: SMTP, reminder interval, templates', async (t) => {
  const h = await buildTestApp(t, { modules: ['follow-up'] });
  const accountant = await h.tokenFor('accountant');
  const as = (method: 'GET' | 'PATCH', body?: unknown) => h.request(method, '/api/follow-up/settings', body, { token: accountant.token });
  t.equal((await admin(h, 'PATCH', 'follow-up', { settings: { email: { host: 'smtp.old.vn', user: 'ar', password: 'old-secret' } } })).statusCode, 200, 'the integrator set an SMTP account');

  const read = await as('GET');
  t.equal(read.statusCode, 200);
  t.match(read.json(), { state: 'enabled', version: '1.0.0', settings: { minIntervalDays: 5, email: { host: 'smtp.old.vn', port: 587, user: 'ar', password: '***' } } });
  t.notMatch(read.body, /old-secret/, 'the password never leaves the server');
  t.same(read.json(), (await admin(h, 'GET', 'follow-up')).json(), 'the same answer as the integrator gets');

  const patched = await as('PATCH', {
    settings: {
      email: { host: 'smtp.acme.vn', port: 465, secure: true, from: 'Phòng kế toán ACME <ketoan@acme.vn>', password: 'n3w-s3cret' },
      minIntervalDays: 10,
      templates: { 'overdue/email.vi': 'Subject: Nhắc nợ {{partner.name}}\nKính gửi quý khách,' },
    },
  });
  t.equal(patched.statusCode, 200, patched.body);
  t.match(patched.json().settings, { minIntervalDays: 10, runHour: 6, email: { host: 'smtp.acme.vn', port: 465, secure: true, user: 'ar', password: '***', from: 'Phòng kế toán ACME <ketoan@acme.vn>' } },
    'merged into the stored settings, the password masked');
  t.notMatch(patched.body, /n3w-s3cret/);

  const seenByIntegrator = (await admin(h, 'GET', 'follow-up')).json();
  t.same(seenByIntegrator.settings, patched.json().settings, 'the integrator sees the same values');
  t.equal(seenByIntegrator.settings.email.password, '***');
  t.equal((await storedSettings(h, 'follow-up')).email.password, 'n3w-s3cret', 'the module gets the real password');

  // Read, change one thing, send everything back: the mask keeps the password.
  const again = (await as('GET')).json().settings;
  const roundTrip = await as('PATCH', { settings: { ...again, runHour: 7 } });
  t.equal(roundTrip.statusCode, 200);
  const stored = await storedSettings(h, 'follow-up');
  t.equal(stored.runHour, 7);
  t.equal(stored.email.password, 'n3w-s3cret', "sending '***' back keeps the password");

  const audit = await h.db.selectFrom('core_audit').select(['actor_user_id', 'module', 'action', 'entity', 'entity_id', 'before', 'after'])
    .where('action', '=', 'module.settings_changed').where('actor_user_id', '=', accountant.userId).orderBy('id').execute();
  t.equal(audit.length, 2, 'one audit row per change, the accountant as actor');
  t.match(audit[0], { module: 'core', entity: 'module', entity_id: 'follow-up', before: { minIntervalDays: 5, email: { host: 'smtp.old.vn', password: '***' } }, after: { minIntervalDays: 10, email: { host: 'smtp.acme.vn', password: '***' } } });
  t.notMatch(JSON.stringify(audit), /secret/, 'no password in the audit log');
});

t.test('invalid settings: 400 naming the field, as the integrator route names it; nothing stored', async (t) => {
  const h = await buildTestApp(t, { modules: ['follow-up'] });
  const accountant = await h.tokenFor('accountant');
  const before = await storedSettings(h, 'follow-up');
  const cases: Array<[string, unknown, string]> = [
    ['a port as text', { email: { port: '587' } }, 'settings.email.port'],
    ['an interval past its maximum', { minIntervalDays: 400 }, 'settings.minIntervalDays'],
    ['an unknown SMTP option', { email: { tls: true } }, 'settings.email.tls'],
    ['an unknown setting', { colour: 'red' }, 'settings.colour'],
    ['an empty template', { templates: { 'overdue/email.vi': '' } }, 'settings.templates.overdue/email.vi'],
    ['not an object', ['minIntervalDays'], 'settings'],
  ];
  for (const [what, settings, field] of cases) {
    const res = await h.request('PATCH', '/api/follow-up/settings', { settings }, { token: accountant.token });
    t.equal(res.statusCode, 400, what);
    t.match(res.headers['content-type'], /^application\/problem\+json/, what);
    t.equal(res.json().field, field, `${what} names ${field}`);
    const integrator = await admin(h, 'PATCH', 'follow-up', { settings });
    t.same({ status: res.statusCode, field: res.json().field }, { status: integrator.statusCode, field: integrator.json().field }, `${what}: the integrator route says the same`);
  }
  const unknownBody = await h.request('PATCH', '/api/follow-up/settings', { settings: {}, enabled: false }, { token: accountant.token });
  t.equal(unknownBody.statusCode, 400);
  t.equal(unknownBody.json().field, 'enabled');
  t.same(await storedSettings(h, 'follow-up'), before, 'nothing was stored');
});

t.test("a module refuses what its schema cannot know: a ledger account the chart does not have", async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const accountant = await h.tokenFor('accountant');
  const as = (method: 'PATCH' | 'POST', url: string, body: unknown) => h.request(method, url, body, { token: accountant.token });
  const refused = await as('PATCH', '/api/ledger/settings', { settings: { accounts: { receivable: '1e308' } } });
  t.equal(refused.statusCode, 400);
  t.match(refused.json(), { field: 'settings.accounts.receivable', detail: /1e308.*chart of accounts/ });
  t.equal((await storedSettings(h, 'ledger')).accounts.receivable, '131', 'nothing stored');
  t.equal((await admin(h, 'PATCH', 'ledger', { settings: { accounts: { writeOff: '999' } } })).json().field, 'settings.accounts.writeOff', 'the integrator route checks the same');

  t.equal((await as('PATCH', '/api/ledger/settings', { settings: { accounts: { revenue: '711' }, invoiceSeries: 'HD' } })).statusCode, 200, 'an account of the chart is accepted');
  t.equal((await as('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' })).statusCode, 201);
  const invoice = await as('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '500000' }] });
  t.equal(invoice.statusCode, 201, 'and invoices post with it');
  t.match(invoice.json().number, /^HD/);
  t.equal((await as('POST', `/api/ledger/invoices/${invoice.json().id}/reverse`, {})).statusCode, 200);
});

t.test('roles: the accountant only; a module the tenant has not enabled is 404 first; enabling stays with the integrator', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger', 'follow-up'] });
  const accountant = await h.tokenFor('accountant');
  for (const role of ['clerk', 'sales'] as const) {
    const { token } = await h.tokenFor(role);
    for (const [method, body] of [['GET', undefined], ['PATCH', { settings: { minIntervalDays: 1 } }]] as const) {
      const res = await h.request(method, '/api/follow-up/settings', body, { token });
      t.equal(res.statusCode, 403, `${role} ${method}`);
      t.match(res.headers['content-type'], /^application\/problem\+json/);
      t.match(res.json(), { type: 'urn:congno:problem:forbidden', detail: /accountant/ });
    }
  }
  t.equal((await h.request('GET', '/api/follow-up/settings', undefined, { token: h.adminToken })).statusCode, 403, 'the platform admin uses its own route');
  t.equal((await storedSettings(h, 'follow-up')).minIntervalDays, 5, 'nothing changed');

  // The accountant cannot enable or disable modules.
  t.equal((await h.request('PUT', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, undefined, { token: accountant.token })).statusCode, 403);
  t.equal((await h.request('DELETE', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, undefined, { token: accountant.token })).statusCode, 403);
  t.equal((await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: {} }, { token: accountant.token })).statusCode, 403);

  t.equal((await admin(h, 'DELETE', 'follow-up')).statusCode, 200);
  const { token: clerk } = await h.tokenFor('clerk');
  for (const token of [accountant.token, clerk]) {
    const get = await h.request('GET', '/api/follow-up/settings', undefined, { token });
    t.equal(get.statusCode, 404, 'not enabled: 404, whatever the role');
    t.match(get.headers['content-type'], /^application\/problem\+json/);
    t.equal((await h.request('PATCH', '/api/follow-up/settings', { settings: { minIntervalDays: 1 } }, { token })).statusCode, 404);
  }
  t.equal((await h.request('GET', '/api/ledger/settings', undefined, { token: accountant.token })).statusCode, 200, 'an enabled module still answers');
});

t.test('every installed module with settings has the route, in the OpenAPI document with its schema', async (t) => {
  const every = [...(await discoverModules(MODULES_DIR)).keys()];
  const installed = await loadRegistry(MODULES_DIR, every);
  const h = await buildTestApp(t, { modules: every });
  const accountant = await h.tokenFor('accountant');
  const doc = (await h.request('GET', '/openapi.json', undefined, { token: null })).json();
  t.ok(installed.some((m) => m.manifest.settings) && installed.some((m) => !m.manifest.settings), 'modules with and without settings are installed');

  for (const { manifest } of installed) {
    const url = `/api/${manifest.name}/settings`;
    const get = await h.request('GET', url, undefined, { token: accountant.token });
    if (!manifest.settings) {
      t.equal(get.statusCode, 404, `${manifest.name} has no settings: no route`);
      t.notOk(doc.paths[url], `${url} is not documented`);
      continue;
    }
    t.equal(get.statusCode, 200, `GET ${url}`);
    t.same(get.json(), (await admin(h, 'GET', manifest.name)).json(), `${manifest.name}: the integrator's view`);
    const back = await h.request('PATCH', url, { settings: get.json().settings }, { token: accountant.token });
    t.equal(back.statusCode, 200, `PATCH ${url} with what GET answered`);
    t.same(back.json(), get.json(), 'changes nothing');

    const path = doc.paths[url];
    t.ok(path?.get && path?.patch, `${url} is documented`);
    const documented = path.get.responses['200'].content['application/json'].schema.properties.settings;
    t.same(Object.keys(documented.properties).sort(), Object.keys(manifest.settings.properties).sort(), `${manifest.name}: the module's settings schema`);
    const body = path.patch.requestBody.content['application/json'].schema.properties.settings;
    t.same(Object.keys(body.properties).sort(), Object.keys(manifest.settings.properties).sort());
    t.notOk(body.required, 'a PATCH sends only what changes');
  }
  const email = doc.paths['/api/follow-up/settings'].patch.requestBody.content['application/json'].schema.properties.settings.properties.email;
  t.match(email.properties.password, { type: 'string', description: /\*\*\*/ }, 'the masked password is documented');
  t.match(email.properties.port, { type: 'integer', minimum: 1, maximum: 65535 });
  t.notOk('default' in email.properties.port, 'no defaults in a patch: an absent field is kept, not reset');
  t.match(doc.paths['/api/follow-up/settings'].get.responses['200'].content['application/json'].schema.properties.settings.properties.email.properties.port, { default: 587 });
});

t.test('a setting the module marks integratorOnly: shown to the accountant, changed only by the integrator', async (t) => {
  // A module of this test's own (the webhooks contract's allowLoopback is the case it stands for).
  const tmp = path.join(PROJECT_ROOT, '.tmp');
  await fs.mkdir(tmp, { recursive: true });
  const modulesDir = await fs.mkdtemp(path.join(tmp, 'tenant-settings-'));
  t.teardown(() => fs.rm(modulesDir, { recursive: true, force: true }));
  await fs.mkdir(path.join(modulesDir, 'hooks'));
  await fs.writeFile(path.join(modulesDir, 'hooks', 'manifest.ts'), `import { Type } from 'typebox';
export default {
  name: 'hooks', version: '1.0.0', summary: 'Test module with an integrator-only setting', depends: [], core: '^0.1.0',
  settings: Type.Object({
    allowLoopback: Type.Boolean({ default: false, integratorOnly: true }),
    limits: Type.Object({ perMinute: Type.Integer({ minimum: 1, default: 60 }), burst: Type.Integer({ minimum: 1, default: 10 }) }, { default: {}, integratorOnly: true, additionalProperties: false }),
    signing: Type.Object({ secret: Type.String({ default: '' }), header: Type.String({ default: 'webhook-signature' }) }, { default: {}, additionalProperties: false }),
  }, { additionalProperties: false }),
};
`);
  const h = await buildTestApp(t, { modulesDir, modules: ['hooks'] });
  const accountant = await h.tokenFor('accountant');
  const as = (method: 'GET' | 'PATCH', body?: unknown) => h.request(method, '/api/hooks/settings', body, { token: accountant.token });

  t.same((await as('GET')).json().settings, { allowLoopback: false, limits: { perMinute: 60, burst: 10 }, signing: { secret: '', header: 'webhook-signature' } }, 'shown');
  const refused: Array<[unknown, string]> = [
    [{ allowLoopback: true }, 'settings.allowLoopback'],
    [{ limits: { perMinute: 1000 } }, 'settings.limits'],
  ];
  for (const [settings, field] of refused) {
    const res = await as('PATCH', { settings });
    t.equal(res.statusCode, 403, JSON.stringify(settings));
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json(), { type: 'urn:congno:problem:forbidden', field, detail: /integrator/ });
  }
  const own = await as('PATCH', { settings: { allowLoopback: false, limits: { perMinute: 60 }, signing: { secret: 'whsec_1' } } });
  t.equal(own.statusCode, 200, 'integrator-only values sent back unchanged are accepted with the tenant\'s own changes');
  t.same(own.json().settings, { allowLoopback: false, limits: { perMinute: 60, burst: 10 }, signing: { secret: '***', header: 'webhook-signature' } });

  t.equal((await admin(h, 'PATCH', 'hooks', { settings: { allowLoopback: true, limits: { burst: 5 } } })).statusCode, 200, 'the integrator may');
  const now = (await as('GET')).json().settings;
  t.match(now, { allowLoopback: true, limits: { perMinute: 60, burst: 5 } });
  t.equal((await as('PATCH', { settings: now })).statusCode, 200, 'a round trip of what the accountant read is accepted');
  t.equal((await storedSettings(h, 'hooks')).signing.secret, 'whsec_1');

  const doc = (await h.request('GET', '/openapi.json', undefined, { token: null })).json();
  const documented = doc.paths['/api/hooks/settings'].patch.requestBody.content['application/json'].schema.properties.settings.properties;
  t.match(documented.allowLoopback, { type: 'boolean', readOnly: true, description: /integrator/ });
  t.notOk('integratorOnly' in documented.allowLoopback, 'the document speaks OpenAPI');
});
