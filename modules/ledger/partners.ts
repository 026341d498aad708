import { sql } from 'kysely';
import { badRequest, conflict, notFound } from '../../core/errors.js';
import { isIsoDate } from '../../core/dates.js';
import type { DecimalValue } from '../../core/money.js';
import { money, show, today, type Books } from './context.js';
import { paymentReference } from './payment-reference.js';
import type { Address, Trust } from './tables.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ContactInput { kind: 'followup' | 'invoice' | 'other'; name: string; email?: string; phone?: string; lang?: string }

export interface PartnerInput {
  ref: string;
  name: string;
  email?: string | null;
  phone?: string | null;
  lang?: string | null;
  address?: Address | null;
  taxCode?: string | null;
  salesperson?: string | null;
  group?: string | null;
  /** Decimal string, or a JSON number where exact; stored as minor units. */
  creditLimit?: DecimalValue | null;
  trust?: Trust;
  bankAccounts?: string[];
  active?: boolean;
  contacts?: ContactInput[];
}

export interface Partner {
  id: string; ref: string; name: string; email: string | null; phone: string | null; lang: string | null;
  address: Address | null; taxCode: string | null; salesperson: string | null; group: string | null;
  creditLimit: string | null; trust: Trust; bankAccounts: string[]; active: boolean;
  contacts: Array<ContactInput & { id: string }>;
  balance: string; overdue: string;
}

export type PartnerRow = {
  id: string; ref: string; name: string; email: string | null; phone: string | null; lang: string | null; address: Address | null;
  tax_code: string | null; salesperson_id: string | null; group_code: string | null; credit_limit: bigint | null; trust: Trust;
  bank_accounts: string[]; active: boolean;
};

/** Finds a partner by id or by ref, within what the caller may see; 404 (or 400 naming `field`) otherwise. */
export async function resolvePartner(books: Books, idOrRef: string, field?: string): Promise<PartnerRow> {
  let q = books.trx.selectFrom('ledger_partner').selectAll().where('tenant_id', '=', books.tenantId);
  q = UUID.test(idOrRef) ? q.where('id', '=', idOrRef) : q.where('ref', '=', idOrRef);
  if (books.visibleSalespeople) q = q.where('salesperson_id', 'in', books.visibleSalespeople.length ? books.visibleSalespeople : ['00000000-0000-0000-0000-000000000000']);
  const row = await q.executeTakeFirst();
  if (!row) {
    if (field) throw badRequest(`no partner '${idOrRef}' (give its id or ref)`, field);
    throw notFound(`No partner '${idOrRef}'.`);
  }
  return row as PartnerRow;
}

async function checkSalesperson(books: Books, userId: string | null | undefined): Promise<void> {
  if (!userId) return;
  if (!UUID.test(userId)) throw badRequest('salesperson must be the id of a user of this company', 'salesperson');
  const user = await books.trx.selectFrom('core_user').select('id').where('tenant_id', '=', books.tenantId).where('id', '=', userId).executeTakeFirst();
  if (!user) throw badRequest(`no user ${userId} in this company`, 'salesperson');
}

function columns(books: Books, input: Partial<PartnerInput>) {
  const out: Record<string, unknown> = {};
  if (input.ref !== undefined) {
    if (!/^\S(.{0,62}\S)?$/.test(input.ref)) throw badRequest('ref must be 1–64 characters without leading or trailing spaces', 'ref');
    out.ref = input.ref;
  }
  if (input.name !== undefined) {
    if (!input.name.trim()) throw badRequest('name must not be blank', 'name');
    out.name = input.name.trim();
  }
  if (input.email !== undefined) {
    if (input.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email)) throw badRequest(`email '${input.email}' is not an email address`, 'email');
    out.email = input.email || null;
  }
  if (input.phone !== undefined) out.phone = input.phone?.trim() || null;
  if (input.lang !== undefined) out.lang = input.lang || null;
  if (input.address !== undefined) out.address = input.address ? JSON.stringify(input.address) : null;
  if (input.taxCode !== undefined) out.tax_code = input.taxCode || null;
  if (input.salesperson !== undefined) out.salesperson_id = input.salesperson || null;
  if (input.group !== undefined) out.group_code = input.group || null;
  if (input.creditLimit !== undefined) out.credit_limit = input.creditLimit === null ? null : money(books, input.creditLimit, 'creditLimit', { allowZero: true });
  if (input.trust !== undefined) out.trust = input.trust;
  if (input.bankAccounts !== undefined) out.bank_accounts = input.bankAccounts.map((a) => a.replace(/[\s-]/g, ''));
  if (input.active !== undefined) out.active = input.active;
  return out;
}

export async function createPartner(books: Books, input: PartnerInput): Promise<Partner> {
  await checkSalesperson(books, input.salesperson);
  const values = columns(books, input);
  const row = await books.trx.insertInto('ledger_partner')
    .values({ tenant_id: books.tenantId, ...values } as never)
    .onConflict((oc) => oc.columns(['tenant_id', 'ref']).doNothing())
    .returning('id').executeTakeFirst();
  if (!row) throw conflict(`A partner with ref '${input.ref}' already exists`, 'partner-exists');
  await replaceContacts(books, row.id, input.contacts ?? []);
  const partner = await getPartner(books, row.id);
  await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'partner.created', entity: 'partner', entityId: row.id, after: partner });
  return partner;
}

