/**
 * The ledger's benchmark books: a deterministic generator that writes them as COPY text files,
 * and a fast loader (COPY, then keys, indexes and foreign keys built once, then a consistency
 * check in SQL).
 *
 * What is generated is what the ledger's services would have written for two years of trade,
 * without the audit log and the outbox: partners; invoices posted in date order (gap-free numbers
 * per year, payment references) with their journal entry (receivable line with due date and
 * residual, revenue, output VAT) and invoice line; payments (bank or cash) settling invoices —
 * a customer pays on its weekday for what fell due, one payment for many invoices — with their
 * journal entry and `ledger_partial` rows; some open invoices partly paid; some overpayments left
 * as unallocated credit; some allocations undone and made again later. Customers follow a Zipf
 * law (KH000001 is the largest); whether an invoice is still open follows from the customer's
 * term and habits and from its age, which puts ~20 % of the invoices open.
 *
 * The same size always gives the same rows, except that dates count back from the day of the run
 * (so "as of today" always sees the same spread of ages); the files are kept in
 * .tmp/bench-data/ledger/<size>-<day>-v<version> and made again only when missing.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PROJECT_ROOT } from '../../../core/app.js';
import { addDays, todayIn } from '../../../core/dates.js';
import { divideRounded } from '../../../core/money.js';
import { paymentReference } from '../../../modules/ledger/payment-reference.js';
import { createRng, type Rng } from './dataset.js';
import type { BenchContext, BenchServer, Size } from './types.js';

/** Bump when the generated rows change: older files are then made again. */
const VERSION = 2;
const HISTORY_DAYS = 730;
const ZIPF_EXPONENT = 0.75;
const TIME_ZONE = 'Asia/Ho_Chi_Minh';

export interface LedgerSizeSpec { customers: number; invoices: number }

/** Invoices over two years; ~20 % of them stay open (L: ~1M open, ~4M settled). */
export const LEDGER_SIZES: Record<Size, LedgerSizeSpec> = {
  S: { customers: 300, invoices: 12_000 },
  M: { customers: 10_000, invoices: 500_000 },
  L: { customers: 100_000, invoices: 5_000_000 },
};

/** The tables in load order, with the columns the files hold (`tenant_id` is filled in by the loader). */
export const LEDGER_TABLES = {
  ledger_partner: ['id', 'ref', 'name', 'email', 'phone', 'lang', 'address', 'tax_code', 'group_code', 'credit_limit', 'trust', 'created_at', 'updated_at'],
  ledger_move: ['id', 'kind', 'journal', 'date', 'ref', 'partner_id', 'created_at'],
  ledger_move_line: ['id', 'move_id', 'account_code', 'partner_id', 'date', 'date_maturity', 'debit', 'credit', 'receivable', 'amount_residual', 'invoice_id', 'payment_id', 'description'],
  ledger_invoice: ['id', 'kind', 'number', 'partner_id', 'date', 'due_date', 'currency', 'state', 'payment_state', 'payment_reference', 'payment_term', 'installments', 'untaxed', 'tax', 'total', 'residual', 'move_id', 'created_at', 'posted_at'],
  ledger_invoice_line: ['invoice_id', 'position', 'description', 'quantity', 'unit_price', 'tax_rate', 'subtotal', 'tax', 'account_code'],
  ledger_payment: ['id', 'partner_id', 'date', 'amount', 'currency', 'reference', 'journal', 'move_id', 'bank_matched', 'created_at'],
  ledger_partial: ['id', 'debit_line_id', 'credit_line_id', 'amount', 'date', 'created_at', 'undone_at', 'undone_on', 'partner_id', 'debit_date', 'debit_due', 'credit_date', 'credit_due'],
} as const;
export type LedgerTable = keyof typeof LEDGER_TABLES;
const TABLE_NAMES = Object.keys(LEDGER_TABLES) as LedgerTable[];

/** A customer picked for the statement and payment workloads (by rank of size). */
export interface NotableCustomer { rank: number; id: string; ref: string; invoices: number; openInvoices: number }

export interface LedgerManifest {
  version: number;
  size: Size;
  /** The day the dates count back from (the tenant's today when generated). */
  today: string;
  rows: Record<LedgerTable, number>;
  openInvoices: number;
  settledInvoices: number;
  partlyPaidInvoices: number;
  receivableLines: number;
  /** Σ amount_residual of the receivable lines, as a decimal string (VND): what every check sums to. */
  totalResidual: string;
  /** Σ of the open credits (unallocated payments), decimal string, ≤ 0. */
  unallocatedCredit: string;
  /** ledger_sequence rows to insert: series, year, next number. */
  sequences: Array<{ series: string; year: number; next: number }>;
  customers: NotableCustomer[];
  /** Ids of every partner, in rank order (rank 1 first), for request mixes. */
  partnerIdsFile: string;
  generatedInMs: number;
}

export interface LedgerData { dir: string; manifest: LedgerManifest }

/* ----------------------------------------------------------------------------------------- */
/* Generation                                                                                 */
/* ----------------------------------------------------------------------------------------- */

// murmur3's finaliser: a bijection on 32 bits, so ids never collide within a kind.
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');

const KIND = { partner: 1, invoice: 2, move: 3, line: 4, payment: 5, partial: 6 } as const;

