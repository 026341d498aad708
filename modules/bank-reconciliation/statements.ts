import crypto from 'node:crypto';
import { sql } from 'kysely';
import { badRequest, ProblemError } from '../../core/errors.js';
import { uuidv7 } from '../../core/ids.js';
import { formatAmount } from '../../core/money.js';
import type { Bank } from './context.js';
import { autoMatch } from './matching.js';
import { balanceCheck, detectFormat, parseStatement, type CsvOptions, type ParsedLine, type ParsedStatement } from './parsers/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ImportOptions {
  /** The bank account (id or number); without it the account is found, or created, from the statement. */
  journal?: string;
  /** Import a statement whose opening + movements ≠ closing (the difference is kept on it). */
  force?: boolean;
  encoding?: string;
  /** CSV/XLSX only: a preset name; default the account's saved mapping, else the `csvPreset` setting. */
  preset?: string;
  /** CSV/XLSX only: the balances a file without a balance column lacks. */
  balances?: Pick<CsvOptions, 'opening' | 'closing'>;
}

export interface ImportResult {
  id: string;
  format: string;
  statements: string[];
  imported: number;
  duplicatesSkipped: number;
  autoMatched: number;
  suggested: number;
  warnings: string[];
}

interface Account { id: string; number: string; currency: string; csv_mapping: unknown }

async function accountByKey(bank: Bank, key: string): Promise<Account | undefined> {
  let q = bank.trx.selectFrom('bank_reconciliation_account').select(['id', 'number', 'currency', 'csv_mapping']).where('tenant_id', '=', bank.tenantId);
  q = UUID.test(key) ? q.where('id', '=', key) : q.where('number', '=', key);
  return q.executeTakeFirst();
}

/** The bank account a statement belongs to: found by number and currency, created the first time. */
async function accountFor(bank: Bank, s: ParsedStatement): Promise<Account> {
  const found = await bank.trx.selectFrom('bank_reconciliation_account').select(['id', 'number', 'currency', 'csv_mapping'])
    .where('tenant_id', '=', bank.tenantId).where('number', '=', s.account).where('currency', '=', s.currency).executeTakeFirst();
  if (found) return found;
  return bank.trx.insertInto('bank_reconciliation_account').values({ tenant_id: bank.tenantId, number: s.account, currency: s.currency, name: null, csv_mapping: null })
    .returning(['id', 'number', 'currency', 'csv_mapping']).executeTakeFirstOrThrow();
}

/**
 * The same booking in another file: the bank's own id when it gives one, else the content plus
 * how many identical lines came before it in this statement (two equal transfers on one day are
 * two lines, and re-importing the file still finds both).
 */
function dedupeKeys(lines: ParsedLine[]): string[] {
  const seen = new Map<string, number>();
  return lines.map((l) => {
    if (l.bankTransactionId) return `id:${l.bankTransactionId}`;
    const content = [l.date, l.valueDate ?? '', l.amount.toString(), l.reference ?? '', l.counterpartyAccount ?? '', l.description].join('\u001f');
    const n = (seen.get(content) ?? 0) + 1;
    seen.set(content, n);
    return `hash:${crypto.createHash('sha256').update(`${content}\u001f${n}`).digest('hex').slice(0, 32)}`;
  });
}

function balanceProblem(statements: ParsedStatement[]): ProblemError | null {
  const bad = statements.map((s, i) => ({ s, i, check: balanceCheck(s) })).filter((x) => x.check.difference !== null && x.check.difference !== 0n);
  if (bad.length === 0) return null;
  const detail = bad.map(({ s, i, check }) =>
    `statement ${i + 1}${s.number ? ` (${s.number})` : ''} of account ${s.account}: opening ${formatAmount(s.opening!.amount, s.currency)} + movements ${formatAmount(check.expected! - s.opening!.amount, s.currency)} = ${formatAmount(check.expected!, s.currency)}, but the closing balance is ${formatAmount(check.actual!, s.currency)} (difference ${formatAmount(check.difference!, s.currency)})`).join('; ');
  return new ProblemError(422, 'statement-unbalanced', 'The statement does not add up', `${detail}. Nothing was imported; send force=true to import it anyway.`, 'file');
}

/**
 * A statement already stored, sent again with lines it does not have (another export of the same
 * statement number, dates and closing balance, whose entries differ): adding them would break the
 * stored statement's opening + lines = closing. Null when the file adds no line to it.
 */
