import { sql, type RawBuilder } from 'kysely';
import { badRequest } from '../../../core/errors.js';
import { compareDates, isIsoDate } from '../../../core/dates.js';
import type { Books } from '../context.js';
import { resolvePartner } from '../partners.js';

/** The partner filters every report accepts. */
export interface ReportFilter {
  /** User id of the salesperson / responsible. */
  salesperson?: string;
  /** Partner group code. */
  group?: string;
  /** One partner, by id or ref. */
  partner?: string;
}

/** Which partners a report covers: the filters and, for a `sales` user, only their team's partners. */
export interface PartnerScope {
  /** Set when the report is about one partner (the `partner` filter). */
  partnerId: string | null;
  /** `and <column> …` keeping the rows of the covered partners; empty when every partner is covered. */
  on(column: string | RawBuilder<unknown>): RawBuilder<unknown>;
}

const NONE = sql``;

export async function partnerScope(books: Books, filter: ReportFilter): Promise<PartnerScope> {
  const partnerId = filter.partner ? (await resolvePartner(books, filter.partner, 'query.partner')).id : null;
  const conditions: RawBuilder<unknown>[] = [];
  if (filter.salesperson) conditions.push(sql`p.salesperson_id = ${filter.salesperson}::uuid`);
  if (filter.group) conditions.push(sql`p.group_code = ${filter.group}`);
  if (books.visibleSalespeople) conditions.push(sql`p.salesperson_id = any(${books.visibleSalespeople}::uuid[])`);
  return {
    partnerId,
    on(column) {
      const ref = typeof column === 'string' ? sql.ref(column) : column;
      const byPartner = partnerId ? sql` and ${ref} = ${partnerId}::uuid` : NONE;
      if (conditions.length === 0) return byPartner;
      return sql`${byPartner} and ${ref} in (select p.id from ledger_partner p where p.tenant_id = ${books.tenantId} and ${sql.join(conditions, sql` and `)})`;
    },
  };
}

/**
 * Report queries aggregate many rows cheaply; compiling them to machine code (PostgreSQL's JIT,
 * chosen on the planner's cost) takes longer than it saves — a few hundred milliseconds on aging.
 */
export async function reportQueries(books: Books): Promise<void> {
  await sql`set local jit = off`.execute(books.trx);
}

/** A query-string date, or a 400 naming it. */
export function queryDate(value: string | undefined, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (!isIsoDate(value)) throw badRequest(`${value} is not a date (YYYY-MM-DD)`, `query.${field}`);
  return value;
}

export function period(from: string, to: string): void {
  if (compareDates(from, to) > 0) throw badRequest(`from ${from} is after to ${to}`, 'query.from');
}

/** A sum that may come back from PostgreSQL as bigint (int8) or as a numeric string. */
export function big(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  return BigInt(value as string);
}
