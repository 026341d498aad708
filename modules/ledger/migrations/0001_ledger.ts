import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table ledger_account (
      tenant_id uuid not null references core_tenant(id),
      code text not null check (code ~ '^[0-9A-Za-z.]{1,20}$'),
      name text not null,
      kind text not null check (kind in ('receivable', 'revenue', 'output_tax', 'bank', 'outstanding_receipts',
        'other_income', 'other_expense', 'payment_discount', 'bad_debt_provision', 'other')),
      primary key (tenant_id, code)
    )`.execute(db);
  await isolateTenantTable(db, 'ledger_account');

  await sql`
    create table ledger_partner (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      ref text not null,
      name text not null,
      email text,
      phone text,
      lang text,
      address jsonb,
      tax_code text,
      salesperson_id uuid,
      group_code text,
      credit_limit bigint check (credit_limit >= 0),
      trust text not null default 'normal' check (trust in ('good', 'normal', 'bad')),
      bank_accounts text[] not null default '{}',
      active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id),
      unique (tenant_id, ref),
      foreign key (tenant_id, salesperson_id) references core_user(tenant_id, id)
    )`.execute(db);
  await sql`create index ledger_partner_name on ledger_partner (tenant_id, lower(name))`.execute(db);
  await sql`create index ledger_partner_salesperson on ledger_partner (tenant_id, salesperson_id)`.execute(db);
  await isolateTenantTable(db, 'ledger_partner');

  await sql`
    create table ledger_partner_contact (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      partner_id uuid not null,
      kind text not null check (kind in ('followup', 'invoice', 'other')),
      name text not null,
      email text,
      phone text,
      lang text,
      primary key (tenant_id, id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index ledger_partner_contact_partner on ledger_partner_contact (tenant_id, partner_id)`.execute(db);
  await isolateTenantTable(db, 'ledger_partner_contact');

  // Gap-free numbering: the row is locked by the posting transaction, so a rolled-back posting
  // gives its number back.
  await sql`
    create table ledger_sequence (
      tenant_id uuid not null references core_tenant(id),
      series text not null,
      year integer not null,
      next_number integer not null,
      primary key (tenant_id, series, year)
    )`.execute(db);
  await isolateTenantTable(db, 'ledger_sequence');

  await sql`
    create table ledger_move (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      kind text not null check (kind in ('invoice', 'credit_note', 'payment', 'write_off', 'opening', 'entry')),
      journal text not null check (journal in ('sales', 'bank', 'cash', 'general')),
      date date not null,
      ref text,
      partner_id uuid,
      reversal_of uuid,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id)
    )`.execute(db);
  await isolateTenantTable(db, 'ledger_move');

  await sql`
    create table ledger_move_line (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      move_id uuid not null,
      account_code text not null,
      partner_id uuid,
      date date not null,
      date_maturity date,
      debit bigint not null default 0 check (debit >= 0),
      credit bigint not null default 0 check (credit >= 0),
      receivable boolean not null default false,
      amount_residual bigint not null default 0,
      invoice_id uuid,
      payment_id uuid,
      description text,
      primary key (tenant_id, id),
      check (debit = 0 or credit = 0),
      check (receivable or amount_residual = 0),
      check (not receivable or (partner_id is not null and date_maturity is not null)),
      check (amount_residual between least(debit - credit, 0) and greatest(debit - credit, 0)),
      foreign key (tenant_id, move_id) references ledger_move(tenant_id, id),
      foreign key (tenant_id, account_code) references ledger_account(tenant_id, code),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id)
    )`.execute(db);
  await sql`create index ledger_move_line_move on ledger_move_line (tenant_id, move_id)`.execute(db);
  // Open items: what aging, balances and follow-up read.
  await sql`create index ledger_move_line_open on ledger_move_line (tenant_id, partner_id, date_maturity) include (amount_residual) where receivable and amount_residual <> 0`.execute(db);
  // Receivable history per partner: statements and historical aging.
  await sql`create index ledger_move_line_partner on ledger_move_line (tenant_id, partner_id, date) include (debit, credit) where receivable`.execute(db);
  await sql`create index ledger_move_line_invoice on ledger_move_line (tenant_id, invoice_id) where invoice_id is not null`.execute(db);
  await sql`create index ledger_move_line_payment on ledger_move_line (tenant_id, payment_id) where payment_id is not null`.execute(db);
  await isolateTenantTable(db, 'ledger_move_line');

  // Every posted entry balances: checked at commit, whatever code wrote the lines.
  await sql.raw(`
    create function ledger_check_balanced() returns trigger language plpgsql as $$
    declare
      unbalanced record;
    begin
      select move_id, sum(debit) as d, sum(credit) as c into unbalanced
      from ledger_move_line
      where tenant_id = new.tenant_id and move_id = new.move_id
      group by move_id having sum(debit) <> sum(credit);
      if found then
        raise exception 'journal entry % does not balance: debit % <> credit %', unbalanced.move_id, unbalanced.d, unbalanced.c
          using errcode = '23514';
      end if;
      return null;
    end $$`).execute(db);
  await sql`create constraint trigger ledger_move_line_balanced after insert or update on ledger_move_line
    deferrable initially deferred for each row execute function ledger_check_balanced()`.execute(db);

  // Posted entries are immutable: only the maintained residual of a line may change.
  await sql.raw(`
    create function ledger_forbid_posted_change() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        raise exception 'posted journal lines cannot be deleted; post a reversal' using errcode = '23514';
      end if;
      if (new.move_id, new.account_code, new.partner_id, new.date, new.date_maturity, new.debit, new.credit, new.receivable, new.tenant_id)
         is distinct from (old.move_id, old.account_code, old.partner_id, old.date, old.date_maturity, old.debit, old.credit, old.receivable, old.tenant_id) then
        raise exception 'posted journal line % cannot be changed; post a reversal', old.id using errcode = '23514';
      end if;
      return new;
    end $$`).execute(db);
  await sql`create trigger ledger_move_line_immutable before update or delete on ledger_move_line
    for each row execute function ledger_forbid_posted_change()`.execute(db);
  await sql.raw(`
    create function ledger_forbid_move_change() returns trigger language plpgsql as $$
    begin
      raise exception 'posted journal entries cannot be changed or deleted; post a reversal' using errcode = '23514';
    end $$`).execute(db);
  await sql`create trigger ledger_move_immutable before update or delete on ledger_move
    for each row execute function ledger_forbid_move_change()`.execute(db);

  await sql`
    create table ledger_invoice (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      kind text not null check (kind in ('invoice', 'credit_note')),
      number text,
      partner_id uuid not null,
      date date not null,
      due_date date,
      currency char(3) not null,
      state text not null check (state in ('draft', 'posted')),
      payment_state text not null default 'not_paid' check (payment_state in ('not_paid', 'partial', 'in_payment', 'paid', 'reversed')),
      payment_reference text,
      payment_term jsonb,
      installments jsonb,
      einvoice_form text,
      einvoice_series text,
      einvoice_number text,
      untaxed bigint not null default 0,
      tax bigint not null default 0,
      total bigint not null default 0,
      residual bigint not null default 0,
      move_id uuid,
      origin_invoice_id uuid,
      notes text,
      created_at timestamptz not null default now(),
      posted_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, number),
      unique (tenant_id, payment_reference),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id),
      foreign key (tenant_id, move_id) references ledger_move(tenant_id, id),
      foreign key (tenant_id, origin_invoice_id) references ledger_invoice(tenant_id, id),
      check ((state = 'posted') = (number is not null and move_id is not null))
    )`.execute(db);
  await sql`create index ledger_invoice_partner on ledger_invoice (tenant_id, partner_id, date)`.execute(db);
  await isolateTenantTable(db, 'ledger_invoice');

  await sql`
    create table ledger_invoice_line (
      tenant_id uuid not null,
      invoice_id uuid not null,
      position integer not null,
      description text not null,
      quantity numeric(20, 6) not null,
      unit_price bigint not null,
      tax_rate numeric(7, 4) not null default 0,
      subtotal bigint not null,
      tax bigint not null,
      account_code text not null,
      primary key (tenant_id, invoice_id, position),
      foreign key (tenant_id, invoice_id) references ledger_invoice(tenant_id, id) on delete cascade
    )`.execute(db);
  await isolateTenantTable(db, 'ledger_invoice_line');

  await sql`
    create table ledger_payment (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      partner_id uuid not null,
      date date not null,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      reference text,
      journal text not null check (journal in ('bank', 'cash')),
      move_id uuid not null,
      bank_matched boolean not null default false,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id),
      foreign key (tenant_id, move_id) references ledger_move(tenant_id, id)
    )`.execute(db);
  await sql`create index ledger_payment_partner on ledger_payment (tenant_id, partner_id, date)`.execute(db);
  await isolateTenantTable(db, 'ledger_payment');

  // Partial reconciliation: an amount of a credit line (payment, credit note, write-off) applied
  // to a debit line (an invoice instalment) on a date. Undoing keeps the row, dated, so balances
  // as of any past date can be rebuilt.
  await sql`
    create table ledger_partial (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      debit_line_id uuid not null,
      credit_line_id uuid not null,
      amount bigint not null check (amount > 0),
      date date not null,
      created_at timestamptz not null default now(),
      undone_at timestamptz,
      undone_on date,
      primary key (tenant_id, id),
      foreign key (tenant_id, debit_line_id) references ledger_move_line(tenant_id, id),
      foreign key (tenant_id, credit_line_id) references ledger_move_line(tenant_id, id)
    )`.execute(db);
  await sql`create index ledger_partial_debit on ledger_partial (tenant_id, debit_line_id)`.execute(db);
  await sql`create index ledger_partial_credit on ledger_partial (tenant_id, credit_line_id)`.execute(db);
  await isolateTenantTable(db, 'ledger_partial');
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
