/**
 * ISO 20022 camt.053 statements (Document/BkToCstmrStmt/Stmt), camt.052 intraday account reports
 * (Document/BkToCstmrAcctRpt/Rpt, read like statements) and camt.054 debit/credit notifications
 * (Document/BkToCstmrDbtCdtNtfctn/Ntfctn), any version (version 1 names its message element
 * with a suffix, `BkToCstmrAcctRptV01`), several per file.
 *
 * - Balances: OPBD (else PRCD) is the opening, CLBD the closing; intermediate ITBD balances of a
 *   statement page stand in for a missing one. A balance in another currency than the account's
 *   cannot be compared with the lines: it is dropped with a warning, and the statement then has
 *   no such balance. camt.054 has no balances at all: opening and closing are absent (warned).
 * - Entries (Ntry) that are not booked (Sts other than BOOK) are left out with a warning.
 * - A batch entry with several TxDtls that each carry an amount becomes one line per TxDtls
 *   (when they add up to the entry); otherwise the entry is one line. A split line without its
 *   own AcctSvcrRef gets the entry's followed by `#n` as bank transaction id.
 * - The counterparty of a credit is the debtor (Dbtr/DbtrAcct), of a debit the creditor.
 */
import { calendarDate, checkCurrency, checkLineCount, decimalAmount, fail, optional, quoted } from './common.js';
import { readXml, type XmlElement } from '../../../core/xml.js';
import type { Balance, ParsedLine, ParsedStatement } from './types.js';

const NOT_PROVIDED = /^NOTPROVIDED$/i;

/** 'YYYY-MM-DD' of a camt date or date-time: a DtTm keeps the bank's own calendar date, whatever its offset. */
function calendarDay(raw: string, where: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/.exec(raw);
  if (!m) throw fail(where, `${quoted(raw)} is not a date (YYYY-MM-DD)`);
  return calendarDate(+m[1], +m[2], +m[3], where, raw);
}

function isoDate(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  const dt = el.at('Dt');
  const dtTm = el.at('DtTm');
  const raw = dt?.text || dtTm?.text;
  return raw ? calendarDay(raw, (dt ?? dtTm)!.path) : undefined;
}

/** The day a message or record was created (its CreDtTm). */
function creationDate(el: XmlElement | undefined): string | undefined {
  const c = el?.at('CreDtTm');
  return c?.text ? calendarDay(c.text, c.path) : undefined;
}

interface Money { currency: string; amount: bigint; where: string }

/** An unsigned Amt with its Ccy attribute; the sign comes from CdtDbtInd. */
function money(amt: XmlElement | undefined, where: string): Money {
  if (!amt) throw fail(where, 'Amt is missing');
  const currency = amt.attr('Ccy');
  if (!currency) throw fail(amt.path, 'Amt has no Ccy attribute');
  checkCurrency(currency, amt.path);
  if (!/^\d/.test(amt.text)) throw fail(amt.path, `amount ${quoted(amt.text)} must be an unsigned decimal number (CdtDbtInd gives the sign)`);
  return { currency, amount: decimalAmount(amt.text, '.', currency, amt.path), where: amt.path };
}

function sign(el: XmlElement, fallback?: 'CRDT' | 'DBIT'): 'CRDT' | 'DBIT' {
  const ind = el.textAt('CdtDbtInd') ?? fallback;
  if (ind !== 'CRDT' && ind !== 'DBIT') throw fail(`${el.path}/CdtDbtInd`, ind ? `${quoted(ind)} is neither CRDT nor DBIT` : 'CdtDbtInd is missing');
  return ind;
}

const partyName = (rp: XmlElement | undefined, role: string): string | undefined =>
  optional(rp?.textAt(role, 'Nm') ?? rp?.textAt(role, 'Pty', 'Nm') ?? rp?.textAt(`Ultmt${role}`, 'Nm') ?? rp?.textAt(`Ultmt${role}`, 'Pty', 'Nm'));
const partyAccount = (rp: XmlElement | undefined, role: string): string | undefined =>
  optional(rp?.textAt(`${role}Acct`, 'Id', 'IBAN') ?? rp?.textAt(`${role}Acct`, 'Id', 'Othr', 'Id'));