/** A random-looking (like gen_random_uuid) but fixed v4 UUID: number `i` of a kind of row. */
export function datasetUuid(kind: number, i: number): string {
  const a = fmix32((i ^ 0x2545f491 ^ Math.imul(kind, 0x9e3779b9)) >>> 0);
  const b = fmix32((a ^ 0x5bd1e995) >>> 0);
  const c = fmix32((b + kind) >>> 0);
  const d = fmix32((c ^ i) >>> 0);
  return `${hex(a, 8)}-${hex(b >>> 16, 4)}-4${hex(b & 0xfff, 3)}-${(8 | (c >>> 30)).toString(16)}${hex((c >>> 16) & 0xfff, 3)}-${hex(c & 0xffff, 4)}${hex(kind, 2)}${hex(d >>> 8, 6)}`;
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const CHUNK = 4 << 20;
const TAB = 0x09;
const NEWLINE = 0x0a;

/**
 * Writes COPY text rows straight into byte buffers (ids, numbers and dates without building
 * strings: the L size is ~38M rows) and hands full buffers to the file with back-pressure.
 * Each field call appends the value and a tab; `end()` turns the last tab into a newline.
 */
class TableFile {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private queued = 0;
  rows = 0;
  private readonly out: fs.WriteStream;
  constructor(file: string) {
    this.out = fs.createWriteStream(file);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const full = this.buf.subarray(0, this.pos);
    this.queued += full.length;
    this.out.write(full, () => { this.queued -= full.length; });
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.pos = 0;
  }
  private hexDigits(value: number, digits: number): void {
    for (let k = digits - 1; k >= 0; k--) {
      this.buf[this.pos + k] = HEX[value & 15];
      value >>>= 4;
    }
    this.pos += digits;
  }
  /** datasetUuid(kind, i), written in place. */
  uuid(kind: number, i: number): this {
    this.room(37);
    const a = fmix32((i ^ 0x2545f491 ^ Math.imul(kind, 0x9e3779b9)) >>> 0);
    const b = fmix32((a ^ 0x5bd1e995) >>> 0);
    const c = fmix32((b + kind) >>> 0);
    const d = fmix32((c ^ i) >>> 0);
    const buf = this.buf;
    this.hexDigits(a, 8);
    buf[this.pos++] = 0x2d;
    this.hexDigits(b >>> 16, 4);
    buf[this.pos++] = 0x2d;
    buf[this.pos++] = 0x34;
    this.hexDigits(b & 0xfff, 3);
    buf[this.pos++] = 0x2d;
    this.hexDigits(8 | (c >>> 30), 1);
    this.hexDigits((c >>> 16) & 0xfff, 3);
    buf[this.pos++] = 0x2d;
    this.hexDigits(c & 0xffff, 4);
    this.hexDigits(kind, 2);
    this.hexDigits(d >>> 8, 6);
    buf[this.pos++] = TAB;
    return this;
  }
  /** A non-negative whole number below 2^53. */
  int(n: number): this {
    this.room(18);
    if (n === 0) {
      this.buf[this.pos++] = 0x30;
    } else {
      let digits = 0;
      for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
      for (let k = digits - 1; k >= 0; k--) {
        this.buf[this.pos + k] = 0x30 + (n % 10);
        n = Math.floor(n / 10);
      }
      this.pos += digits;
    }
    this.buf[this.pos++] = TAB;
    return this;
  }
  /** An amount in minor units (may be negative). */
  money(v: bigint): this {
    return this.ascii(v.toString());
  }
  ascii(s: string): this {
    this.room(s.length + 1);
    this.pos += this.buf.write(s, this.pos, 'latin1');
    this.buf[this.pos++] = TAB;
    return this;
  }
  /** Free text (COPY-escaped). */
  text(s: string): this {
    const escaped = /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }[c]!)) : s;
    this.room(Buffer.byteLength(escaped) + 1);
    this.pos += this.buf.write(escaped, this.pos, 'utf8');
    this.buf[this.pos++] = TAB;
    return this;
  }
  bytes(b: Buffer): this {
    this.room(b.length + 1);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    this.buf[this.pos++] = TAB;
    return this;
  }
  bool(v: boolean): this {
    this.room(2);
    this.buf[this.pos++] = v ? 0x74 : 0x66;
    this.buf[this.pos++] = TAB;
    return this;
  }
  null(): this {
    this.room(3);
    this.buf[this.pos++] = 0x5c;
    this.buf[this.pos++] = 0x4e;
    this.buf[this.pos++] = TAB;
    return this;
  }
  end(): void {
    this.buf[this.pos - 1] = NEWLINE;
    this.rows++;
  }
  /** Waits while more than a few buffers are on their way to the disk. */
  async drain(): Promise<void> {
    while (this.queued > 4 * CHUNK) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }
  async close(): Promise<void> {
    if (this.pos > 0) this.out.write(this.buf.subarray(0, this.pos));
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

const GOODS: Array<[string, number]> = [
  ['Nước giải khát thùng 24 lon', 180_000], ['Bánh quy hộp 500g', 65_000], ['Cà phê rang xay 1kg', 240_000],
  ['Gạo ST25 túi 5kg', 190_000], ['Dầu ăn 5 lít', 210_000], ['Nước mắm chai 500ml', 45_000],
  ['Sữa tươi thùng 48 hộp', 380_000], ['Mì ăn liền thùng 30 gói', 115_000], ['Giấy in A4 thùng 5 ram', 390_000],
  ['Xi măng bao 50kg', 95_000], ['Thép cuộn phi 6 (tấn)', 15_600_000], ['Dịch vụ vận chuyển', 1_500_000],
  ['Bảo trì máy lạnh', 650_000], ['Phần mềm kế toán (năm)', 6_000_000], ['Sơn nước thùng 18 lít', 1_250_000],
];
const GOODS_TEXT = GOODS.map(([name]) => Buffer.from(name, 'utf8'));
const TAX_RATES = [10, 10, 10, 10, 10, 10, 8, 8, 8, 5, 0] as const;
const TERMS = [0, 7, 15, 30, 30, 30, 45, 60] as const;
const FIRST = ['Công ty TNHH', 'Công ty CP', 'Cửa hàng', 'Đại lý', 'Siêu thị mini', 'Nhà hàng', 'Doanh nghiệp tư nhân'] as const;
const NAME = ['Minh Phát', 'Hoàng Long', 'An Khang', 'Thịnh Vượng', 'Phú Quý', 'Đức Thành', 'Hưng Thịnh', 'Sao Mai', 'Bình Minh', 'Trường Sơn', 'Nam Việt', 'Ánh Dương', 'Hải Đăng', 'Kim Ngân', 'Tân Tiến'] as const;
const PROVINCES = ['Hà Nội', 'TP. Hồ Chí Minh', 'Đà Nẵng', 'Hải Phòng', 'Cần Thơ', 'Bình Dương', 'Đồng Nai', 'Khánh Hoà', 'Nghệ An', 'Quảng Ninh'] as const;
const GROUPS = ['RETAIL', 'WHOLESALE', 'HORECA', 'EXPORT', 'PROJECT'] as const;

type Trust = 'good' | 'normal' | 'bad';
interface Customer { ref: string; trust: Trust; term: number; payDay: number; invoices: number; open: number }

/** An invoice's receivable line waiting for its customer's payment day (whole, or a part). */
interface Due { line: number; amount: bigint; undo: boolean; date: number; due: number }

async function generate(size: Size, today: string, dir: string, log: (m: string) => void): Promise<LedgerManifest> {
  const started = performance.now();
  const spec = LEDGER_SIZES[size];
  const rng: Rng = createRng(0x1ed9e5 + spec.customers);
  const rnd = (): number => rng.next();
  // Day d (0 = HISTORY_DAYS days ago … HISTORY_DAYS = today).
  const T = HISTORY_DAYS;
  const first = addDays(today, -T);
  const dayText: string[] = [];
  for (let d = 0; d <= T + 400; d++) dayText.push(addDays(first, d));
  const day = dayText.map((s) => Buffer.from(s, 'latin1'));
  const stamps = dayText.map((s) => Array.from({ length: 24 }, (_, h) => Buffer.from(`${s} ${String(h).padStart(2, '0')}:00:00+07`, 'latin1')));
  const weekday = (d: number): number => new Date(`${dayText[d]}T00:00:00Z`).getUTCDay();

  const files = Object.fromEntries(TABLE_NAMES.map((t) => [t, new TableFile(path.join(dir, `${t}.tsv`))])) as Record<LedgerTable, TableFile>;
  const F = files;
  let moveNo = 0;
  let lineNo = 0;
  let paymentNo = 0;
  let partialNo = 0;

  // Partners, rank 1 (largest) first.
  const customers: Customer[] = [];
  const cdf = new Float64Array(spec.customers);
  let acc = 0;
  for (let r = 0; r < spec.customers; r++) {
    acc += 1 / Math.pow(r + 1, ZIPF_EXPONENT);
    cdf[r] = acc;
  }
  for (let r = 0; r < spec.customers; r++) {
    const u = rnd();
    const trust: Trust = u < 0.3 ? 'good' : u < 0.85 ? 'normal' : 'bad';
    const c: Customer = { ref: `KH${String(r + 1).padStart(6, '0')}`, trust, term: rng.pick(TERMS), payDay: rng.int(7), invoices: 0, open: 0 };
    customers.push(c);
    const name = `${rng.pick(FIRST)} ${rng.pick(NAME)} ${r + 1}`;
    const address = JSON.stringify({ street: `${1 + rng.int(300)} Đường số ${1 + rng.int(40)}`, ward: `Phường ${1 + rng.int(20)}`, province: rng.pick(PROVINCES), country: 'VN' });
    F.ledger_partner.uuid(KIND.partner, r).ascii(c.ref).text(name).ascii(`ketoan${r + 1}@khachhang.vn`).ascii(`09${10_000_000 + rng.int(89_999_999)}`).ascii('vi')
      .text(address).ascii(String(100_000_000 + rng.int(899_999_999)).padStart(10, '0')).ascii(rng.pick(GROUPS));
    if (rnd() < 0.5) F.ledger_partner.null(); else F.ledger_partner.int(50_000_000 * (1 + rng.int(40)));
    F.ledger_partner.ascii(trust).bytes(stamps[0][8]).bytes(stamps[0][8]).end();
  }
  const pickCustomer = (): number => {
    const u = rnd() * acc;
    let lo = 0;
    let hi = spec.customers - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1; else hi = mid;
    }
    return lo;
  };

  // Invoices per day: fewer at weekends, the business growing by a third over the two years.
  const weights = Array.from({ length: T + 1 }, (_, d) => [0.3, 1, 1, 1, 1, 1, 0.7][weekday(d)] * (1 + d / (3 * T)));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const perDay: number[] = [];
  let cum = 0;
  let issued = 0;
  for (let d = 0; d <= T; d++) {
    cum += weights[d];
    const upto = d === T ? spec.invoices : Math.round((spec.invoices * cum) / totalWeight);
    perDay.push(upto - issued);
    issued = upto;
  }

  // A customer's payment of a day: in cash one time in ten; a bank payment is matched to its
  // statement line within a week (a quarter of them at once).
  const paidInCash = (ci: number, d: number): boolean => fmix32((Math.imul(ci, 7919) + d) >>> 0) % 10 === 0;
  const bankMatched = (ci: number, d: number): boolean => paidInCash(ci, d) || d <= T - 7 || fmix32((ci ^ Math.imul(d, 31)) >>> 0) % 4 === 0;

  const yearCounter = new Map<number, number>();
  let invoiceNo = 0;
  let open = 0;
  let partly = 0;
  let receivableLines = 0;
  let totalResidual = 0n;
  let unallocated = 0n;
  // Payment day → customer → what it pays that day.
  const dues = new Map<number, Map<number, { full: Due[]; parts: Due[] }>>();
  const schedule = (d: number, customer: number): { full: Due[]; parts: Due[] } => {
    let byCustomer = dues.get(d);
    if (!byCustomer) dues.set(d, byCustomer = new Map());
    let entry = byCustomer.get(customer);
    if (!entry) byCustomer.set(customer, entry = { full: [], parts: [] });
    return entry;
  };

  for (let d = 0; d <= T; d++) {
    const year = Number(dayText[d].slice(0, 4));
    for (let k = 0; k < perDay[d]; k++) {
      const ci = pickCustomer();
      const c = customers[ci];
      const goods = rng.int(GOODS.length);
      const quantity = 1 + rng.int(rng.int(10) === 0 ? 200 : 20);
      const unitPrice = BigInt(Math.round((GOODS[goods][1] * (0.8 + 0.4 * rnd())) / 1000) * 1000);
      const rate = TAX_RATES[rng.int(TAX_RATES.length)];
      const untaxed = BigInt(quantity) * unitPrice;
      const tax = divideRounded(untaxed * BigInt(rate), 100n);
      const total = untaxed + tax;
      const due = d + c.term;

      // When it gets paid: the due date, late by habit, on the customer's payment weekday; or never.
      const u = rnd();
      const never = c.trust === 'bad' ? u < 0.3 : c.trust === 'normal' ? u < 0.05 : u < 0.01;
      let payday = -1;
      if (!never) {
        const late = c.trust === 'good' ? rng.int(8) : c.trust === 'normal' ? Math.floor(-60 * Math.log(1 - rnd())) : 20 + Math.floor(-200 * Math.log(1 - rnd()));
        payday = due + late;
        payday += (c.payDay - (payday % 7) + 7) % 7;
      }
      const settled = payday >= 0 && payday <= T;
      let residual = total;
      let partPaidOn = -1;
      if (settled) {
        residual = 0n;
      } else if (T - d >= 7 && rnd() < 0.12) {
        // Part-paid: 30–70 % some day between the invoice and today.
        const paid = divideRounded(total * BigInt(30 + rng.int(41)), 100_000n) * 1000n;
        if (paid > 0n && paid < total) {
          residual = total - paid;
          partPaidOn = d + 1 + rng.int(T - d);
          partly++;
        }
      }

      const n = (yearCounter.get(year) ?? 0) + 1;
      yearCounter.set(year, n);
      invoiceNo++;
      const number = `INV/${year}/${String(n).padStart(5, '0')}`;
      const move = moveNo++;
      const receivable = lineNo++;
      // Settled by a bank payment still waiting for its statement line: in_payment.
      const state = settled ? (bankMatched(ci, payday) ? 'paid' : 'in_payment') : residual === total ? 'not_paid' : 'partial';
      const at = stamps[d][9 + (k % 8)];
      F.ledger_move.uuid(KIND.move, move).ascii('invoice').ascii('sales').bytes(day[d]).ascii(number).uuid(KIND.partner, ci).bytes(at).end();
      F.ledger_move_line.uuid(KIND.line, receivable).uuid(KIND.move, move).ascii('131').uuid(KIND.partner, ci).bytes(day[d]).bytes(day[due])
        .money(total).int(0).bool(true).money(residual).uuid(KIND.invoice, invoiceNo).null().ascii(number).end();
      F.ledger_move_line.uuid(KIND.line, lineNo++).uuid(KIND.move, move).ascii('511').uuid(KIND.partner, ci).bytes(day[d]).null()
        .int(0).money(untaxed).bool(false).int(0).uuid(KIND.invoice, invoiceNo).null().ascii(number).end();
      if (tax > 0n) {
        F.ledger_move_line.uuid(KIND.line, lineNo++).uuid(KIND.move, move).ascii('3331').uuid(KIND.partner, ci).bytes(day[d]).null()
          .int(0).money(tax).bool(false).int(0).uuid(KIND.invoice, invoiceNo).null().ascii(`${number} VAT`).end();
      }
      F.ledger_invoice.uuid(KIND.invoice, invoiceNo).ascii('invoice').ascii(number).uuid(KIND.partner, ci).bytes(day[d]).bytes(day[due])
        .ascii('VND').ascii('posted').ascii(state).ascii(paymentReference('CN', invoiceNo)).ascii('null')
        .ascii(`[{"dueDate":"${dayText[due]}","amount":"${total}"}]`).money(untaxed).money(tax).money(total).money(residual)
        .uuid(KIND.move, move).bytes(at).bytes(at).end();
      F.ledger_invoice_line.uuid(KIND.invoice, invoiceNo).int(1).bytes(GOODS_TEXT[goods]).int(quantity).money(unitPrice).int(rate)
        .money(untaxed).money(tax).ascii('511').end();
      receivableLines++;
      totalResidual += residual;
      c.invoices++;
      if (residual > 0n) {
        c.open++;
        open++;
      }
      if (settled) schedule(payday, ci).full.push({ line: receivable, amount: total, undo: rnd() < 0.01, date: d, due });
      if (partPaidOn >= 0) schedule(partPaidOn, ci).parts.push({ line: receivable, amount: total - residual, undo: false, date: d, due });
    }

    // Payments of the day, one per customer: what fell due (whole invoices) and part-payments.
    const byCustomer = dues.get(d);
    if (byCustomer) {
      for (const [ci, entry] of byCustomer) {
        let allocated = 0n;
        for (const x of entry.full) allocated += x.amount;
        for (const x of entry.parts) allocated += x.amount;
        const extra = rnd() < 0.02 ? BigInt(10_000 * (1 + rng.int(50))) : 0n;
        const amount = allocated + extra;
        const cash = paidInCash(ci, d);
        const payment = paymentNo++;
        const reference = `${cash ? 'PT' : 'UNC'}-${String(payment + 1).padStart(7, '0')}`;
        const move = moveNo++;
        const credit = lineNo++;
        const at = stamps[d][15];
        F.ledger_move.uuid(KIND.move, move).ascii('payment').ascii(cash ? 'cash' : 'bank').bytes(day[d]).ascii(reference).uuid(KIND.partner, ci).bytes(at).end();
        F.ledger_payment.uuid(KIND.payment, payment).uuid(KIND.partner, ci).bytes(day[d]).money(amount).ascii('VND').ascii(reference)
          .ascii(cash ? 'cash' : 'bank').uuid(KIND.move, move).bool(bankMatched(ci, d)).bytes(at).end();
        F.ledger_move_line.uuid(KIND.line, credit).uuid(KIND.move, move).ascii('131').uuid(KIND.partner, ci).bytes(day[d]).bytes(day[d])
          .int(0).money(amount).bool(true).money(-extra).null().uuid(KIND.payment, payment).ascii(reference).end();
        F.ledger_move_line.uuid(KIND.line, lineNo++).uuid(KIND.move, move).ascii(cash ? '111' : '1121').uuid(KIND.partner, ci).bytes(day[d]).null()
          .money(amount).int(0).bool(false).int(0).null().uuid(KIND.payment, payment).ascii(reference).end();
        receivableLines++;
        totalResidual -= extra;
        unallocated -= extra;
        const partial = (x: Due, on: number, undoneOn: number): void => {
          const row = F.ledger_partial.uuid(KIND.partial, partialNo++).uuid(KIND.line, x.line).uuid(KIND.line, credit).money(x.amount).bytes(day[on]).bytes(stamps[on][15]);
          if (undoneOn < 0) row.null().null();
          else row.bytes(stamps[undoneOn][10]).bytes(day[undoneOn]);
          // The copies of both lines' partner and dates the ledger keeps on a partial.
          row.uuid(KIND.partner, ci).bytes(day[x.date]).bytes(day[x.due]).bytes(day[d]).bytes(day[d]).end();
        };
        for (const x of entry.full) {
          const redo = x.undo ? d + 3 + rng.int(20) : -1;
          if (redo >= 0 && redo < T) {
            // Allocated, undone a few days later, allocated again the next day.
            partial(x, d, redo);
            partial(x, redo + 1, -1);
          } else {
            partial(x, d, -1);
          }
        }
        for (const x of entry.parts) partial(x, d, -1);
              }
      dues.delete(d);
    }
    for (const f of Object.values(files)) await f.drain();
    if (d % 73 === 0 && d > 0) log(`ledger dataset ${size}: ${Math.round((100 * d) / T)} % (${invoiceNo} invoices)`);
  }
  for (const f of Object.values(files)) await f.close();

  const notableRanks = [1, 10, 100, 1000, 10_000, Math.ceil(spec.customers / 2), spec.customers].filter((r, i, a) => r <= spec.customers && a.indexOf(r) === i);
  const partnerIdsFile = path.join(dir, 'partner-ids.txt');
  await fsp.writeFile(partnerIdsFile, customers.map((_, r) => datasetUuid(KIND.partner, r)).join('\n') + '\n');
  const sequences = [...yearCounter].map(([year, count]) => ({ series: 'INV', year, next: count + 1 }));
  sequences.push({ series: 'PAYREF', year: 0, next: invoiceNo + 1 });
  return {
    version: VERSION, size, today,
    rows: Object.fromEntries(TABLE_NAMES.map((t) => [t, files[t].rows])) as Record<LedgerTable, number>,
    openInvoices: open, settledInvoices: invoiceNo - open, partlyPaidInvoices: partly, receivableLines,
    totalResidual: totalResidual.toString(), unallocatedCredit: unallocated.toString(), sequences,
    customers: notableRanks.map((rank) => {
      const c = customers[rank - 1];
      return { rank, id: datasetUuid(KIND.partner, rank - 1), ref: c.ref, invoices: c.invoices, openInvoices: c.open };
    }),
    partnerIdsFile: path.basename(partnerIdsFile),
    generatedInMs: Math.round(performance.now() - started),
  };
}