async function linesAddedToStored(bank: Bank, statementId: string, accountId: string, s: ParsedStatement, keys: string[]): Promise<{ problem: ProblemError; difference: bigint } | null> {
  const known = new Set((await bank.trx.selectFrom('bank_reconciliation_line').select('dedupe_key')
    .where('tenant_id', '=', bank.tenantId).where('bank_account_id', '=', accountId).where('dedupe_key', 'in', keys.length ? keys : ['']).execute()).map((r) => r.dedupe_key));
  const added = s.lines.filter((_, i) => !known.has(keys[i]));
  if (added.length === 0) return null;
  const stored = await sql<{ n: bigint; total: bigint | null; opening: bigint | null; closing: bigint | null }>`
    select count(l.id) as n, sum(l.amount) as total, st.opening_amount as opening, st.closing_amount as closing
    from bank_reconciliation_statement st left join bank_reconciliation_line l on l.tenant_id = st.tenant_id and l.statement_id = st.id
    where st.tenant_id = ${bank.tenantId} and st.id = ${statementId} group by st.tenant_id, st.id`.execute(bank.trx);
  const { n, total, opening, closing } = stored.rows[0];
  const addedTotal = added.reduce((sum, l) => sum + l.amount, 0n);
  const c = s.currency;
  const label = `statement${s.number ? ` ${s.number}` : ''} of account ${s.account}${s.closing ? ` closing ${s.closing.date}` : ''}`;
  if (opening === null || closing === null) {
    const problem = new ProblemError(422, 'statement-conflict', 'The statement was already imported with other lines',
      `The ${label} was already imported with ${n} lines; this file has ${added.length} lines that are not among them. Nothing was imported; send force=true to add them to the stored statement.`, 'file');
    return { problem, difference: 0n };
  }
  const after = BigInt(opening) + BigInt(total ?? 0n) + addedTotal;
  const difference = after - BigInt(closing);
  const problem = new ProblemError(422, 'statement-conflict', 'The statement was already imported with other lines',
    `The ${label} was already imported with ${n} lines; this file has ${added.length} lines that are not among them (total ${formatAmount(addedTotal, c)}). ` +
    `Stored: opening ${formatAmount(BigInt(opening), c)} + movements ${formatAmount(BigInt(total ?? 0n), c)} = closing ${formatAmount(BigInt(closing), c)}; ` +
    `with these lines it would be ${formatAmount(after, c)} (difference ${formatAmount(difference, c)}). Nothing was imported; send force=true to add them to the stored statement.`, 'file');
  return { problem, difference };
}

/**
 * Imports a statement file: parsed and checked whole before anything is written (a malformed
 * file or one that does not add up stores nothing), lines already imported skipped, new lines
 * auto-matched. One transaction.
 */
