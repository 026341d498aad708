/**
 * Auto-matching of statement lines (money in) to open invoices, precision first, as a cascade a
 * clerk can read. Every decision names its rule and says why.
 *   1. payment-reference: an invoice's payment reference (check character valid) in the text → match.
 *   2. invoice-number: an invoice number in the text → match.
 *   3. a saved rule (text / payer account / amount conditions → partner), or payer-account: the
 *      counterparty account is on exactly one partner → match when the amount equals one open
 *      invoice or the oldest-first sum of several (a rule may allow a difference written off);
 *      otherwise a suggestion naming the partner's closest invoices.
 *   4. payment-reference-typo: a reference one slip away from an open invoice's → suggestion.
 *   5. amount: exactly one open invoice in the books has this amount open → suggestion.
 * Set-based: a handful of queries for the whole statement, whatever its size.
 */
import { sql } from 'kysely';
import { groupBy } from '../../core/collections.js';
import { formatAmount, parseAmount } from '../../core/money.js';
import type { Bank } from './context.js';
import { applyMatches, type MatchDecision } from './apply.js';
import type { RuleAction, RuleConditions, Suggestion } from './tables.js';
import { compileTextPattern, type TextPattern } from './text-pattern.js';

interface Line {
  id: string; date: string; amount: bigint; reference: string | null; counterparty: string | null;
  counterparty_account: string | null; description: string;
}

export interface OpenInvoice { id: string; number: string; payment_reference: string | null; partner_id: string; residual: bigint; due_date: string; date: string }

interface Rule { id: string; name: string; conditions: RuleConditions; action: RuleAction; pattern?: TextPattern | null }

export type Outcome =
  | { kind: 'match'; decision: MatchDecision }
  | { kind: 'suggest'; suggestion: Suggestion };

export function lineText(l: Pick<Line, 'reference' | 'counterparty' | 'description'>): string {
  return [l.reference, l.description, l.counterparty].filter(Boolean).join(' ');
}

/** Invoice numbers of the series in a text, written with '/', '-', spaces or nothing between the parts. */
export function invoiceNumbersIn(text: string, series: string): string[] {
  const re = new RegExp(`(?<![A-Z0-9])${series}[\\s/\\-_.]*(\\d{4})[\\s/\\-_.]*(\\d{1,9})(?!\\d)`, 'gi');
  return [...new Set([...text.matchAll(re)].map((m) => `${series}/${m[1]}/${m[2].padStart(5, '0')}`))];
}

export function normaliseAccount(account: string): string {
  return account.replace(/[\s\-.]/g, '').toUpperCase();
}

function ruleApplies(rule: Rule, line: Line, text: string, currency: string): boolean {
  const c = rule.conditions;
  if (c.textContains && !text.toLowerCase().includes(c.textContains.toLowerCase())) return false;
  // A stored pattern that no longer compiles (saved before patterns were checked) never applies.
  if (c.textRegex && !rule.pattern?.test(text)) return false;
  if (c.counterpartyAccount && normaliseAccount(line.counterparty_account ?? '') !== normaliseAccount(c.counterpartyAccount)) return false;
  if (c.amountMin && line.amount < parseAmount(c.amountMin, currency, { field: 'amountMin' })) return false;
  if (c.amountMax && line.amount > parseAmount(c.amountMax, currency, { field: 'amountMax' })) return false;
  return true;
}

/** Open invoices in the order payments settle them. */
const oldestFirst = (a: OpenInvoice, b: OpenInvoice) => (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : 1);

function allocateInOrder(amount: bigint, invoices: OpenInvoice[]): Array<{ invoice: OpenInvoice; amount: bigint }> {
  const out: Array<{ invoice: OpenInvoice; amount: bigint }> = [];
  let left = amount;
  for (const inv of invoices) {
    if (left <= 0n) break;
    const take = inv.residual < left ? inv.residual : left;
    if (take > 0n) out.push({ invoice: inv, amount: take });
    left -= take;
  }
  return out;
}

