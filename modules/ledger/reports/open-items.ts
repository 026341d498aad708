import { sql, type RawBuilder } from 'kysely';
import { today, type Books } from '../context.js';
import type { PartnerScope } from './scope.js';

/**
 * The receivable open items as of a day, as a subquery with the columns
 * `(line_id, partner_id, due, date, amount)`: `amount` summed per `line_id` is the line's
 * residual on that day (a line may come in several rows; sums are what count).
 *
 * - As of today: the maintained open items (`amount_residual`, index `ledger_move_line_open`).
 * - As of another day, for one partner: each of its lines rebuilt from its history —
 *   (debit − credit) − Σ partials on it as debit side + Σ partials on it as credit side,
 *   counting the partials dated on or before the day and not undone by then.
 * - As of another day, for many partners: today's open items rolled back to that day. Only the
 *   partials whose standing differs between that day and today are read (made after it, or
 *   undone after it), so the cost follows the activity since then, not the whole history.
 */
export function openItemsAsOf(books: Books, asOf: string, scope: PartnerScope): RawBuilder<unknown> {
  const t = books.tenantId;
  if (asOf === today(books)) {
    return sql`
      select l.id as line_id, l.partner_id, l.date_maturity as due, l.date, l.amount_residual as amount
      from ledger_move_line l
      where l.tenant_id = ${t} and l.receivable and l.amount_residual <> 0 ${scope.on('l.partner_id')}`;
  }
  const counted = (p: string) => sql`${sql.ref(`${p}.date`)} <= ${asOf}::date and (${sql.ref(`${p}.undone_on`)} is null or ${sql.ref(`${p}.undone_on`)} > ${asOf}::date)`;
  if (scope.partnerId) {
    return sql`
      select l.id as line_id, l.partner_id, l.date_maturity as due, l.date,
        (l.debit - l.credit)
          - coalesce((select sum(p.amount) from ledger_partial p where p.tenant_id = l.tenant_id and p.debit_line_id = l.id and ${counted('p')}), 0)
          + coalesce((select sum(p.amount) from ledger_partial p where p.tenant_id = l.tenant_id and p.credit_line_id = l.id and ${counted('p')}), 0) as amount
      from ledger_move_line l
      where l.tenant_id = ${t} and l.receivable and l.date <= ${asOf}::date ${scope.on('l.partner_id')}`;
  }
  // A partial standing today but made after that day is given back; one undone since that day,
  // which counted on it, is applied again (undone_at and undone_on are set together). A partial
  // is never dated before its lines, so one that counted on that day only touches lines that
  // existed then. Partials carry copies of their lines' partner and dates; a row written without
  // them (a bulk load) has its lines looked up.
  return sql`
    with changed as (
      select p.partner_id, p.undone_at is null as standing, p.amount,
        p.debit_line_id, p.debit_date, p.debit_due, p.credit_line_id, p.credit_date, p.credit_due
      from ledger_partial p
      where p.tenant_id = ${t}
        and ((p.undone_at is null and p.date > ${asOf}::date) or (p.undone_at is not null and p.date <= ${asOf}::date and p.undone_on > ${asOf}::date))
        and (p.partner_id is null or p.debit_date <= ${asOf}::date or p.credit_date <= ${asOf}::date)
    ),
    sides as (
      select c.partner_id, s.line_id, s.date, s.due, case when c.standing then s.amount else -s.amount end as amount
      from changed c
      cross join lateral (values (c.debit_line_id, c.debit_date, c.debit_due, c.amount), (c.credit_line_id, c.credit_date, c.credit_due, -c.amount)) s(line_id, date, due, amount)
    )
    select l.id as line_id, l.partner_id, l.date_maturity as due, l.date, l.amount_residual as amount
    from ledger_move_line l
    where l.tenant_id = ${t} and l.receivable and l.amount_residual <> 0 and l.date <= ${asOf}::date ${scope.on('l.partner_id')}
    union all
    select s.line_id, s.partner_id, s.due, s.date, s.amount
    from sides s
    where s.partner_id is not null and s.date <= ${asOf}::date ${scope.on('s.partner_id')}
    union all
    select s.line_id, l.partner_id, l.date_maturity, l.date, s.amount
    from sides s join ledger_move_line l on l.tenant_id = ${t} and l.id = s.line_id
    where s.partner_id is null and l.date <= ${asOf}::date ${scope.on('l.partner_id')}`;
}