export async function importStatements(bank: Bank, file: Buffer, givenFormat: string | undefined, options: ImportOptions): Promise<ImportResult> {
  const format = givenFormat ?? detectFormat(file);
  let given = options.journal ? await accountByKey(bank, options.journal) : undefined;
  if (options.journal && !given) {
    // A number not seen before is the company's new account (CSV exports often do not name it).
    if (UUID.test(options.journal)) throw badRequest(`no bank account ${options.journal}`, 'query.journal');
    if (!/^[0-9A-Za-z][0-9A-Za-z .-]{2,33}$/.test(options.journal)) throw badRequest(`'${options.journal}' is not a bank account number`, 'query.journal');
    given = await bank.trx.insertInto('bank_reconciliation_account').values({ tenant_id: bank.tenantId, number: options.journal, currency: bank.books.currency, name: null, csv_mapping: null })
      .returning(['id', 'number', 'currency', 'csv_mapping']).executeTakeFirstOrThrow();
  }
  const csv: CsvOptions = {};
  if (format === 'csv' || format === 'xlsx') {
    const saved = given?.csv_mapping as { preset?: string; mapping?: CsvOptions['mapping'] } | null | undefined;
    Object.assign(csv, { preset: options.preset ?? saved?.preset ?? bank.settings.csvPreset, mapping: saved?.mapping, account: given?.number, currency: given?.currency, ...options.balances });
  } else if (options.balances?.opening || options.balances?.closing) {
    throw badRequest(`a ${format} statement carries its own balances; opening and closing are given for CSV and XLSX files only`, options.balances.opening ? 'opening' : 'closing');
  }
  // An OFX file with an empty CURDEF is in the account's currency.
  if (format === 'ofx') csv.currency = given?.currency ?? bank.books.currency;
  const parsed = await parseStatement(file, format, { ...csv, encoding: options.encoding });
  if (parsed.statements.length === 0) throw badRequest('the file holds no statement', 'file');
  for (const [i, s] of parsed.statements.entries()) {
    if (s.currency !== bank.books.currency) throw badRequest(`statement ${i + 1} is in ${s.currency}; this company keeps its books in ${bank.books.currency}`, 'file');
  }
  const unbalanced = balanceProblem(parsed.statements);
  if (unbalanced && !options.force) throw unbalanced;
  const discarded = parsed.statements.flatMap((s) => s.discarded ?? []);
  if (discarded.length > 0 && !options.force) {
    throw new ProblemError(422, 'statement-incomplete', 'Some transactions of the statement cannot be read',
      `${discarded.length} transaction${discarded.length === 1 ? '' : 's'} of the file cannot be read and would be left out: ${discarded.slice(0, 5).join('; ')}${discarded.length > 5 ? '; …' : ''}. Nothing was imported; correct the file, or send force=true to import the other lines.`, 'file');
  }

  const fileHash = crypto.createHash('sha256').update(file).digest('hex');
  const result: ImportResult = { id: '', format, statements: [], imported: 0, duplicatesSkipped: 0, autoMatched: 0, suggested: 0, warnings: [...parsed.warnings] };
  const newLines: string[] = [];
  for (const s of parsed.statements) {
    const account = given ?? await accountFor(bank, s);
    if (given && s.account && s.account !== given.number) result.warnings.push(`the file names account ${s.account}; imported into ${given.number} as asked`);
    result.warnings.push(...s.warnings);
    const check = balanceCheck(s);
    // The same statement again (same file, or a re-export): its lines are checked for new ones, no second statement.
    const again = await bank.trx.selectFrom('bank_reconciliation_statement').select('id').where('tenant_id', '=', bank.tenantId).where('bank_account_id', '=', account.id)
      .where('number', 'is not distinct from', s.number ?? null).where('opening_date', 'is not distinct from', s.opening?.date ?? null)
      .where('closing_date', 'is not distinct from', s.closing?.date ?? null).where('closing_amount', 'is not distinct from', s.closing?.amount ?? null)
      .executeTakeFirst();
    const keys = dedupeKeys(s.lines);
    if (again) {
      const conflict = await linesAddedToStored(bank, again.id, account.id, s, keys);
      if (conflict && !options.force) throw conflict.problem;
      if (conflict) {
        result.warnings.push(`${conflict.problem.detail} Imported anyway (force=true): the statement keeps the difference.`);
        await bank.trx.updateTable('bank_reconciliation_statement').set({ balance_difference: conflict.difference === 0n ? null : conflict.difference })
          .where('tenant_id', '=', bank.tenantId).where('id', '=', again.id).execute();
      }
    }
    const statement = again ?? await bank.trx.insertInto('bank_reconciliation_statement').values({
      tenant_id: bank.tenantId, bank_account_id: account.id, number: s.number ?? null, format,
      opening_date: s.opening?.date ?? null, opening_amount: s.opening?.amount ?? null, closing_date: s.closing?.date ?? null, closing_amount: s.closing?.amount ?? null,
      balance_difference: check.difference !== null && check.difference !== 0n ? check.difference : null,
      file_hash: fileHash, imported_by: bank.actor.userId,
    }).returning('id').executeTakeFirstOrThrow();
    result.statements.push(statement.id);
    if (s.lines.length > 0) {
      const { rows } = await sql<{ id: string }>`
        insert into bank_reconciliation_line (tenant_id, id, statement_id, bank_account_id, position, date, value_date, amount, reference, counterparty, counterparty_account, description, bank_transaction_id, dedupe_key)
        select ${bank.tenantId}, t.id, ${statement.id}, ${account.id}, t.position, t.date, t.value_date, t.amount, t.reference, t.counterparty, t.counterparty_account, t.description, t.bank_transaction_id, t.dedupe_key
        from unnest(${s.lines.map(() => uuidv7())}::uuid[], ${s.lines.map((_, i) => i + 1)}::int[], ${s.lines.map((l) => l.date)}::date[], ${s.lines.map((l) => l.valueDate ?? null)}::date[],
                    ${s.lines.map((l) => l.amount.toString())}::bigint[], ${s.lines.map((l) => l.reference ?? null)}::text[], ${s.lines.map((l) => l.counterparty ?? null)}::text[],
                    ${s.lines.map((l) => l.counterpartyAccount ?? null)}::text[], ${s.lines.map((l) => l.description)}::text[], ${s.lines.map((l) => l.bankTransactionId ?? null)}::text[],
                    ${keys}::text[])
          as t(id, position, date, value_date, amount, reference, counterparty, counterparty_account, description, bank_transaction_id, dedupe_key)
        on conflict (tenant_id, bank_account_id, dedupe_key) do nothing
        returning id`.execute(bank.trx);
      newLines.push(...rows.map((r) => r.id));
      result.imported += rows.length;
      result.duplicatesSkipped += s.lines.length - rows.length;
    }
    if (!again) await bank.api.emit(bank.trx, bank.tenantId, 'bank.statement_imported', { statementId: statement.id, bankAccountId: account.id, lines: s.lines.length }, { actor: bank.actor });
  }
  result.id = result.statements[0];
  const matched = await autoMatch(bank, newLines);
  result.autoMatched = matched.matched;
  result.suggested = matched.suggested;
  await bank.api.audit(bank.trx, bank.tenantId, {
    actor: bank.actor, action: 'bank.statement_imported', entity: 'bank_reconciliation_statement', entityId: result.id,
    after: { format, fileHash, statements: result.statements.length, imported: result.imported, duplicatesSkipped: result.duplicatesSkipped, autoMatched: result.autoMatched, balanceDifference: unbalanced ? unbalanced.detail ?? null : null },
  });
  return result;
}