/** Reads what matching needs for these lines and decides each one (nothing is written). */
export async function decide(bank: Bank, lines: Line[]): Promise<Map<string, Outcome>> {
  const { currency, settings } = bank.books;
  const prefix = settings.paymentReferencePrefix;
  const found = lines.map((l) => {
    const text = lineText(l);
    return { line: l, text, refs: bank.ledger.paymentReferences.find(text, prefix), numbers: invoiceNumbersIn(text, settings.invoiceSeries) };
  });
  const refs = [...new Set(found.flatMap((f) => f.refs))];
  const numbers = [...new Set(found.flatMap((f) => f.numbers))];
  const invoices = new Map<string, OpenInvoice>();
  const byRef = new Map<string, OpenInvoice>();
  const byNumber = new Map<string, OpenInvoice>();
  const remember = (rows: OpenInvoice[]) => rows.map((r) => invoices.get(r.id) ?? (invoices.set(r.id, r), r));
  if (refs.length + numbers.length > 0) {
    const { rows } = await sql<OpenInvoice>`
      select id, number, payment_reference, partner_id, residual, due_date, date from ledger_invoice
      where tenant_id = ${bank.tenantId} and kind = 'invoice' and state = 'posted'
        and (payment_reference = any(${refs}::text[]) or number = any(${numbers}::text[]))`.execute(bank.trx);
    for (const r of remember(rows)) {
      if (r.payment_reference) byRef.set(r.payment_reference, r);
      byNumber.set(r.number, r);
    }
  }

  // A customer's own payment reference (the VietQR of a reminder asking for several invoices): its oldest open invoices.
  const customerRefs = refs.filter((r) => !byRef.has(r));
  const byCustomerRef = new Map<string, { id: string; ref: string }>();
  const openOfCustomer = new Map<string, OpenInvoice[]>();
  if (customerRefs.length > 0) {
    const { rows: customers } = await sql<{ id: string; ref: string; payment_reference: string }>`
      select id, ref, payment_reference from ledger_partner where tenant_id = ${bank.tenantId} and payment_reference = any(${customerRefs}::text[])`.execute(bank.trx);
    for (const c of customers) byCustomerRef.set(c.payment_reference, c);
    if (customers.length > 0) {
      const { rows } = await sql<OpenInvoice>`
        select id, number, payment_reference, partner_id, residual, due_date, date from ledger_invoice
        where tenant_id = ${bank.tenantId} and partner_id = any(${customers.map((c) => c.id)}::uuid[]) and kind = 'invoice' and state = 'posted' and residual > 0`.execute(bank.trx);
      for (const [partnerId, open] of groupBy(remember(rows), (r) => r.partner_id)) openOfCustomer.set(partnerId, open);
    }
  }

  const outcomes = new Map<string, Outcome>();
  const rest: typeof found = [];
  for (const f of found) {
    const tier = f.refs.some((r) => byRef.has(r)) ? 'payment-reference' : f.numbers.some((n) => byNumber.has(n)) ? 'invoice-number' : null;
    if (!tier) {
      const customerRef = f.refs.find((r) => byCustomerRef.has(r));
      if (!customerRef) { rest.push(f); continue; }
      const customer = byCustomerRef.get(customerRef)!;
      const open = (openOfCustomer.get(customer.id) ?? []).filter((i) => i.residual > 0n).sort(oldestFirst);
      if (open.length === 0) {
        outcomes.set(f.line.id, { kind: 'suggest', suggestion: { partnerId: customer.id, invoiceIds: [], rule: 'customer-reference', reason: `payment reference ${customerRef} of customer ${customer.ref} found in the text, but nothing of theirs is open (paid twice?)` } });
        continue;
      }
      const parts = allocateInOrder(f.line.amount, open);
      for (const p of parts) p.invoice.residual -= p.amount;
      outcomes.set(f.line.id, { kind: 'match', decision: { lineId: f.line.id, partnerId: customer.id, date: f.line.date, amount: f.line.amount, allocations: parts.map((p) => ({ invoiceId: p.invoice.id, amount: p.amount })), rule: 'customer-reference',
        reason: `payment reference ${customerRef} of customer ${customer.ref} found in the text: their oldest open invoices (${parts.map((p) => p.invoice.number).join(', ')})` } });
      continue;
    }
    const hits = [...new Set(tier === 'payment-reference' ? f.refs.map((r) => byRef.get(r)).filter((x) => x !== undefined) : f.numbers.map((n) => byNumber.get(n)).filter((x) => x !== undefined))];
    const label = (i: OpenInvoice) => (tier === 'payment-reference' ? `payment reference ${i.payment_reference} of ${i.number}` : `invoice number ${i.number}`);
    const partners = new Set(hits.map((h) => h.partner_id));
    const open = hits.filter((h) => h.residual > 0n);
    if (partners.size > 1) {
      outcomes.set(f.line.id, { kind: 'suggest', suggestion: { partnerId: hits[0].partner_id, invoiceIds: hits.map((h) => h.id), rule: tier, reason: `${hits.map(label).join(', ')} found in the text, but they belong to different customers` } });
    } else if (open.length === 0) {
      outcomes.set(f.line.id, { kind: 'suggest', suggestion: { partnerId: hits[0].partner_id, invoiceIds: hits.map((h) => h.id), rule: tier, reason: `${hits.map(label).join(', ')} found in the text, but nothing is open on it (paid twice?)` } });
    } else {
      const parts = allocateInOrder(f.line.amount, open);
      for (const p of parts) p.invoice.residual -= p.amount;
      outcomes.set(f.line.id, { kind: 'match', decision: { lineId: f.line.id, partnerId: open[0].partner_id, date: f.line.date, amount: f.line.amount, allocations: parts.map((p) => ({ invoiceId: p.invoice.id, amount: p.amount })), rule: tier, reason: `${open.map(label).join(', ')} found in the text` } });
    }
  }

  // Who paid: a saved rule, else the payer's account known on exactly one partner.
  const rules = (await bank.trx.selectFrom('bank_reconciliation_rule').select(['id', 'name', 'conditions', 'action']).where('tenant_id', '=', bank.tenantId).where('active', '=', true)
    .orderBy('sequence').orderBy('created_at').execute()) as unknown as Rule[];
  for (const r of rules) {
    if (!r.conditions.textRegex) continue;
    const pattern = compileTextPattern(r.conditions.textRegex);
    r.pattern = 'problem' in pattern ? null : pattern;
  }
  const accounts = [...new Set(rest.map((f) => f.line.counterparty_account).filter((a): a is string => !!a).map(normaliseAccount))];
  const payersByAccount = new Map<string, string[]>();
  if (accounts.length > 0) {
    const { rows } = await sql<{ id: string; account: string }>`
      select p.id, a.account from ledger_partner p, unnest(p.bank_accounts) as a(account)
      where p.tenant_id = ${bank.tenantId} and upper(regexp_replace(a.account, '[\\s.-]', '', 'g')) = any(${accounts}::text[])`.execute(bank.trx);
    for (const [key, found] of groupBy(rows, (r) => normaliseAccount(r.account))) payersByAccount.set(key, [...new Set(found.map((r) => r.id))]);
  }
  const payer = new Map<string, { partnerId: string; rule: string; reason: string; tolerance: bigint; auto: boolean }>();
  for (const f of rest) {
    const rule = rules.find((r) => ruleApplies(r, f.line, f.text, currency));
    if (rule?.action.partner) {
      payer.set(f.line.id, { partnerId: rule.action.partner, rule: `rule:${rule.name}`, reason: `saved rule '${rule.name}'`, tolerance: rule.action.toleranceAmount ? parseAmount(rule.action.toleranceAmount, currency, { field: 'toleranceAmount', allowZero: true }) : 0n, auto: rule.action.autoValidate !== false });
      continue;
    }
    const known = f.line.counterparty_account ? payersByAccount.get(normaliseAccount(f.line.counterparty_account)) : undefined;
    if (known?.length === 1) payer.set(f.line.id, { partnerId: known[0], rule: 'payer-account', reason: `payer account ${f.line.counterparty_account} is on the customer`, tolerance: 0n, auto: true });
  }
  const payerIds = [...new Set([...payer.values()].map((p) => p.partnerId))];
  const openByPartner = new Map<string, OpenInvoice[]>();
  if (payerIds.length > 0) {
    const { rows } = await sql<OpenInvoice>`
      select id, number, payment_reference, partner_id, residual, due_date, date from ledger_invoice
      where tenant_id = ${bank.tenantId} and partner_id = any(${payerIds}::uuid[]) and kind = 'invoice' and state = 'posted' and residual > 0`.execute(bank.trx);
    for (const [partnerId, open] of groupBy(remember(rows), (r) => r.partner_id)) openByPartner.set(partnerId, open);
  }

  const unknown: typeof found = [];
  for (const f of rest) {
    const p = payer.get(f.line.id);
    if (!p) { unknown.push(f); continue; }
    const open = (openByPartner.get(p.partnerId) ?? []).filter((i) => i.residual > 0n).sort(oldestFirst);
    const amount = f.line.amount;
    const one = open.find((i) => i.residual === amount);
    let decision: MatchDecision | null = null;
    if (one) {
      decision = { lineId: f.line.id, partnerId: p.partnerId, date: f.line.date, amount, allocations: [{ invoiceId: one.id, amount }], rule: p.rule, reason: `${p.reason}; the amount equals what is open on ${one.number}` };
    } else {
      let sum = 0n;
      const upTo = open.findIndex((i) => (sum += i.residual) >= amount);
      if (upTo > 0 && sum === amount) {
        const settled = open.slice(0, upTo + 1);
        decision = { lineId: f.line.id, partnerId: p.partnerId, date: f.line.date, amount, allocations: settled.map((i) => ({ invoiceId: i.id, amount: i.residual })), rule: p.rule, reason: `${p.reason}; the amount equals the ${settled.length} oldest open invoices (${settled.map((i) => i.number).join(', ')})` };
      } else if (p.tolerance > 0n) {
        const close = open.find((i) => i.residual > amount && i.residual - amount <= p.tolerance);
        if (close) {
          decision = { lineId: f.line.id, partnerId: p.partnerId, date: f.line.date, amount, allocations: [{ invoiceId: close.id, amount }], writeOff: { invoiceId: close.id, amount: close.residual - amount }, rule: p.rule, reason: `${p.reason}; ${close.number} paid short by ${formatAmount(close.residual - amount, currency)}, within the rule's tolerance (written off)` };
        }
      }
    }
    if (decision && p.auto) {
      for (const a of decision.allocations) invoices.get(a.invoiceId)!.residual -= a.amount;
      if (decision.writeOff) invoices.get(decision.writeOff.invoiceId)!.residual -= decision.writeOff.amount;
      outcomes.set(f.line.id, { kind: 'match', decision });
    } else {
      const closest = [...open].sort((a, b) => { const da = a.residual - amount; const db = b.residual - amount; const x = da < 0n ? -da : da; const y = db < 0n ? -db : db; return x < y ? -1 : x > y ? 1 : oldestFirst(a, b); }).slice(0, 3);
      outcomes.set(f.line.id, { kind: 'suggest', suggestion: { partnerId: p.partnerId, invoiceIds: decision ? decision.allocations.map((a) => a.invoiceId) : closest.map((i) => i.id), rule: p.rule, reason: decision ? `${decision.reason} — the rule asks a clerk to confirm` : `${p.reason}; no open invoice or oldest-first run of them equals ${formatAmount(amount, currency)}` } });
    }
  }

  // No payer known: a reference with a typing slip, else a unique open amount — suggestions only.
  const near = unknown.map((f) => ({ f, refs: bank.ledger.paymentReferences.near(f.text, prefix) }));
  const nearRefs = [...new Set(near.flatMap((n) => n.refs))];
  const byNearRef = new Map<string, OpenInvoice>();
  if (nearRefs.length > 0) {
    const { rows } = await sql<OpenInvoice>`
      select id, number, payment_reference, partner_id, residual, due_date, date from ledger_invoice
      where tenant_id = ${bank.tenantId} and kind = 'invoice' and state = 'posted' and residual > 0 and payment_reference = any(${nearRefs}::text[])`.execute(bank.trx);
    for (const r of remember(rows)) byNearRef.set(r.payment_reference!, r);
  }
  const leftover: typeof found = [];
  for (const { f, refs: candidates } of near) {
    // Invoices this statement already settled are no candidates any more.
    const hits = [...new Set(candidates.map((r) => byNearRef.get(r)).filter((x): x is OpenInvoice => x !== undefined && x.residual > 0n))];
    if (hits.length === 1) {
      outcomes.set(f.line.id, { kind: 'suggest', suggestion: { partnerId: hits[0].partner_id, invoiceIds: [hits[0].id], rule: 'payment-reference-typo', reason: `the text holds a code one typing slip away from the payment reference ${hits[0].payment_reference} of ${hits[0].number}` } });
    } else leftover.push(f);
  }
  const amounts = [...new Set(leftover.map((f) => f.line.amount.toString()))];
  if (amounts.length > 0) {
    const { rows } = await sql<OpenInvoice>`
      select id, number, payment_reference, partner_id, residual, due_date, date from ledger_invoice
      where tenant_id = ${bank.tenantId} and kind = 'invoice' and state = 'posted' and residual > 0 and residual = any(${amounts}::bigint[])`.execute(bank.trx);
    // What is open now: lines matched earlier in this statement have paid some of these (the
    // remembered invoices carry the residual left), and may have left others at exactly such an amount.
    remember(rows);
    const wanted = new Set(amounts);
    const byAmount = groupBy([...invoices.values()].filter((r) => r.residual > 0n && wanted.has(r.residual.toString())), (r) => r.residual.toString());
    const unique = new Map([...byAmount].filter(([, list]) => list.length === 1).map(([amount, [r]]) => [amount, r]));
    for (const f of leftover) {
      const inv = unique.get(f.line.amount.toString());
      if (inv) outcomes.set(f.line.id, { kind: 'suggest', suggestion: { partnerId: inv.partner_id, invoiceIds: [inv.id], rule: 'amount', reason: `${inv.number} is the only open invoice of ${formatAmount(inv.residual, currency)}` } });
    }
  }
  return outcomes;
}

