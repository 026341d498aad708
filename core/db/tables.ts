import type { ColumnType, Generated, Insertable, RawBuilder, Selectable } from 'kysely';

/**
 * The typed database. Core declares its own tables here; every module adds its tables by
 * augmenting `Tables` from its own `schema.ts`:
 *
 *   declare module '../../core/db/tables.js' { interface Tables { example_note: ExampleNoteTable } }
 */
export interface Tables {
  core_tenant: CoreTenantTable;
  core_tenant_module: CoreTenantModuleTable;
  core_user: CoreUserTable;
  core_token: CoreTokenTable;
  core_event_outbox: CoreEventOutboxTable;
  core_event_delivery: CoreEventDeliveryTable;
  core_idempotency: CoreIdempotencyTable;
  core_audit: CoreAuditTable;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface CoreTenantTable {
  id: Generated<string>;
  slug: string;
  name: string;
  currency: string;
  timezone: string;
  locale: string;
  created_at: Timestamp;
}

export interface CoreTenantModuleTable {
  tenant_id: string;
  module: string;
  state: 'enabled' | 'disabled';
  version: string;
  settings: ColumnType<Record<string, unknown>, string, string>;
  enabled_at: Date | null;
  updated_at: Timestamp;
}

export interface CoreUserTable {
  tenant_id: string;
  id: Generated<string>;
  name: string;
  email: string | null;
  phone: ColumnType<string | null, string | null | undefined, string | null>;
  role: 'accountant' | 'clerk' | 'sales';
  manager_id: string | null;
  created_at: Timestamp;
}

export interface CoreTokenTable {
  id: Generated<string>;
  tenant_id: string | null;
  user_id: string | null;
  name: string;
  role: 'admin' | 'accountant' | 'clerk' | 'sales';
  token_hash: string;
  created_at: Timestamp;
  revoked_at: Date | null;
}

export interface CoreEventOutboxTable {
  tenant_id: string;
  id: Generated<bigint>;
  name: string;
  payload: ColumnType<unknown, string, string>;
  dedupe_key: string | null;
  emitted_by: string;
  created_at: Timestamp;
}

export type DeliveryState = 'pending' | 'done' | 'dead' | 'skipped';

export interface CoreEventDeliveryTable {
  tenant_id: string;
  id: Generated<bigint>;
  event_id: bigint;
  subscriber: string;
  state: DeliveryState;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Timestamp;
}

export interface CoreIdempotencyTable {
  tenant_id: string;
  token_id: string;
  key: string;
  request_hash: string;
  state: 'in_progress' | 'committed' | 'completed';
  status_code: number | null;
  response: ColumnType<unknown, string | null, string | null>;
  attempt: string | null;
  reserved_until: ColumnType<Date | null, Date | string | RawBuilder<Date> | null | undefined, Date | string | RawBuilder<Date> | null>;
  created_at: Timestamp;
}

export interface CoreAuditTable {
  tenant_id: string;
  id: Generated<bigint>;
  at: Timestamp;
  actor_user_id: string | null;
  actor_token_id: string | null;
  module: string;
  action: string;
  entity: string;
  entity_id: string;
  before: ColumnType<unknown, string | null, string | null>;
  after: ColumnType<unknown, string | null, string | null>;
  request_id: string | null;
}

export type Tenant = Selectable<CoreTenantTable>;
export type NewAudit = Insertable<CoreAuditTable>;