/** Remittance texts of a transaction: Ustrd, creditor references, referred documents, additional info. */
function remittance(tx: XmlElement): string[] {
  const parts: string[] = [];
  for (const rmt of tx.all('RmtInf')) {
    for (const u of rmt.all('Ustrd')) parts.push(u.text);
    for (const s of rmt.all('Strd')) {
      for (const r of s.all('CdtrRefInf')) parts.push(r.textAt('Ref') ?? '');
      for (const d of s.all('RfrdDocInf')) parts.push(d.textAt('Nb') ?? '');
      for (const a of s.all('AddtlRmtInf')) parts.push(a.text);
    }
  }
  parts.push(tx.textAt('AddtlTxInf') ?? '');
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

interface LineParts { reference?: string; counterparty?: string; counterpartyAccount?: string; description: string }

function describe(txs: XmlElement[], credit: boolean, ntry: XmlElement): LineParts {
  const role = credit ? 'Dbtr' : 'Cdtr';
  const first = <T>(f: (tx: XmlElement) => T | undefined): T | undefined => {
    for (const tx of txs) {
      const v = f(tx);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const texts = [...new Set(txs.flatMap(remittance))];
  const e2e = first((tx) => {
    const id = tx.textAt('Refs', 'EndToEndId');
    return id && !NOT_PROVIDED.test(id) ? id : undefined;
  });
  return {
    reference: e2e,
    counterparty: first((tx) => partyName(tx.at('RltdPties'), role)),
    counterpartyAccount: first((tx) => partyAccount(tx.at('RltdPties'), role)),
    description: texts.join(' ') || (optional(ntry.textAt('AddtlNtryInf')) ?? ''),
  };
}

function entryLines(ntry: XmlElement, currency: string, warnings: string[], created: string | undefined): ParsedLine[] {
  const status = ntry.textAt('Sts', 'Cd') ?? ntry.textAt('Sts');
  if (status && status !== 'BOOK') {
    warnings.push(`${ntry.path}: entry with status ${status} (not booked) is left out`);
    return [];
  }
  const m = money(ntry.at('Amt'), ntry.path);
  if (m.currency !== currency) throw fail(m.where, `entry in ${m.currency} but the account is in ${currency}`);
  const ind = sign(ntry);
  const signed = ind === 'CRDT' ? m.amount : -m.amount;
  let date = isoDate(ntry.at('BookgDt')) ?? isoDate(ntry.at('ValDt'));
  if (!date && created) {
    // Notifications and intraday reports may leave both out: the message's creation date stands in.
    date = created;
    warnings.push(`${ntry.path}: entry has neither BookgDt nor ValDt; dated ${created}, the day the bank created the message`);
  }
  if (!date) throw fail(ntry.path, 'entry has neither BookgDt nor ValDt');
  const valueDate = isoDate(ntry.at('ValDt'));
  const entryRef = ntry.textAt('AcctSvcrRef');
  const txs = ntry.all('NtryDtls').flatMap((d) => d.all('TxDtls'));
  const base = { date, ...(valueDate ? { valueDate } : {}) };

  const txAmount = (tx: XmlElement): bigint | undefined => {
    const amt = tx.at('Amt') ?? tx.at('AmtDtls', 'TxAmt', 'Amt');
    if (!amt || amt.attr('Ccy') !== currency) return undefined;
    const v = money(amt, tx.path).amount;
    return sign(tx, ind) === 'CRDT' ? v : -v;
  };
  if (txs.length > 1) {
    const amounts = txs.map(txAmount);
    if (amounts.every((a) => a !== undefined)) {
      const sum = amounts.reduce((a, b) => a! + b!, 0n)!;
      if (sum === signed) {
        return txs.map((tx, k) => {
          const own = tx.textAt('Refs', 'AcctSvcrRef');
          const bankId = own ?? (entryRef ? `${entryRef}#${k + 1}` : undefined);
          const parts = describe([tx], amounts[k]! >= 0n, ntry);
          return {
            ...base, amount: amounts[k]!, ...lineRefs(parts, own ?? entryRef), ...(bankId ? { bankTransactionId: bankId } : {}),
          };
        });
      }
      warnings.push(`${ntry.path}: the amounts of its ${txs.length} TxDtls do not add up to the entry's; read as one line`);
    }
  }
  const parts = describe(txs, ind === 'CRDT', ntry);
  const bankId = entryRef ?? (txs.length === 1 ? txs[0].textAt('Refs', 'AcctSvcrRef') : undefined);
  return [{ ...base, amount: signed, ...lineRefs(parts, bankId), ...(bankId ? { bankTransactionId: bankId } : {}) }];
}

function lineRefs(p: LineParts, bankId: string | undefined): Omit<ParsedLine, 'date' | 'amount'> {
  const reference = p.reference ?? bankId;
  return {
    description: p.description,
    ...(reference ? { reference } : {}),
    ...(p.counterparty ? { counterparty: p.counterparty } : {}),
    ...(p.counterpartyAccount ? { counterpartyAccount: p.counterpartyAccount } : {}),
  };
}

function record(el: XmlElement, kind: Message, count: { lines: number }, groupCreated: string | undefined): ParsedStatement {
  const notification = kind.name === 'BkToCstmrDbtCdtNtfctn';
  const warnings: string[] = [];
  // Version 1 messages name a non-IBAN account PrtryAcct or BBAN; later ones Othr.
  const account = el.textAt('Acct', 'Id', 'IBAN') ?? el.textAt('Acct', 'Id', 'Othr', 'Id') ?? el.textAt('Acct', 'Id', 'PrtryAcct', 'Id') ?? el.textAt('Acct', 'Id', 'BBAN');
  if (!account) throw fail(`${el.path}/Acct/Id`, 'the account has neither an IBAN nor an Othr/Id');
  const entries = el.all('Ntry');
  const firstCcy = entries[0]?.at('Amt')?.attr('Ccy');
  const bals = el.all('Bal').map((b) => {
    const code = b.textAt('Tp', 'CdOrPrtry', 'Cd') ?? b.textAt('Tp', 'CdOrPrtry', 'Prtry') ?? '';
    const m = money(b.at('Amt'), b.path);
    const date = isoDate(b.at('Dt'));
    if (!date) throw fail(b.path, `balance ${code} has no date`);
    return { code, ...m, amount: sign(b) === 'CRDT' ? m.amount : -m.amount, date };
  });
  const currency = el.textAt('Acct', 'Ccy') ?? firstCcy ?? bals.find((b) => ['OPBD', 'PRCD', 'CLBD'].includes(b.code))?.currency;
  if (!currency) throw fail(el.path, 'no currency: neither Acct/Ccy nor any entry or balance amount');
  checkCurrency(currency, `${el.path}/Acct/Ccy`);
  const usable = bals.filter((b) => {
    if (!['OPBD', 'PRCD', 'CLBD', 'ITBD'].includes(b.code)) return false;
    if (b.currency === currency) return true;
    warnings.push(`${b.where}: ${b.code} balance is in ${b.currency} but the account is in ${currency}; it is left out`);
    return false;
  });
  const intermediate = usable.filter((b) => b.code === 'ITBD');
  const pick = (b: { date: string; amount: bigint } | undefined): Balance | undefined => (b ? { date: b.date, amount: b.amount } : undefined);
  const opening = pick(usable.find((b) => b.code === 'OPBD') ?? usable.find((b) => b.code === 'PRCD') ?? intermediate.shift());
  const closing = pick(usable.find((b) => b.code === 'CLBD') ?? intermediate.pop());
  if (notification && !opening && !closing) warnings.push(`${el.path}: a camt.054 notification carries no balances; the statement has no opening or closing balance`);
  else {
    if (!opening) warnings.push(`${el.path}: no opening balance (OPBD or PRCD) in ${currency}`);
    if (!closing) warnings.push(`${el.path}: no closing balance (CLBD) in ${currency}`);
  }
  const number = el.textAt('LglSeqNb') ?? el.textAt('ElctrncSeqNb') ?? el.textAt('Id');
  return {
    account,
    currency,
    ...(number ? { number } : {}),
    ...(opening ? { opening } : {}),
    ...(closing ? { closing } : {}),
    lines: entries.flatMap((n) => {
      const lines = entryLines(n, currency, warnings, kind.undatedEntries ? creationDate(el) ?? groupCreated : undefined);
      checkLineCount(count.lines += lines.length, n.path);
      return lines;
    }),
    warnings,
  };
}

/**
 * The message kinds: the element under Document, the element of each record, and whether an
 * entry may come without dates (a notification or an intraday report is dated by its CreDtTm;
 * a statement's entries must carry theirs).
 */
interface Message { name: string; record: string; undatedEntries: boolean }
const MESSAGES: Message[] = [
  { name: 'BkToCstmrStmt', record: 'Stmt', undatedEntries: false },
  { name: 'BkToCstmrAcctRpt', record: 'Rpt', undatedEntries: true },
  { name: 'BkToCstmrDbtCdtNtfctn', record: 'Ntfctn', undatedEntries: true },
];

export function parseCamt(text: string): ParsedStatement[] {
  const doc = readXml(text).at('Document');
  if (!doc) throw fail('', 'no Document element: this is not an ISO 20022 camt file');
  for (const kind of MESSAGES) {
    const message = doc.at(kind.name) ?? doc.at(`${kind.name}V01`);
    if (!message) continue;
    const records = message.all(kind.record);
    if (records.length === 0) throw fail(message.path, `has no ${kind.record}`);
    const count = { lines: 0 };
    const created = creationDate(message.at('GrpHdr'));
    return records.map((r) => record(r, kind, count, created));
  }
  throw fail('Document', 'holds neither BkToCstmrStmt (camt.053), BkToCstmrAcctRpt (camt.052) nor BkToCstmrDbtCdtNtfctn (camt.054)');
}
