import crypto from 'node:crypto';
import type { Db } from '../db/kysely.js';

export type Role = 'admin' | 'accountant' | 'clerk' | 'sales';
export type TenantRole = Exclude<Role, 'admin'>;
export const TENANT_ROLES: TenantRole[] = ['accountant', 'clerk', 'sales'];

/** Tokens are 32 random bytes; only their SHA-256 is stored, so a database leak reveals none. */
export function generateToken(): string {
  return `cng_${crypto.randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** Creates the platform-admin token with the given value (or a generated one). */
export async function createAdminToken(db: Db, name: string, value: string = generateToken()): Promise<string> {
  await db.insertInto('core_token').values({ tenant_id: null, user_id: null, name, role: 'admin', token_hash: hashToken(value) })
    .onConflict((oc) => oc.column('token_hash').doNothing()).execute();
  return value;
}

/** Creates a user of a tenant with a role, and a token bound to both. */
export async function createTenantToken(db: Db, tenantId: string, name: string, role: TenantRole, managerId: string | null = null, contact: { email?: string; phone?: string } = {}): Promise<{ token: string; userId: string; tokenId: string }> {
  const token = generateToken();
  return db.transaction().execute(async (trx) => {
    const user = await trx.insertInto('core_user').values({ tenant_id: tenantId, name, role, email: contact.email ?? null, phone: contact.phone ?? null, manager_id: managerId })
      .returning('id').executeTakeFirstOrThrow();
    const row = await trx.insertInto('core_token').values({ tenant_id: tenantId, user_id: user.id, name, role, token_hash: hashToken(token) })
      .returning('id').executeTakeFirstOrThrow();
    return { token, userId: user.id, tokenId: row.id };
  });
}

export async function hasAdminToken(db: Db): Promise<boolean> {
  const row = await db.selectFrom('core_token').select('id').where('role', '=', 'admin').where('revoked_at', 'is', null).executeTakeFirst();
  return !!row;
}
