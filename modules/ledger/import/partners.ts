import { sql } from 'kysely';
import crypto from 'node:crypto';
import { conflict } from '../../../core/errors.js';
import { show, type Books } from '../context.js';
import type { Address, Trust } from '../tables.js';
import { layout, readers, type ColumnDef } from './columns.js';
import { readMapping } from './mappings.js';
import { RowErrors, fileProblem } from './errors.js';
import { readRows, type ImportFormat } from './table.js';
import { fold, parseCellAmount } from './values.js';
import { chunks, json } from './write.js';

type Key = 'ref' | 'name' | 'email' | 'phone' | 'lang' | 'street' | 'ward' | 'district' | 'province' | 'country' | 'taxCode' | 'salesperson' | 'group' | 'creditLimit' | 'trust';

export const REF_ALIASES = ['mã khách hàng', 'mã KH', 'code', 'customer code', 'reference', 'customer ref', 'customer id', 'partner ref', 'partner code', 'mã khách', 'mã đối tượng'];

export const PARTNER_COLUMNS: ColumnDef<Key>[] = [
  { key: 'ref', label: 'ref', aliases: REF_ALIASES },
  { key: 'name', label: 'name', aliases: ['customer name', 'partner name', 'company', 'company name', 'tên khách hàng', 'tên KH', 'tên', 'tên đối tượng', 'tên công ty', 'tên đơn vị'] },
  { key: 'email', label: 'email', aliases: ['e-mail', 'email address', 'thư điện tử'] },
  { key: 'phone', label: 'phone', aliases: ['telephone', 'tel', 'mobile', 'phone number', 'điện thoại', 'số điện thoại', 'SĐT', 'ĐT', 'di động'] },
  { key: 'lang', label: 'language', aliases: ['lang', 'ngôn ngữ'] },
  { key: 'street', label: 'street', aliases: ['address', 'street address', 'địa chỉ', 'số nhà, đường', 'đường'] },
  { key: 'ward', label: 'ward', aliases: ['commune', 'phường/xã', 'xã/phường', 'phường', 'xã'] },
  { key: 'district', label: 'district', aliases: ['quận/huyện', 'quận', 'huyện'] },
  { key: 'province', label: 'province', aliases: ['city', 'province/city', 'tỉnh/thành', 'tỉnh/thành phố', 'tỉnh/TP', 'thành phố', 'tỉnh'] },
  { key: 'country', label: 'country', aliases: ['quốc gia'] },
  { key: 'taxCode', label: 'tax code', aliases: ['tax id', 'tax number', 'vat number', 'mã số thuế', 'MST'] },
  { key: 'salesperson', label: 'salesperson', aliases: ['sales', 'salesman', 'sales rep', 'responsible', 'nhân viên kinh doanh', 'nhân viên bán hàng', 'NVKD', 'nhân viên phụ trách', 'người phụ trách'] },
  { key: 'group', label: 'group', aliases: ['customer group', 'partner group', 'nhóm', 'nhóm khách hàng', 'nhóm KH'] },
  { key: 'creditLimit', label: 'credit limit', aliases: ['hạn mức nợ', 'hạn mức công nợ', 'hạn mức tín dụng', 'hạn mức'] },
  { key: 'trust', label: 'trust', aliases: ['trust level', 'độ tin cậy', 'mức tín nhiệm', 'tín nhiệm'] },
];

const TRUST: Record<string, Trust> = { good: 'good', tot: 'good', normal: 'normal', 'binh thuong': 'normal', 'trung binh': 'normal', bad: 'bad', xau: 'bad', kem: 'bad' };
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ADDRESS_PARTS = ['street', 'ward', 'district', 'province', 'country'] as const;

/** A partner's columns as stored (only those a row sets). */
interface Values {
  name?: string; email?: string; phone?: string; lang?: string; address?: Address; tax_code?: string;
  salesperson_id?: string; group_code?: string; credit_limit?: bigint; trust?: Trust;
}
type Existing = { id: string; ref: string } & { [K in keyof Values]-?: Values[K] | null };

export interface PartnerImportResult {
  dryRun: boolean; rows: number; created: number; updated: number; unchanged: number; ignoredColumns: string[];
}

/**
 * Imports partners: new refs are created, known refs updated with the cells the row fills
 * (a blank cell leaves the field as it is; address parts replace the whole address). The
 * file is checked completely first; any error → 400 listing them all, nothing written.
 */
