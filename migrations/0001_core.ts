import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../core/db/migrate.js';
import { APP_ROLE } from '../core/db/kysely.js';

export async function up(db: Kysely<any>): Promise<void> {
  // The application role: tenant transactions switch to it, so row-level security applies
  // (the connecting role owns the tables and would bypass it). Roles are cluster-wide.
  await sql.raw(`
    do $$ begin
      if not exists (select 1 from pg_roles where rolname = '${APP_ROLE}') then
        begin
          create role ${APP_ROLE} nologin;
        exception when duplicate_object or unique_violation then null;
        end;
      end if;
    end $$;`).execute(db);
  await sql.raw(`
    do $$ begin
      if not pg_has_role(current_user, '${APP_ROLE}', 'member') then
        execute format('grant ${APP_ROLE} to %I', current_user);
      end if;
    end $$;`).execute(db);
  await sql.raw(`grant usage on schema public to ${APP_ROLE}`).execute(db);
  await sql.raw(`alter default privileges in schema public grant select, insert, update, delete on tables to ${APP_ROLE}`).execute(db);
  await sql.raw(`alter default privileges in schema public grant usage, select on sequences to ${APP_ROLE}`).execute(db);

  await sql`
    create table core_tenant (
      id uuid primary key default gen_random_uuid(),
      slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
      name text not null,
      currency char(3) not null,
      timezone text not null,
      locale text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  // Tenants are not tenant data: the application role may read them, only the owner writes.
  await sql.raw(`revoke insert, update, delete on core_tenant from ${APP_ROLE}`).execute(db);

  await sql`
    create table core_tenant_module (
      tenant_id uuid not null references core_tenant(id),
      module text not null,
      state text not null check (state in ('enabled', 'disabled')),
      version text not null,
      settings jsonb not null default '{}',
      enabled_at timestamptz,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, module)
    )`.execute(db);
  await isolateTenantTable(db, 'core_tenant_module');

  await sql`
    create table core_user (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      name text not null,
      email text,
      role text not null check (role in ('accountant', 'clerk', 'sales')),
      manager_id uuid,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, manager_id) references core_user(tenant_id, id)
    )`.execute(db);
  await isolateTenantTable(db, 'core_user');

  // Tokens are looked up before any tenant is known: owner-only, never readable by the app role.
  await sql`
    create table core_token (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid references core_tenant(id),
      user_id uuid,
      name text not null,
      role text not null check (role in ('admin', 'accountant', 'clerk', 'sales')),
      token_hash text not null unique,
      created_at timestamptz not null default now(),
      revoked_at timestamptz,
      check ((role = 'admin') = (tenant_id is null)),
      foreign key (tenant_id, user_id) references core_user(tenant_id, id)
    )`.execute(db);
  await sql.raw(`revoke all on core_token from ${APP_ROLE}`).execute(db);

  await sql`
    create table core_event_outbox (
      tenant_id uuid not null references core_tenant(id),
      id bigint generated always as identity,
      name text not null,
      payload jsonb not null,
      dedupe_key text,
      emitted_by text not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create unique index core_event_outbox_dedupe on core_event_outbox (tenant_id, dedupe_key) where dedupe_key is not null`.execute(db);
  await isolateTenantTable(db, 'core_event_outbox');

  await sql`
    create table core_event_delivery (
      tenant_id uuid not null,
      id bigint generated always as identity,
      event_id bigint not null,
      subscriber text not null,
      state text not null check (state in ('pending', 'done', 'dead', 'skipped')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      last_error text,
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      unique (tenant_id, event_id, subscriber),
      foreign key (tenant_id, event_id) references core_event_outbox(tenant_id, id)
    )`.execute(db);
  await sql`create index core_event_delivery_due on core_event_delivery (next_attempt_at) where state = 'pending'`.execute(db);
  await isolateTenantTable(db, 'core_event_delivery');

  await sql`
    create table core_idempotency (
      tenant_id uuid not null references core_tenant(id),
      key text not null,
      request_hash text not null,
      state text not null check (state in ('in_progress', 'committed', 'completed')),
      status_code integer,
      response jsonb,
      created_at timestamptz not null default now(),
      primary key (tenant_id, key)
    )`.execute(db);
  await isolateTenantTable(db, 'core_idempotency');

  await sql`
    create table core_audit (
      tenant_id uuid not null references core_tenant(id),
      id bigint generated always as identity,
      at timestamptz not null default now(),
      actor_user_id uuid,
      actor_token_id uuid,
      module text not null,
      action text not null,
      entity text not null,
      entity_id text not null,
      before jsonb,
      after jsonb,
      request_id text,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index core_audit_entity on core_audit (tenant_id, entity, entity_id)`.execute(db);
  await isolateTenantTable(db, 'core_audit');
  // The audit log is append-only for the application.
  await sql.raw(`revoke update, delete on core_audit from ${APP_ROLE}`).execute(db);
}

export async function down(): Promise<void> {
  throw new Error('core migrations are not reversible');
}
