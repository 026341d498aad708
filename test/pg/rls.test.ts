import t from 'tap';
import { sql } from 'kysely';
import { APP_ROLE, createDb, createPool, withTenant, type Db } from '../../core/db/kysely.js';
import { createTenant } from '../../core/tenants.js';
import { createTestDatabase } from '../helpers/database.js';
import '../../modules/_example/tables.js';

/** A migrated database with two tenants: acme has two notes, beta three. */
async function twoTenants(t: { teardown(fn: () => unknown): void }) {
  const database = await createTestDatabase();
  const db = createDb(createPool(database.url, 4));
  t.teardown(async () => {
    await db.destroy();
    await database.drop();
  });
  const acme = await createTenant(db, { slug: 'acme', name: 'ACME Trading', currency: 'VND' });
  const beta = await createTenant(db, { slug: 'beta', name: 'Beta Logistics', currency: 'VND' });
  await db.insertInto('example_note').values([
    { tenant_id: acme.id, text: 'Gọi khách hàng Minh Phát', author_user_id: null, published_at: null, publish_key: null },
    { tenant_id: acme.id, text: 'Đối chiếu công nợ quý 1', author_user_id: null, published_at: null, publish_key: null },
    { tenant_id: beta.id, text: 'Beta: hoá đơn 0042 quá hạn', author_user_id: null, published_at: null, publish_key: null },
    { tenant_id: beta.id, text: 'Beta: nhắc nợ lần 2', author_user_id: null, published_at: null, publish_key: null },
    { tenant_id: beta.id, text: 'Beta: khách hứa trả 15/3', author_user_id: null, published_at: null, publish_key: null },
  ]).execute();
  return { db, acme, beta };
}

async function notesOf(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db.selectFrom('example_note').select('text').where('tenant_id', '=', tenantId).orderBy('text').execute();
  return rows.map((r) => r.text);
}

/** The SQLSTATE a failed statement ended with. */
async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(() => undefined, (err: { code?: string }) => err.code);
}

t.test('a query that forgets the tenant filter sees only its own tenant', async (t) => {
  const { db, acme, beta } = await twoTenants(t);
  const seen = await withTenant(db, acme.id, async (trx) => (await sql<{ tenant_id: string; text: string }>`select * from example_note`.execute(trx)).rows);
  t.equal(seen.length, 2);
  t.ok(seen.every((r) => r.tenant_id === acme.id), "no row of beta's");
  const counted = await withTenant(db, beta.id, async (trx) => (await sql<{ n: number }>`select count(*)::int as n from example_note`.execute(trx)).rows[0].n);
  t.equal(counted, 3);
  const byId = await withTenant(db, acme.id, async (trx) => trx.selectFrom('example_note').select('id').where('text', 'like', 'Beta:%').execute());
  t.same(byId, [], "beta's notes cannot be found even by searching for them");
});

t.test('an update or delete that forgets the tenant filter changes only its own rows', async (t) => {
  const { db, acme, beta } = await twoTenants(t);
  const updated = await withTenant(db, acme.id, (trx) => sql`update example_note set text = 'x'`.execute(trx));
  t.equal(updated.numAffectedRows, 2n);
  t.same(await notesOf(db, acme.id), ['x', 'x']);
  t.same(await notesOf(db, beta.id), ['Beta: hoá đơn 0042 quá hạn', 'Beta: khách hứa trả 15/3', 'Beta: nhắc nợ lần 2'], "beta's notes are untouched");

  const deleted = await withTenant(db, acme.id, (trx) => sql`delete from example_note`.execute(trx));
  t.equal(deleted.numAffectedRows, 2n);
  t.same(await notesOf(db, acme.id), []);
  t.equal((await notesOf(db, beta.id)).length, 3);
});

t.test("writing a row for another tenant fails", async (t) => {
  const { db, acme, beta } = await twoTenants(t);
  t.equal(await sqlState(withTenant(db, acme.id, (trx) =>
    sql`insert into example_note (tenant_id, text) values (${beta.id}, 'planted in beta')`.execute(trx))), '42501',
  'insert: new row violates the row-level security policy');
  t.equal(await sqlState(withTenant(db, acme.id, (trx) =>
    sql`update example_note set tenant_id = ${beta.id}`.execute(trx))), '42501',
  "update: a row cannot be moved into beta's books");
  t.equal(await sqlState(withTenant(db, acme.id, (trx) =>
    sql`insert into core_event_outbox (tenant_id, name, payload, emitted_by) values (${beta.id}, 'note.created', '{}', 'example')`.execute(trx))), '42501',
  "core tables too: no event can be emitted into beta's outbox");
  t.equal((await notesOf(db, beta.id)).length, 3);
  t.equal((await notesOf(db, acme.id)).length, 2);
});

t.test('without a tenant the application role sees nothing; tokens and tenants are out of its reach', async (t) => {
  const { db } = await twoTenants(t);
  const noTenant = await db.transaction().execute(async (trx) => {
    await sql`select set_config('role', ${APP_ROLE}, true)`.execute(trx);
    return (await sql<{ n: number }>`select count(*)::int as n from example_note`.execute(trx)).rows[0].n;
  });
  t.equal(noTenant, 0, 'no tenant set: no rows');

  const asApp = (query: ReturnType<typeof sql>) => db.transaction().execute(async (trx) => {
    await sql`select set_config('role', ${APP_ROLE}, true)`.execute(trx);
    return query.execute(trx);
  });
  t.equal(await sqlState(asApp(sql`select token_hash from core_token`)), '42501', 'core_token is not readable');
  t.equal(await sqlState(asApp(sql`update core_tenant set name = 'taken over'`)), '42501', 'core_tenant is read-only');
  t.equal(await sqlState(asApp(sql`delete from core_audit`)), '42501', 'the audit log is append-only');
});

t.test('core_token is not readable inside a tenant transaction either', async (t) => {
  const { db, acme } = await twoTenants(t);
  t.equal(await sqlState(withTenant(db, acme.id, (trx) => sql`select * from core_token`.execute(trx))), '42501');
  t.equal(await sqlState(withTenant(db, acme.id, (trx) => sql`select * from core_token where tenant_id = ${acme.id}`.execute(trx))), '42501',
    "not even the tenant's own tokens");
});

t.test("a tenant's scope ends with its transaction: the pooled connection goes back clean", async (t) => {
  const database = await createTestDatabase();
  const db = createDb(createPool(database.url, 1)); // one connection: the next transaction reuses it
  t.teardown(async () => {
    await db.destroy();
    await database.drop();
  });
  const acme = await createTenant(db, { slug: 'acme', name: 'ACME Trading', currency: 'VND' });
  const inside = await withTenant(db, acme.id, async (trx) =>
    (await sql<{ role: string; tenant: string }>`select current_user as role, current_setting('app.tenant_id', true) as tenant`.execute(trx)).rows[0]);
  t.same(inside, { role: APP_ROLE, tenant: acme.id });
  await t.rejects(withTenant(db, acme.id, async () => { throw new Error('rolled back'); }));
  const after = (await sql<{ role: string; tenant: string | null }>`select current_user as role, nullif(current_setting('app.tenant_id', true), '') as tenant`.execute(db)).rows[0];
  t.not(after.role, APP_ROLE, 'back to the connecting role');
  t.equal(after.tenant, null, 'no tenant left set');
});