export async function updatePartner(books: Books, id: string, input: Partial<PartnerInput>): Promise<Partner> {
  const before = await getPartner(books, id);
  await checkSalesperson(books, input.salesperson);
  const values = columns(books, input);
  if (Object.keys(values).length > 0) {
    const updated = await books.trx.updateTable('ledger_partner').set({ ...values, updated_at: sql`now()` } as never)
      .where('tenant_id', '=', books.tenantId).where('id', '=', before.id).returning('id').executeTakeFirst()
      .catch((err: { code?: string }) => {
        if (err.code === '23505') throw conflict(`A partner with ref '${input.ref}' already exists`, 'partner-exists');
        throw err;
      });
    if (!updated) throw notFound(`No partner '${id}'.`);
  }
  if (input.contacts) await replaceContacts(books, before.id, input.contacts);
  const after = await getPartner(books, before.id);
  await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'partner.updated', entity: 'partner', entityId: before.id, before, after });
  return after;
}

async function replaceContacts(books: Books, partnerId: string, contacts: ContactInput[]): Promise<void> {
  contacts.forEach((c, i) => {
    if (!c.name.trim()) throw badRequest(`contacts[${i}].name must not be blank`, `contacts[${i}].name`);
    if (c.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c.email)) throw badRequest(`contacts[${i}].email '${c.email}' is not an email address`, `contacts[${i}].email`);
  });
  await books.trx.deleteFrom('ledger_partner_contact').where('tenant_id', '=', books.tenantId).where('partner_id', '=', partnerId).execute();
  if (contacts.length === 0) return;
  await books.trx.insertInto('ledger_partner_contact').values(contacts.map((c) => ({
    tenant_id: books.tenantId, partner_id: partnerId, kind: c.kind, name: c.name.trim(), email: c.email ?? null, phone: c.phone ?? null, lang: c.lang ?? null,
  }))).execute();
}

/** Balance (all open items) and overdue (open debits due before today) per partner, from the open-item index. */
export async function balances(books: Books, partnerIds: string[]): Promise<Map<string, { balance: bigint; overdue: bigint }>> {
  const out = new Map<string, { balance: bigint; overdue: bigint }>();
  if (partnerIds.length === 0) return out;
  const { rows } = await sql<{ partner_id: string; balance: bigint; overdue: bigint }>`
    select partner_id, sum(amount_residual)::bigint as balance,
           coalesce(sum(amount_residual) filter (where amount_residual > 0 and date_maturity < ${today(books)}::date), 0)::bigint as overdue
    from ledger_move_line
    where tenant_id = ${books.tenantId} and receivable and amount_residual <> 0 and partner_id = any(${partnerIds}::uuid[])
    group by partner_id`.execute(books.trx);
  for (const r of rows) out.set(r.partner_id, { balance: r.balance, overdue: r.overdue });
  return out;
}

export function toPartner(books: Books, row: PartnerRow, contacts: Array<ContactInput & { id: string }>, b?: { balance: bigint; overdue: bigint }): Partner {
  return {
    id: row.id, ref: row.ref, name: row.name, email: row.email, phone: row.phone, lang: row.lang, address: row.address,
    taxCode: row.tax_code, salesperson: row.salesperson_id, group: row.group_code,
    creditLimit: row.credit_limit === null ? null : show(books, row.credit_limit), trust: row.trust, bankAccounts: row.bank_accounts, active: row.active,
    contacts, balance: show(books, b?.balance ?? 0n), overdue: show(books, b?.overdue ?? 0n),
  };
}

export async function getPartner(books: Books, idOrRef: string): Promise<Partner> {
  const row = await resolvePartner(books, idOrRef);
  const contacts = await books.trx.selectFrom('ledger_partner_contact').select(['id', 'kind', 'name', 'email', 'phone', 'lang'])
    .where('tenant_id', '=', books.tenantId).where('partner_id', '=', row.id).orderBy('kind').orderBy('name').execute();
  const b = (await balances(books, [row.id])).get(row.id);
  return toPartner(books, row, contacts.map((c) => ({ ...c, email: c.email ?? undefined, phone: c.phone ?? undefined, lang: c.lang ?? undefined })), b);
}

export function checkDate(value: string, field: string): string {
  if (!isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
  return value;
}

/**
 * The customer's payment reference (a VietQR code asking for several invoices carries it), given
 * on first use from the series the invoices' references come from. Two requests at once give the
 * same reference: the second finds the first's once its row lock is released.
 */
export async function partnerPaymentReference(books: Books, partnerId: string): Promise<string> {
  const current = await books.trx.selectFrom('ledger_partner').select('payment_reference').where('tenant_id', '=', books.tenantId).where('id', '=', partnerId).executeTakeFirst();
  if (!current) throw notFound(`No partner '${partnerId}'.`);
  if (current.payment_reference) return current.payment_reference;
  const { rows: [n] } = await sql<{ n: number }>`
    insert into ledger_sequence (tenant_id, series, year, next_number) values (${books.tenantId}, 'PAYREF', 0, 2)
    on conflict (tenant_id, series, year) do update set next_number = ledger_sequence.next_number + 1
    returning next_number - 1 as n`.execute(books.trx);
  const reference = paymentReference(books.settings.paymentReferencePrefix, n.n);
  const { rows } = await sql<{ payment_reference: string }>`
    update ledger_partner set payment_reference = coalesce(payment_reference, ${reference})
    where tenant_id = ${books.tenantId} and id = ${partnerId} returning payment_reference`.execute(books.trx);
  return rows[0].payment_reference;
}
