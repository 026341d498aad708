import { sql } from 'kysely';
import { badRequest, notFound } from '../../core/errors.js';
import { amountText, MoneyError, parseAmount, type DecimalValue } from '../../core/money.js';
import type { Bank } from './context.js';
import type { RuleAction, RuleConditions } from './tables.js';
import { compileTextPattern } from './text-pattern.js';

/** A rule as a client sends it: amounts as decimal strings or exact JSON numbers. */
export interface RuleInput {
  name: string; sequence?: number;
  conditions: Omit<RuleConditions, 'amountMin' | 'amountMax'> & { amountMin?: DecimalValue; amountMax?: DecimalValue };
  action: Omit<RuleAction, 'toleranceAmount'> & { toleranceAmount?: DecimalValue };
}

/** Runs a money check; its refusal is a 400 naming the field. */
function checked<T>(field: string, check: () => T): T {
  try { return check(); } catch (err) {
    if (err instanceof MoneyError) throw badRequest(err.message, field);
    throw err;
  }
}

function amount(bank: Bank, value: string | undefined, field: string, allowZero = false): bigint | undefined {
  if (value === undefined) return undefined;
  return checked(field, () => parseAmount(value, bank.books.currency, { field, allowZero }));
}

/** The rule as it is kept: its amounts as decimal text (a JSON number where exact in the currency, refused otherwise). */
function asKept(bank: Bank, input: RuleInput): { conditions: RuleConditions; action: RuleAction } {
  const kept = (value: DecimalValue | undefined, field: string) =>
    (value === undefined ? undefined : checked(field, () => amountText(value, bank.books.currency, field)));
  const { amountMin, amountMax, ...conditions } = input.conditions;
  const { toleranceAmount, ...action } = input.action;
  return {
    conditions: { ...conditions, amountMin: kept(amountMin, 'conditions.amountMin'), amountMax: kept(amountMax, 'conditions.amountMax') },
    action: { ...action, toleranceAmount: kept(toleranceAmount, 'action.toleranceAmount') },
  };
}

/** A matching rule (Odoo's reconcile model): conditions on the line → the payer, a tolerance, auto or confirm. */
export async function createRule(bank: Bank, input: RuleInput) {
  const { conditions: c, action } = asKept(bank, input);
  if (!c.textContains && !c.textRegex && !c.counterpartyAccount && !c.amountMin && !c.amountMax) throw badRequest('a rule needs at least one condition', 'conditions');
  if (c.textRegex) {
    const pattern = compileTextPattern(c.textRegex);
    if ('problem' in pattern) throw badRequest(pattern.problem, 'conditions.textRegex');
  }
  const min = amount(bank, c.amountMin, 'conditions.amountMin');
  const max = amount(bank, c.amountMax, 'conditions.amountMax');
  if (min !== undefined && max !== undefined && min > max) throw badRequest('amountMin is more than amountMax', 'conditions.amountMin');
  const tolerance = amount(bank, action.toleranceAmount, 'action.toleranceAmount', true);
  const limit = parseAmount(bank.books.settings.writeOffLimit, bank.books.currency, { field: 'writeOffLimit', allowZero: true });
  if (tolerance !== undefined && tolerance > limit) throw badRequest(`the tolerance is more than the ledger's write-off limit of ${bank.books.settings.writeOffLimit} (ledger setting writeOffLimit)`, 'action.toleranceAmount');
  const key = action.partner!;
  const partner = await bank.trx.selectFrom('ledger_partner').select('id').where('tenant_id', '=', bank.tenantId)
    .where(/^[0-9a-f-]{36}$/i.test(key) ? 'id' : 'ref', '=', key).executeTakeFirst();
  if (!partner) throw badRequest(`no partner '${key}' (give its id or ref)`, 'action.partner');
  const row = await bank.trx.insertInto('bank_reconciliation_rule').values({
    tenant_id: bank.tenantId, name: input.name, sequence: input.sequence ?? 10, active: true,
    conditions: JSON.stringify(c), action: JSON.stringify({ ...action, partner: partner.id }),
  }).returning(['id', 'name', 'sequence', 'active', 'conditions', 'action']).executeTakeFirstOrThrow();
  await bank.api.audit(bank.trx, bank.tenantId, { actor: bank.actor, action: 'bank.rule_created', entity: 'bank_reconciliation_rule', entityId: row.id, after: row });
  return row;
}

/** The rules in the order they are tried; a salesperson sees those whose payer is one of their partners. */
export async function listRules(bank: Bank) {
  let q = bank.trx.selectFrom('bank_reconciliation_rule').select(['id', 'name', 'sequence', 'active', 'conditions', 'action']).where('tenant_id', '=', bank.tenantId);
  const salespeople = bank.visibleSalespeople;
  if (salespeople) {
    q = q.where(sql<boolean>`(action->>'partner')::uuid in (select id from ledger_partner where tenant_id = ${bank.tenantId} and salesperson_id = any(${salespeople}::uuid[]))`);
  }
  return q.orderBy('sequence').orderBy('created_at').execute();
}

export async function deleteRule(bank: Bank, id: string): Promise<void> {
  const { rows } = await sql<{ id: string }>`delete from bank_reconciliation_rule where tenant_id = ${bank.tenantId} and id = ${id} returning id`.execute(bank.trx);
  if (rows.length === 0) throw notFound(`No rule ${id}.`);
  await bank.api.audit(bank.trx, bank.tenantId, { actor: bank.actor, action: 'bank.rule_deleted', entity: 'bank_reconciliation_rule', entityId: id });
}