/** The dataset's files for a size and today's date, generated first if missing. */
export async function ensureLedgerDataset(size: Size, log: (m: string) => void): Promise<LedgerData> {
  const today = todayIn(TIME_ZONE);
  const root = path.join(PROJECT_ROOT, '.tmp', 'bench-data', 'ledger');
  const name = `${size}-${today}-v${VERSION}`;
  const dir = path.join(root, name);
  const manifestFile = path.join(dir, 'manifest.json');
  const existing = await fsp.readFile(manifestFile, 'utf8').catch(() => null);
  if (existing) return { dir, manifest: JSON.parse(existing) as LedgerManifest };
  // Older days or versions of this size are of no further use.
  for (const old of await fsp.readdir(root).catch(() => [] as string[])) {
    if (old.startsWith(`${size}-`) && old !== name) await fsp.rm(path.join(root, old), { recursive: true, force: true });
  }
  const tmp = `${dir}.partial-${process.pid}`;
  await fsp.rm(tmp, { recursive: true, force: true });
  await fsp.mkdir(tmp, { recursive: true });
  log(`generating the ledger dataset ${size} (${LEDGER_SIZES[size].customers} customers, ${LEDGER_SIZES[size].invoices} invoices) in ${path.relative(PROJECT_ROOT, dir)}`);
  const manifest = await generate(size, today, tmp, log);
  await fsp.writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.rename(tmp, dir);
  log(`generated in ${(manifest.generatedInMs / 1000).toFixed(1)} s: ${Object.entries(manifest.rows).map(([t, n]) => `${t} ${n}`).join(', ')}`);
  return { dir, manifest };
}

