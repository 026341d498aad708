import t from 'tap';
import path from 'node:path';
import { PROJECT_ROOT } from '../../core/app.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'modules');

/** An admin request against the test app. */
const admin = (h: TestApp, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
  h.request(method, `/api/admin${url}`, body, { token: h.adminToken });

t.test('GET /api/admin/modules lists the catalogue with name, version, summary, depends', async (t) => {
  const h = await buildTestApp(t, { modulesDir: FIXTURES });
  const res = await admin(h, 'GET', '/modules');
  t.equal(res.statusCode, 200);
  const modules = res.json() as Array<{ name: string; version: string; summary: string; depends: string[] }>;
  t.same(modules.map((m) => m.name).sort(), ['addon', 'addon-other', 'base', 'other']);
  const addon = modules.find((m) => m.name === 'addon')!;
  t.equal(addon.version, '1.0.0');
  t.same(addon.depends, ['base']);
  t.match(addon.summary, /depends on base/);
  t.same(modules.find((m) => m.name === 'addon-other')!.depends, ['addon', 'other']);
  t.equal(modules.find((m) => m.name === 'base')!.version, '2.3.0');

  const example = await buildTestApp(t, { modules: ['example'] });
  const catalogue = (await admin(example, 'GET', '/modules')).json();
  t.same(catalogue.map((m: { name: string }) => m.name), ['example'], 'only the configured modules are installed');
});

t.test('POST /api/admin/tenants creates a tenant and refuses bad input naming the field', async (t) => {
  const h = await buildTestApp(t);
  const created = await admin(h, 'POST', '/tenants', { slug: 'hanoi-steel', name: 'Thép Hà Nội JSC', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' });
  t.equal(created.statusCode, 201);
  t.equal(created.json().slug, 'hanoi-steel');
  t.match(created.json().id, /^[0-9a-f-]{36}$/);
  const listed = (await admin(h, 'GET', '/tenants')).json().find((x: { slug: string }) => x.slug === 'hanoi-steel');
  t.match(listed, { id: created.json().id, name: 'Thép Hà Nội JSC', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' });

  const minimal = await admin(h, 'POST', '/tenants', { slug: 'saigon-rice', name: 'Gạo Sài Gòn', currency: 'USD' });
  t.equal(minimal.statusCode, 201, 'timezone and locale are optional');

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['unknown currency', { slug: 'c1', name: 'C', currency: 'XYZ' }, 'currency'],
    ['lower-case currency', { slug: 'c2', name: 'C', currency: 'vnd' }, 'currency'],
    ['bad time zone', { slug: 'c3', name: 'C', currency: 'VND', timezone: 'Mars/Olympus' }, 'timezone'],
    ['slug with capitals and spaces', { slug: 'Big Corp', name: 'C', currency: 'VND' }, 'slug'],
    ['unknown field', { slug: 'c4', name: 'C', currency: 'VND', vatNumber: '0101234567' }, 'vatNumber'],
    ['missing name', { slug: 'c5', currency: 'VND' }, 'name'],
  ];
  for (const [what, body, field] of cases) {
    const res = await admin(h, 'POST', '/tenants', body);
    t.equal(res.statusCode, 400, what);
    t.match(res.headers['content-type'], /^application\/problem\+json/, what);
    t.equal(res.json().field, field, `${what} names ${field}`);
  }
  const slugs = (await admin(h, 'GET', '/tenants')).json().map((x: { slug: string }) => x.slug);
  t.notOk(slugs.some((s: string) => /^c\d$/.test(s)), 'no refused tenant was created');

  const duplicate = await admin(h, 'POST', '/tenants', { slug: 'hanoi-steel', name: 'Another', currency: 'VND' });
  t.equal(duplicate.statusCode, 409);
  t.match(duplicate.json().detail, /hanoi-steel/);
});

t.test('enabling a module enables its dependency closure and completed link modules', async (t) => {
  const h = await buildTestApp(t, { modulesDir: FIXTURES });
  const slug = h.tenant.slug;

  const addon = await admin(h, 'PUT', `/tenants/${slug}/modules/addon`);
  t.equal(addon.statusCode, 200);
  t.same(addon.json().enabled, ['base', 'addon'], 'base comes along, dependencies first');
  t.equal((await admin(h, 'GET', `/tenants/${slug}/modules/base`)).json().state, 'enabled');
  t.equal((await admin(h, 'GET', `/tenants/${slug}/modules/addon-other`)).json().state, 'disabled', 'the link waits for other');

  const other = await admin(h, 'PUT', `/tenants/${slug}/modules/other`);
  t.equal(other.statusCode, 200);
  t.same(other.json().enabled, ['other', 'addon-other'], 'the link module completes and comes along');
  t.equal((await admin(h, 'GET', `/tenants/${slug}/modules/addon-other`)).json().state, 'enabled');

  const tenants = (await admin(h, 'GET', '/tenants')).json();
  t.same(tenants.find((x: { slug: string }) => x.slug === slug).modules, ['addon', 'addon-other', 'base', 'other']);

  t.equal((await admin(h, 'PUT', `/tenants/${slug}/modules/accounting`)).statusCode, 404, 'a module not installed');
  t.equal((await admin(h, 'PUT', `/tenants/nobody/modules/base`)).statusCode, 404, 'a tenant that does not exist');
});

t.test('a module another enabled module depends on cannot be disabled', async (t) => {
  const h = await buildTestApp(t, { modulesDir: FIXTURES });
  const slug = h.tenant.slug;
  await admin(h, 'PUT', `/tenants/${slug}/modules/addon`);
  await admin(h, 'PUT', `/tenants/${slug}/modules/other`);

  const refused = await admin(h, 'DELETE', `/tenants/${slug}/modules/base`);
  t.equal(refused.statusCode, 409);
  t.match(refused.headers['content-type'], /^application\/problem\+json/);
  t.match(refused.json().detail, /'addon'/);
  t.equal((await admin(h, 'GET', `/tenants/${slug}/modules/base`)).json().state, 'enabled', 'still enabled');

  const refusedOther = await admin(h, 'DELETE', `/tenants/${slug}/modules/addon`);
  t.equal(refusedOther.statusCode, 200, 'a link module does not block: it goes with the module');
  t.same(refusedOther.json().disabled, ['addon-other', 'addon']);
  t.equal((await admin(h, 'GET', `/tenants/${slug}/modules/addon-other`)).json().state, 'disabled');
  t.equal((await admin(h, 'GET', `/tenants/${slug}/modules/other`)).json().state, 'enabled', 'the other side of the link stays');

  const base = await admin(h, 'DELETE', `/tenants/${slug}/modules/base`);
  t.equal(base.statusCode, 200, 'nothing depends on base any more');
  t.equal((await admin(h, 'GET', `/tenants/${slug}/modules/base`)).json().state, 'disabled');
});

t.test("a module's routes answer 404 to a tenant that has not enabled it", async (t) => {
  const h = await buildTestApp(t, { modulesDir: FIXTURES });
  const slug = h.tenant.slug;
  const before = await h.request('GET', '/api/base/ping');
  t.equal(before.statusCode, 404);
  t.match(before.headers['content-type'], /^application\/problem\+json/);

  await admin(h, 'PUT', `/tenants/${slug}/modules/base`);
  const enabled = await h.request('GET', '/api/base/ping');
  t.equal(enabled.statusCode, 200);
  t.same(enabled.json(), { tenant: slug });

  await admin(h, 'DELETE', `/tenants/${slug}/modules/base`);
  t.equal((await h.request('GET', '/api/base/ping')).statusCode, 404, 'gone again at once after disabling');
});

t.test('disabling keeps the data; enable → disable → enable is idempotent', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const slug = h.tenant.slug;
  const note = await h.request('POST', '/api/example/notes', { text: 'Khách hẹn trả tiền thứ Sáu' });
  t.equal(note.statusCode, 201);

  const disabled = await admin(h, 'DELETE', `/tenants/${slug}/modules/example`);
  t.equal(disabled.statusCode, 200);
  t.same(disabled.json().disabled, ['example']);
  t.equal((await h.request('GET', '/api/example/notes')).statusCode, 404, 'the routes are closed');
  const again = await admin(h, 'DELETE', `/tenants/${slug}/modules/example`);
  t.equal(again.statusCode, 200, 'disabling twice is fine');
  t.same(again.json().disabled, [], 'and changes nothing');
  t.equal((await admin(h, 'GET', `/tenants/${slug}/modules/example`)).json().state, 'disabled');

  const enabled = await admin(h, 'PUT', `/tenants/${slug}/modules/example`);
  t.equal(enabled.statusCode, 200);
  t.same(enabled.json().enabled, ['example']);
  const enabledTwice = await admin(h, 'PUT', `/tenants/${slug}/modules/example`);
  t.equal(enabledTwice.statusCode, 200, 'enabling twice is fine');
  t.same(enabledTwice.json().enabled, ['example']);

  const notes = await h.request('GET', '/api/example/notes');
  t.equal(notes.statusCode, 200);
  t.same(notes.json().map((n: { id: string; text: string }) => [n.id, n.text]), [[note.json().id, 'Khách hẹn trả tiền thứ Sáu']], 'the note written before is still there, once');
  t.equal((await h.request('GET', '/api/example/stats')).json().notes, 1);
});

t.test('settings: defaults, validation against the schema, secrets masked', async (t) => {
  t.test('the example module', async (t) => {
    const h = await buildTestApp(t, { modules: ['example'] });
    const url = `/tenants/${h.tenant.slug}/modules/example`;
    const initial = await admin(h, 'GET', url);
    t.equal(initial.statusCode, 200);
    t.same(initial.json(), { state: 'enabled', version: '1.1.0', settings: { bannedWords: [], maxLength: 2000 } }, 'defaults filled in');

    const patched = await admin(h, 'PATCH', url, { settings: { maxLength: 40 } });
    t.equal(patched.statusCode, 200);
    t.same(patched.json().settings, { bannedWords: [], maxLength: 40 });
    t.same((await admin(h, 'GET', url)).json().settings, { bannedWords: [], maxLength: 40 }, 'stored');
    const long = await h.request('POST', '/api/example/notes', { text: 'x'.repeat(41) });
    t.equal(long.statusCode, 400, 'the module applies the new setting');

    const refused: Array<[string, unknown, string]> = [
      ['a string for an integer', { maxLength: 'long' }, 'settings.maxLength'],
      ['below the minimum', { maxLength: 0 }, 'settings.maxLength'],
      ['a number in a list of words', { bannedWords: ['ok', 7] }, 'settings.bannedWords[1]'],
      ['an unknown key', { colour: 'red' }, 'settings.colour'],
    ];
    for (const [what, settings, field] of refused) {
      const res = await admin(h, 'PATCH', url, { settings });
      t.equal(res.statusCode, 400, what);
      t.match(res.headers['content-type'], /^application\/problem\+json/, what);
      t.equal(res.json().field, field, `${what} names ${field}`);
    }
    t.same((await admin(h, 'GET', url)).json().settings, { bannedWords: [], maxLength: 40 }, 'refused changes left nothing behind');

    const notObject = await admin(h, 'PATCH', url, { settings: ['maxLength'] });
    t.equal(notObject.statusCode, 400);
    t.equal(notObject.json().field, 'settings');
    t.equal((await admin(h, 'GET', `/tenants/${h.tenant.slug}/modules/nothing`)).statusCode, 404);
  });

  t.test('a module with secrets', async (t) => {
    const h = await buildTestApp(t, { modulesDir: FIXTURES });
    const url = `/tenants/${h.tenant.slug}/modules/base`;
    const disabled = await admin(h, 'GET', url);
    t.same(disabled.json(), { state: 'disabled', version: '2.3.0', settings: { greeting: 'Xin chào', apiKey: '', email: { host: 'localhost', port: 25 } } },
      'a module never enabled: its defaults');
    t.equal((await admin(h, 'PATCH', url, { settings: { greeting: 'Chào anh' } })).statusCode, 409, 'enable first');

    await admin(h, 'PUT', url);
    const patched = await admin(h, 'PATCH', url, { settings: { apiKey: 'sk_live_abc123', email: { host: 'smtp.example.vn', port: 587, user: 'ar@example.vn', password: 'hunter2' } } });
    t.equal(patched.statusCode, 200);
    t.same(patched.json().settings, { greeting: 'Xin chào', apiKey: '***', email: { host: 'smtp.example.vn', port: 587, user: 'ar@example.vn', password: '***' } });
    const read = await admin(h, 'GET', url);
    t.same(read.json().settings.email, { host: 'smtp.example.vn', port: 587, user: 'ar@example.vn', password: '***' });
    t.notMatch(read.body, /hunter2|sk_live/, 'secrets never leave the server');

    const stored = await h.db.selectFrom('core_tenant_module').select('settings').where('tenant_id', '=', h.tenant.id).where('module', '=', 'base').executeTakeFirstOrThrow();
    t.equal((stored.settings as { email: { password: string } }).email.password, 'hunter2', 'the real secret is kept for the module');
    t.equal((stored.settings as { apiKey: string }).apiKey, 'sk_live_abc123');

    const port = await admin(h, 'PATCH', url, { settings: { email: { port: '587' } } });
    t.equal(port.statusCode, 400);
    t.equal(port.json().field, 'settings.email.port');
    const nested = await admin(h, 'PATCH', url, { settings: { email: { tls: true } } });
    t.equal(nested.statusCode, 400);
    t.equal(nested.json().field, 'settings.email.tls');

    // An integrator reads the settings, changes one thing and sends everything back.
    const roundTrip = await admin(h, 'PATCH', url, { settings: { ...read.json().settings, greeting: 'Kính gửi' } });
    t.equal(roundTrip.statusCode, 200);
    const after = await h.db.selectFrom('core_tenant_module').select('settings').where('tenant_id', '=', h.tenant.id).where('module', '=', 'base').executeTakeFirstOrThrow();
    t.match(after.settings, { greeting: 'Kính gửi', apiKey: 'sk_live_abc123', email: { password: 'hunter2' } }, 'sending the mask back keeps the secrets');
  });
});

t.test('tenant tokens: created per role, revoked at once', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const url = `/tenants/${h.tenant.slug}/tokens`;
  for (const role of ['accountant', 'clerk', 'sales']) {
    const res = await admin(h, 'POST', url, { name: `Chị Lan (${role})`, role });
    t.equal(res.statusCode, 201, role);
    t.type(res.json().token, 'string');
    const notes = await h.request('GET', '/api/example/notes', undefined, { token: res.json().token });
    t.equal(notes.statusCode, 200, `the ${role} token works`);
  }
  const adminRole = await admin(h, 'POST', url, { name: 'Sneaky', role: 'admin' });
  t.equal(adminRole.statusCode, 400, 'no platform-admin tokens through a tenant');
  t.equal(adminRole.json().field, 'role');
  t.equal((await admin(h, 'POST', url, { name: 'Nobody', role: 'owner' })).statusCode, 400);
  t.equal((await admin(h, 'POST', '/tenants/nobody/tokens', { name: 'X', role: 'clerk' })).statusCode, 404);

  const created = (await admin(h, 'POST', url, { name: 'Anh Tuấn', role: 'accountant' })).json();
  t.equal((await h.request('GET', '/api/example/notes', undefined, { token: created.token })).statusCode, 200, 'used, so cached by the server');
  const revoked = await admin(h, 'DELETE', `/tokens/${created.id}`);
  t.equal(revoked.statusCode, 200);
  const after = await h.request('GET', '/api/example/notes', undefined, { token: created.token });
  t.equal(after.statusCode, 401, 'refused at once, cache or not');
  t.equal((await admin(h, 'DELETE', `/tokens/${created.id}`)).statusCode, 404, 'already revoked');
  t.equal((await h.request('GET', '/api/example/notes')).statusCode, 200, "other tokens of the tenant still work");
});
