import { sql } from 'kysely';
import type { Trx } from './db/kysely.js';
import type { Auth } from './plugins/auth.js';

/**
 * The salespeople whose partners a request may see: `null` means everyone's (accountant, clerk);
 * for the `sales` role, the user and everyone who reports to them, directly or not. Modules that
 * keep partners filter by it (`where salesperson_id = any(...)`).
 */
export async function visibleSalespeople(trx: Trx, tenantId: string, auth: Auth | null): Promise<string[] | null> {
  if (!auth || auth.role !== 'sales') return null;
  if (!auth.userId) return [];
  const { rows } = await sql<{ id: string }>`
    with recursive team(id) as (
      select ${auth.userId}::uuid
      union
      select u.id from core_user u join team on u.manager_id = team.id where u.tenant_id = ${tenantId}
    )
    select id from team`.execute(trx);
  return rows.map((r) => r.id);
}