export async function importPartners(books: Books, body: Buffer, format: ImportFormat, dryRun: boolean): Promise<PartnerImportResult> {
  const errors = new RowErrors();
  const sheet = layout(await readRows(body, format), PARTNER_COLUMNS, 'ref', errors, (await readMapping(books, 'partners')).columns);
  if (!sheet) throw errors.problem();
  if (sheet.rows.length === 0) throw fileProblem('the file has no rows under its header', sheet.headerRow);
  const rows = readers(sheet, PARTNER_COLUMNS, errors);

  const refs = [...new Set(rows.map((r) => r.text('ref')).filter((x): x is string => !!x))];
  const existing = new Map<string, Existing>();
  for (const part of chunks(refs, 10_000)) {
    const found = await books.trx.selectFrom('ledger_partner')
      .select(['id', 'ref', 'name', 'email', 'phone', 'lang', 'address', 'tax_code', 'salesperson_id', 'group_code', 'credit_limit', 'trust'])
      .where('tenant_id', '=', books.tenantId).where('ref', 'in', part).execute();
    for (const p of found) existing.set(p.ref, p as Existing);
  }
  const users = await books.trx.selectFrom('core_user').select(['id', 'email']).where('tenant_id', '=', books.tenantId).execute();
  const userIds = new Set(users.map((u) => u.id));
  const usersByEmail = new Map<string, string[]>();
  for (const u of users) if (u.email) usersByEmail.set(u.email.toLowerCase(), [...(usersByEmail.get(u.email.toLowerCase()) ?? []), u.id]);

  const firstRowOf = new Map<string, number>();
  const planned: Array<{ row: number; ref: string; values: Values; old?: Existing }> = [];
  for (const r of rows) {
    // Every problem of a row is reported, so an empty ref does not hide the others.
    const ref = r.text('ref');
    if (!ref) r.error('ref', 'ref is empty: every row needs the partner\'s ref');
    else {
      if (ref.length > 64 || /[\u0000-\u001f]/.test(ref)) r.error('ref', 'ref must be 1–64 characters on one line');
      const seen = firstRowOf.get(ref);
      if (seen !== undefined) r.error('ref', `ref '${ref}' is already on row ${seen}`);
      else firstRowOf.set(ref, r.row.row);
    }
    const old = ref ? existing.get(ref) : undefined;

    const values: Values = {};
    const name = r.text('name');
    if (name !== undefined) {
      if (name.length > 300) r.error('name', 'name is longer than 300 characters');
      values.name = name;
    } else if (!old) r.error('name', ref ? `name is required for a new partner (no partner '${ref}' exists yet)` : 'name is required for a new partner');
    const email = r.text('email');
    if (email !== undefined) {
      if (!EMAIL.test(email)) r.error('email', `'${email}' is not an email address`);
      values.email = email;
    }
    if (r.text('phone') !== undefined) values.phone = r.text('phone');
    const lang = r.text('lang');
    if (lang !== undefined) {
      if (!/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(lang)) r.error('lang', `'${lang}' is not a language code such as vi or en`);
      values.lang = lang;
    }
    if (ADDRESS_PARTS.some((p) => r.text(p) !== undefined)) {
      const address: Address = {};
      for (const p of ADDRESS_PARTS) if (r.text(p) !== undefined) address[p] = r.text(p);
      values.address = address;
    }
    if (r.text('taxCode') !== undefined) values.tax_code = r.text('taxCode');
    const salesperson = r.text('salesperson');
    if (salesperson !== undefined) {
      const ids = UUID.test(salesperson) ? (userIds.has(salesperson.toLowerCase()) ? [salesperson.toLowerCase()] : []) : (usersByEmail.get(salesperson.toLowerCase()) ?? []);
      if (ids.length === 0) r.error('salesperson', `no user '${salesperson}' in this company (give the user's id or email)`);
      else if (ids.length > 1) r.error('salesperson', `${ids.length} users have the email '${salesperson}'; give the user's id`);
      else values.salesperson_id = ids[0];
    }
    if (r.text('group') !== undefined) values.group_code = r.text('group');
    const limit = r.parse('creditLimit', (c) => parseCellAmount(c, books.currency));
    if (limit !== undefined) values.credit_limit = limit;
    const trust = r.text('trust');
    if (trust !== undefined) {
      const t = TRUST[fold(trust)];
      if (!t) r.error('trust', `'${trust}' is not a trust level (good, normal or bad; tốt, bình thường, xấu)`);
      else values.trust = t;
    }
    if (ref) planned.push({ row: r.row.row, ref, values, old });
  }
  if (errors.any) throw errors.problem();

  const creates = planned.filter((p) => !p.old);
  const updates = planned.flatMap((p) => {
    if (!p.old) return [];
    const changed: Values = {};
    for (const [k, v] of Object.entries(p.values) as Array<[keyof Values, Values[keyof Values]]>) {
      if (!same(v, p.old[k])) (changed as Record<string, unknown>)[k] = v;
    }
    return Object.keys(changed).length ? [{ ...p, old: p.old, changed }] : [];
  });
  const result = { dryRun, rows: planned.length, created: creates.length, updated: updates.length, unchanged: planned.length - creates.length - updates.length, ignoredColumns: sheet.ignored };
  if (dryRun) return result;

  const ids = new Map<string, string>();
  try {
    for (const part of chunks(creates, 5_000)) {
      const { rows: inserted } = await sql<{ id: string; ref: string }>`
        insert into ledger_partner (tenant_id, ref, name, email, phone, lang, address, tax_code, salesperson_id, group_code, credit_limit, trust)
        select ${books.tenantId}::uuid, v.ref, v.name, v.email, v.phone, v.lang, v.address, v.tax_code, v.salesperson_id, v.group_code, v.credit_limit, coalesce(v.trust, 'normal')
        from jsonb_to_recordset(${json(part.map((p) => ({ ref: p.ref, ...p.values })))}::jsonb)
          as v(ref text, name text, email text, phone text, lang text, address jsonb, tax_code text, salesperson_id uuid, group_code text, credit_limit bigint, trust text)
        returning id, ref`.execute(books.trx);
      for (const r of inserted) ids.set(r.ref, r.id);
    }
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw conflict('A partner with one of these refs was created while the file was being imported; import the file again.', 'partner-exists');
    throw err;
  }
  for (const part of chunks(updates, 5_000)) {
    await sql`
      update ledger_partner p set
        name = coalesce(v.name, p.name), email = coalesce(v.email, p.email), phone = coalesce(v.phone, p.phone), lang = coalesce(v.lang, p.lang),
        address = coalesce(v.address, p.address), tax_code = coalesce(v.tax_code, p.tax_code), salesperson_id = coalesce(v.salesperson_id, p.salesperson_id),
        group_code = coalesce(v.group_code, p.group_code), credit_limit = coalesce(v.credit_limit, p.credit_limit), trust = coalesce(v.trust, p.trust),
        updated_at = now()
      from jsonb_to_recordset(${json(part.map((p) => ({ id: p.old.id, ...p.changed })))}::jsonb)
        as v(id uuid, name text, email text, phone text, lang text, address jsonb, tax_code text, salesperson_id uuid, group_code text, credit_limit bigint, trust text)
      where p.tenant_id = ${books.tenantId} and p.id = v.id`.execute(books.trx);
  }

  const view = (v: Partial<Values>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [API_NAMES[k as keyof Values], typeof x === 'bigint' ? show(books, x) : x]));
  const entries = [
    ...creates.map((p) => ({ actor: books.actor, action: 'partner.created', entity: 'partner', entityId: ids.get(p.ref)!, after: { ref: p.ref, ...view(p.values), source: 'import' } })),
    ...updates.map((p) => ({
      actor: books.actor, action: 'partner.updated', entity: 'partner', entityId: p.old.id,
      before: view(Object.fromEntries(Object.keys(p.changed).map((k) => [k, p.old[k as keyof Values]])) as Values), after: { ...view(p.changed), source: 'import' },
    })),
  ];
  for (const part of chunks(entries, 2_000)) await books.api.audit(books.trx, books.tenantId, part);
  await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'partners.imported', entity: 'import', entityId: crypto.randomUUID(), after: { format, ...result } });
  return result;
}

const API_NAMES: Record<keyof Values, string> = {
  name: 'name', email: 'email', phone: 'phone', lang: 'lang', address: 'address', tax_code: 'taxCode',
  salesperson_id: 'salesperson', group_code: 'group', credit_limit: 'creditLimit', trust: 'trust',
};

function same(a: unknown, b: unknown): boolean {
  if (a && typeof a === 'object' && b && typeof b === 'object') {
    const keys = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined && v !== null).sort(([x], [y]) => (x < y ? -1 : 1));
    return JSON.stringify(keys(a)) === JSON.stringify(keys(b));
  }
  return a === b;
}