/** Decides the given (new) lines and applies the matches when the `autoValidate` setting allows. */
export async function autoMatch(bank: Bank, lineIds: string[]): Promise<{ matched: number; suggested: number }> {
  if (lineIds.length === 0) return { matched: 0, suggested: 0 };
  const { rows: lines } = await sql<Line>`
    select id, date, amount, reference, counterparty, counterparty_account, description from bank_reconciliation_line
    where tenant_id = ${bank.tenantId} and id = any(${lineIds}::uuid[]) and amount > 0 and match_state <> 'matched'
    order by date, position`.execute(bank.trx);
  const outcomes = await decide(bank, lines);
  const matches: MatchDecision[] = [];
  const suggestions: Array<[string, Suggestion]> = [];
  for (const [lineId, o] of outcomes) {
    if (o.kind === 'match' && bank.settings.autoValidate) matches.push(o.decision);
    else if (o.kind === 'match') suggestions.push([lineId, { partnerId: o.decision.partnerId, invoiceIds: o.decision.allocations.map((a) => a.invoiceId), rule: o.decision.rule, reason: `${o.decision.reason} (automatic matching is off: confirm it)` }]);
    else suggestions.push([lineId, o.suggestion]);
  }
  await applyMatches(bank, matches);
  if (suggestions.length > 0) {
    await sql`
      update bank_reconciliation_line l set match_state = 'suggested', partner_id = s.partner_id, match_rule = s.rule, match_reason = s.reason, suggestion = s.suggestion, version = l.version + 1
      from unnest(${suggestions.map(([id]) => id)}::uuid[], ${suggestions.map(([, s]) => s.partnerId)}::uuid[], ${suggestions.map(([, s]) => s.rule)}::text[],
                  ${suggestions.map(([, s]) => s.reason)}::text[], ${suggestions.map(([, s]) => JSON.stringify([s]))}::jsonb[]) as s(id, partner_id, rule, reason, suggestion)
      where l.tenant_id = ${bank.tenantId} and l.id = s.id`.execute(bank.trx);
  }
  return { matched: matches.length, suggested: suggestions.length };
}
