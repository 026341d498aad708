import { sql } from 'kysely';
import type { Db } from './db/kysely.js';
import { badRequest, conflict } from './errors.js';
import { isCurrency } from './money.js';
import { isTimeZone } from './dates.js';

export interface NewTenant { slug: string; name: string; currency: string; timezone?: string; locale?: string }

export const DEFAULT_TIMEZONE = 'Asia/Ho_Chi_Minh';
export const DEFAULT_LOCALE = 'vi-VN';

export async function createTenant(db: Db, input: NewTenant): Promise<{ id: string; slug: string }> {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(input.slug)) throw badRequest(`slug '${input.slug}' must be 2–63 lower-case letters, digits or '-', starting with a letter or digit`, 'slug');
  if (!isCurrency(input.currency)) throw badRequest(`currency '${input.currency}' is not an ISO 4217 code such as VND or USD`, 'currency');
  const timezone = input.timezone ?? DEFAULT_TIMEZONE;
  if (!isTimeZone(timezone)) throw badRequest(`timezone '${timezone}' is not an IANA time zone such as Asia/Ho_Chi_Minh`, 'timezone');
  let locale = input.locale ?? DEFAULT_LOCALE;
  try {
    locale = Intl.getCanonicalLocales(locale)[0];
  } catch {
    throw badRequest(`locale '${locale}' is not a BCP 47 language tag such as vi-VN`, 'locale');
  }
  const row = await db.insertInto('core_tenant').values({ slug: input.slug, name: input.name, currency: input.currency, timezone, locale })
    .onConflict((oc) => oc.column('slug').doNothing())
    .returning(['id', 'slug']).executeTakeFirst();
  if (!row) throw conflict(`A tenant with slug '${input.slug}' already exists`, 'tenant-exists');
  return row;
}

export async function tenantBySlug(db: Db, slug: string) {
  return db.selectFrom('core_tenant').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function tenantCount(db: Db): Promise<number> {
  const r = await sql<{ n: bigint }>`select count(*) as n from core_tenant`.execute(db);
  return Number(r.rows[0].n);
}

/** A tenant's own record (readable inside its transactions). */
export async function getTenant(trx: Db, tenantId: string) {
  const row = await trx.selectFrom('core_tenant').selectAll().where('id', '=', tenantId).executeTakeFirstOrThrow();
  return { ...row, currency: row.currency.trim() };
}