export async function partnerIds(data: LedgerData): Promise<string[]> {
  return (await fsp.readFile(path.join(data.dir, data.manifest.partnerIdsFile), 'utf8')).split('\n').filter(Boolean);
}

/* ----------------------------------------------------------------------------------------- */
/* Loading                                                                                    */
/* ----------------------------------------------------------------------------------------- */

export interface LoadTimings {
  /** Dropping the ledger tables' keys, foreign keys and indexes (their definitions are kept). */
  dropMs: number;
  /** COPY of every file (two connections in parallel). */
  copyMs: number;
  /** Primary keys, unique constraints and indexes built again. */
  indexMs: number;
  /** Foreign keys added again, each checked over the whole table. */
  foreignKeyMs: number;
  analyzeMs: number;
  checkMs: number;
  totalMs: number;
  /**
   * CPU time of the loading connections' PostgreSQL backends per phase (ms), read from /proc:
   * steadier than wall time on a busy machine; null when PostgreSQL runs elsewhere.
   */
  cpuMs: { copy: number; index: number; foreignKey: number; analyze: number; check: number } | null;
}

export interface ConsistencyCheck {
  unbalancedMoves: number;
  /** Partners whose Σ residual differs from Σ (debit − credit) of their receivable lines. */
  partnersOff: number;
  /** Invoices whose residual differs from the Σ residual of their receivable lines. */
  invoicesOff: number;
  /** Receivable lines whose residual differs from (debit − credit) ∓ their live partials. */
  linesOff: number;
  receivableLines: number;
  invoices: number;
  totalResidual: string;
}

interface Definition { table: string; name: string; sql: string }

/** Runs `jobs` on `clients.length` connections, each job on the next free one. */
async function inLanes<T>(clients: pg.Client[], jobs: Array<(c: pg.Client) => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(clients.map(async (c) => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i](c);
    }
  }));
  return out;
}

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await fn();
  return [r, Math.round(performance.now() - t0)];
};

/**
 * Loads the dataset's files into the ledger tables of `tenantId` on a freshly migrated database
 * (the tenant exists with the ledger enabled: the chart of accounts is there). Loading into
 * tables with their keys and foreign keys in place costs an index insertion and a lookup per
 * row per key; so the keys, foreign keys and indexes of the ledger tables (and foreign keys of
 * other tables pointing at them) are dropped first, their definitions read from the catalogue,
 * and made again afterwards from those same definitions — each index built in one sorted pass,
 * each foreign key checked in one join. The files are copied into tables truncated in the same
 * transaction (`COPY … FREEZE`: rows written frozen and all-visible, so index-only scans work
 * without a VACUUM). The row triggers (balanced entries, immutable lines) do not fire during
 * COPY (`session_replication_role = replica`); the consistency check at the end proves what they
 * would have enforced, and more.
 */
export async function loadLedgerDataset(databaseUrl: string, tenantId: string, data: LedgerData, log: (m: string) => void, lanes = 2): Promise<{ timings: LoadTimings; check: ConsistencyCheck }> {
  const clients = await Promise.all(Array.from({ length: lanes }, async () => {
    const c = new pg.Client({ connectionString: databaseUrl, application_name: 'congno-bench-load' });
    await c.connect();
    // Two connections keep both cores busy; parallel workers on top would only compete with them.
    await c.query(`set maintenance_work_mem = '1GB'; set work_mem = '512MB'; set max_parallel_maintenance_workers = 0; set max_parallel_workers_per_gather = 0`);
    return c;
  }));
  const [admin] = clients;
  const pids = await Promise.all(clients.map(async (c) => Number((await c.query('select pg_backend_pid() as pid')).rows[0].pid)));
  const cpu = async (): Promise<number | null> => {
    let ticks = 0;
    for (const pid of pids) {
      const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
      if (!stat) return null;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    }
    return ticks * 10; // USER_HZ = 100
  };
  const cpuAt: Array<number | null> = [];
  const started = performance.now();
  try {
    const tables = TABLE_NAMES;
    const { rows: constraints } = await admin.query<{ table: string; name: string; type: string; def: string }>(`
      select c.conrelid::regclass::text as table, c.conname as name, c.contype as type, pg_get_constraintdef(c.oid) as def
      from pg_constraint c
      where c.contype in ('p', 'u', 'f') and (c.conrelid = any($1::regclass[]) or c.confrelid = any($1::regclass[]))`, [tables]);
    const { rows: indexes } = await admin.query<{ table: string; name: string; def: string }>(`
      select i.indrelid::regclass::text as table, i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
      from pg_index i
      where i.indrelid = any($1::regclass[])
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.contype in ('p', 'u', 'x'))`, [tables]);
    const keys: Definition[] = constraints.filter((c) => c.type !== 'f').map((c) => ({ table: c.table, name: c.name, sql: `alter table ${c.table} add constraint ${c.name} ${c.def}` }));
    const foreign: Definition[] = constraints.filter((c) => c.type === 'f').map((c) => ({ table: c.table, name: c.name, sql: `alter table ${c.table} add constraint ${c.name} ${c.def}` }));
    const plain: Definition[] = indexes.map((i) => ({ table: i.table, name: i.name, sql: i.def }));

    const [, dropMs] = await timed(async () => {
      for (const f of foreign) await admin.query(`alter table ${f.table} drop constraint ${f.name}`);
      for (const k of keys) await admin.query(`alter table ${k.table} drop constraint ${k.name}`);
      for (const i of plain) await admin.query(`drop index ${i.name}`);
    });

    cpuAt.push(await cpu());
    // Biggest first, so the two connections finish together.
    const order = [...tables].sort((a, b) => data.manifest.rows[b] * LEDGER_TABLES[b].length - data.manifest.rows[a] * LEDGER_TABLES[a].length);
    const [, copyMs] = await timed(() => inLanes(clients, order.map((table) => async (c) => {
      const t0 = performance.now();
      await c.query('begin');
      try {
        await c.query(`set local session_replication_role = replica`);
        await c.query(`truncate ${table}`);
        await c.query(`alter table ${table} alter column tenant_id set default '${tenantId}'::uuid`);
        const columns = LEDGER_TABLES[table].join(', ');
        await pipeline(fs.createReadStream(path.join(data.dir, `${table}.tsv`), { highWaterMark: 1 << 20 }), c.query(copyFrom(`copy ${table} (${columns}) from stdin with (freeze)`)));
        await c.query(`alter table ${table} alter column tenant_id drop default`);
        await c.query('commit');
      } catch (err) {
        await c.query('rollback').catch(() => {});
        throw err;
      }
      log(`copied ${data.manifest.rows[table]} rows into ${table} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    })));

    cpuAt.push(await cpu());
    // Statistics first: the foreign-key checks are joins the planner must size right.
    const [, analyzeMs] = await timed(() => inLanes(clients, order.map((table) => (c) => c.query(`analyze ${table}`))));
    cpuAt.push(await cpu());

    const build = (defs: Definition[]) => inLanes(clients, defs.map((d) => async (c) => {
      const t0 = performance.now();
      await c.query(d.sql);
      const ms = performance.now() - t0;
      if (ms > 500) log(`${d.name} on ${d.table}: ${(ms / 1000).toFixed(1)} s`);
    }));
    const rowsOf = (table: string): number => data.manifest.rows[table as LedgerTable] ?? 0;
    const [, indexMs] = await timed(() => build([...keys, ...plain].sort((a, b) => rowsOf(b.table) - rowsOf(a.table))));
    cpuAt.push(await cpu());
    const [, foreignKeyMs] = await timed(() => build([...foreign].sort((a, b) => rowsOf(b.table) - rowsOf(a.table))));
    // Statistics of the expression index on partner names (made just now).
    await admin.query('analyze ledger_partner');
    cpuAt.push(await cpu());

    await admin.query('begin');
    await admin.query(`set local session_replication_role = replica`);
    for (const s of data.manifest.sequences) {
      await admin.query(`insert into ledger_sequence (tenant_id, series, year, next_number) values ($1, $2, $3, $4)`, [tenantId, s.series, s.year, s.next]);
    }
    await admin.query('commit');

    const [check, checkMs] = await timed(() => checkLedger(clients, tenantId));
    cpuAt.push(await cpu());
    const spent = (i: number): number => cpuAt[i + 1]! - cpuAt[i]!;
    const timings: LoadTimings = {
      dropMs, copyMs, indexMs, foreignKeyMs, analyzeMs, checkMs, totalMs: Math.round(performance.now() - started),
      cpuMs: cpuAt.some((x) => x === null) ? null : { copy: spent(0), analyze: spent(1), index: spent(2), foreignKey: spent(3), check: spent(4) },
    };
    const expected = data.manifest;
    const wrong = [
      check.unbalancedMoves && `${check.unbalancedMoves} unbalanced entries`,
      check.partnersOff && `${check.partnersOff} partners whose residuals do not sum to their balance`,
      check.invoicesOff && `${check.invoicesOff} invoices whose residual is not their lines'`,
      check.linesOff && `${check.linesOff} lines whose residual is not their history's`,
      check.receivableLines !== expected.receivableLines && `${check.receivableLines} receivable lines, not ${expected.receivableLines}`,
      check.invoices !== expected.rows.ledger_invoice && `${check.invoices} invoices, not ${expected.rows.ledger_invoice}`,
      check.totalResidual !== expected.totalResidual && `Σ residual ${check.totalResidual}, not ${expected.totalResidual}`,
    ].filter(Boolean);
    if (wrong.length > 0) throw new Error(`the loaded ledger is not consistent: ${wrong.join('; ')}`);
    return { timings, check };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}

/** The books' invariants over the whole tenant, in set-based SQL, on two connections. */
async function checkLedger(clients: pg.Client[], tenantId: string): Promise<ConsistencyCheck> {
  const one = async (c: pg.Client, query: string): Promise<Record<string, string>> => (await c.query(query, [tenantId])).rows[0];
  const [moves, partners, invoices, lines] = await inLanes(clients, [
    (c) => one(c, `
      select count(*)::text as unbalanced from (
        select move_id from ledger_move_line where tenant_id = $1 group by move_id having sum(debit) <> sum(credit)) x`),
    (c) => one(c, `
      select count(*) filter (where residual <> balance)::text as off, coalesce(sum(lines), 0)::text as lines, coalesce(sum(residual), 0)::text as residual from (
        select partner_id, count(*) as lines, sum(amount_residual) as residual, sum(debit - credit) as balance
        from ledger_move_line where tenant_id = $1 and receivable group by partner_id) x`),
    (c) => one(c, `
      select count(*)::text as invoices, count(*) filter (where i.residual <> coalesce(l.residual, 0))::text as off
      from ledger_invoice i
      left join (select invoice_id, sum(amount_residual) as residual from ledger_move_line
                 where tenant_id = $1 and receivable and invoice_id is not null group by invoice_id) l on l.invoice_id = i.id
      where i.tenant_id = $1`),
    (c) => one(c, `
      select count(*)::text as off from ledger_move_line l
      left join (
        select line_id, sum(amount) as applied from (
          select debit_line_id as line_id, -amount as amount from ledger_partial where tenant_id = $1 and undone_at is null
          union all
          select credit_line_id, amount from ledger_partial where tenant_id = $1 and undone_at is null) p
        group by line_id) p on p.line_id = l.id
      where l.tenant_id = $1 and l.receivable and l.amount_residual <> (l.debit - l.credit) + coalesce(p.applied, 0)`),
  ]);
  return {
    unbalancedMoves: Number(moves.unbalanced), partnersOff: Number(partners.off), invoicesOff: Number(invoices.off), linesOff: Number(lines.off),
    receivableLines: Number(partners.lines), invoices: Number(invoices.invoices), totalResidual: partners.residual,
  };
}

/** A benchmark server with the ledger enabled and the size's books loaded (what every ledger workload starts from). */
export async function ledgerServer(ctx: BenchContext, modules: string[] = ['ledger']): Promise<{ server: BenchServer; data: LedgerData; timings: LoadTimings; check: ConsistencyCheck }> {
  const data = await ensureLedgerDataset(ctx.size, ctx.log);
  const server = await ctx.startServer({ modules });
  if (ctx.reused) {
    const { rows: [{ n }] } = await sql<{ n: number }>`select count(*)::int as n from ledger_partner where tenant_id = ${server.tenant.id}`.execute(ctx.db);
    if (n === data.manifest.rows.ledger_partner) {
      ctx.log(`reusing the ${ctx.size} books loaded earlier (and whatever earlier runs did to them)`);
      return { server, data, timings: null as unknown as LoadTimings, check: null as unknown as ConsistencyCheck }; // ledger-load refuses --reuse
    }
    throw new Error(`--reuse: the kept database holds ${n} partners, not the ${data.manifest.rows.ledger_partner} of size ${ctx.size}; run without --reuse`);
  }
  const { timings, check } = await loadLedgerDataset(ctx.databaseUrl, server.tenant.id, data, ctx.log);
  ctx.log(`loaded the ${ctx.size} books in ${(timings.totalMs / 1000).toFixed(1)} s (copy ${(timings.copyMs / 1000).toFixed(1)} s, indexes ${(timings.indexMs / 1000).toFixed(1)} s, foreign keys ${(timings.foreignKeyMs / 1000).toFixed(1)} s, check ${(timings.checkMs / 1000).toFixed(1)} s)`);
  return { server, data, timings, check };
}
