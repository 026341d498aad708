import { sql } from 'kysely';
import crypto from 'node:crypto';
import { ProblemError, badRequest } from '../../../core/errors.js';
import { divideRounded } from '../../../core/money.js';
import { checkEntries, inflateEntry, readCentralDirectory, ZipError, type ZipLimits } from '../../../core/zip.js';
import { show, type Books } from '../context.js';
import { computeLine, ratesBelowZero, taxFraction } from '../amounts.js';
import { readEInvoice, type EInvoice } from '../einvoice.js';
import { postInvoicesInBulk } from '../invoices-bulk.js';
import { createPartner } from '../partners.js';

/** A ZIP of e-invoices: a month of a small company's sales is a few hundred files of a few kB. */
const ZIP_LIMITS: ZipLimits = { maxEntries: 5_000, maxTotalBytes: 100 * 1024 * 1024, maxRatio: 200, ratioFromBytes: 1024 * 1024 };

export interface EInvoiceFileError { file: string; field: string; message: string }

export interface EInvoiceImportResult {
  dryRun: boolean;
  files: number;
  imported: number;
  /** Already in the books (same form, series and number), or twice in this upload: reported, not posted again. */
  duplicates: number;
  /** A partner was created for a buyer the books did not know. */
  partnersCreated: number;
  total: string;
  invoices: Array<{ file: string; form: string; series: string; number: string; id: string | null; duplicate: boolean }>;
  errors: EInvoiceFileError[];
}

/** The XML files of the upload: one XML, or every `.xml` of a ZIP (checked before a byte is inflated). */
function filesOf(body: Buffer): Array<{ name: string; text: string }> {
  if (body[0] === 0x50 && body[1] === 0x4b) {
    try {
      const entries = readCentralDirectory(body, ZIP_LIMITS.maxEntries);
      checkEntries(entries, ZIP_LIMITS);
      const xml = entries.filter((e) => /\.xml$/i.test(e.name) && !e.name.endsWith('/'));
      if (xml.length === 0) throw badRequest('the ZIP holds no .xml file', 'body');
      return xml.map((e) => ({ name: e.name, text: new TextDecoder('utf-8').decode(inflateEntry(body, e)).replace(/^\uFEFF/, '') }));
    } catch (err) {
      if (err instanceof ZipError) throw badRequest(`the ZIP cannot be read: ${err.message.replace(/the workbook/g, 'the archive').replace(/in the workbook /g, '')}`, 'body');
      throw err;
    }
  }
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  if (!text.trimStart().startsWith('<')) throw badRequest('send one e-invoice XML file, or a ZIP of them, as the request body', 'body');
  return [{ name: 'invoice.xml', text }];
}

/**
 * The lines as the ledger computes them must give the totals the seller signed. VAT is computed
 * per line; an invoice whose software rounds VAT once per rate (its per-rate summary, or else its
 * total, says so) gets that rounding spread over the lines of the rate, at most one unit a line,
 * to the lines whose exact VAT lies nearest the next unit. Returns each line's VAT.
 */
function checkTotals(books: Books, inv: EInvoice, errors: Array<{ field: string; message: string }>): bigint[] {
  let untaxed = 0n;
  const taxes: bigint[] = [];
  inv.lines.forEach((l, i) => {
    const computed = computeLine({ description: l.description, quantity: l.quantity, unitPrice: show(books, l.unitPrice), taxRate: l.taxRate }, books.currency, i);
    if (computed.subtotal !== l.amount) {
      errors.push({ field: `DSHHDVu/HHDVu[${i + 1}]/ThTien`, message: `${l.quantity} × ${show(books, l.unitPrice)} is ${show(books, computed.subtotal)}, the line says ${show(books, l.amount)}` });
    }
    untaxed += l.amount;
    taxes.push(computed.tax);
  });
  for (const [rate, sum] of ratesBelowZero(inv.lines.map((l) => ({ taxRate: l.taxRate, subtotal: l.amount })))) {
    errors.push({ field: 'NDHDon/DSHHDVu', message: `the lines at ${rate} % VAT add up to ${show(books, sum)}: a discount may not exceed the goods of its rate` });
  }
  if (untaxed !== inv.untaxed) errors.push({ field: 'TToan/TgTCThue', message: `the lines add up to ${show(books, untaxed)} before tax; the invoice says ${show(books, inv.untaxed)}` });
  if (inv.untaxed + inv.tax !== inv.total) errors.push({ field: 'TToan/TgTTTBSo', message: `${show(books, inv.untaxed)} + ${show(books, inv.tax)} VAT is not the total ${show(books, inv.total)}` });
  const byLine = taxes.reduce((a, t) => a + t, 0n);
  if (byLine === inv.tax && inv.rates.length === 0) return taxes;

  // The VAT each rate should carry: the invoice's summary per rate, else one rounding per rate.
  const groups = new Map<string, number[]>();
  inv.lines.forEach((l, i) => groups.set(l.taxRate, [...(groups.get(l.taxRate) ?? []), i]));
  const stated = new Map(inv.rates.map((r) => [r.taxRate, r.tax]));
  const target = new Map<string, bigint>();
  for (const [rate, members] of groups) {
    const sum = taxFraction(members.reduce((a, i) => a + inv.lines[i].amount, 0n), rate);
    target.set(rate, stated.get(rate) ?? divideRounded(sum.num, sum.den));
  }
  const perRate = [...target.values()].reduce((a, t) => a + t, 0n);
  if (perRate !== inv.tax) {
    errors.push({ field: 'TToan/TgTThue', message: `VAT is ${show(books, byLine)} line by line and ${show(books, perRate)} rounded per rate; the invoice says ${show(books, inv.tax)}` });
    return taxes;
  }
  const sign = (x: bigint) => (x > 0n ? 1 : x < 0n ? -1 : 0);
  for (const [rate, members] of groups) {
    let off = target.get(rate)! - members.reduce((a, i) => a + taxes[i], 0n);
    if ((off < 0n ? -off : off) > BigInt(members.length)) {
      errors.push({ field: 'TToan/THTTLTSuat', message: `VAT at ${rate} % is ${show(books, target.get(rate)!)} on the invoice, more than one unit a line from its lines' ${show(books, target.get(rate)! - off)}` });
      continue;
    }
    // Lines nearest the next unit up (or down) move first: remainder = exact VAT − rounded VAT.
    const remainder = (i: number) => {
      const exact = taxFraction(inv.lines[i].amount, rate);
      return exact.num - taxes[i] * exact.den;
    };
    const order = [...members].sort((a, b) => (off > 0n ? sign(remainder(b) - remainder(a)) : sign(remainder(a) - remainder(b))));
    for (const i of order) {
      if (off === 0n) break;
      const step = off > 0n ? 1n : -1n;
      taxes[i] += step;
      off -= step;
    }
  }
  return taxes;
}

/** The buyer's partner: by tax code, else by the buyer's code as ref, else by name; created when the books do not know it. */
async function partnerOf(books: Books, inv: EInvoice, known: Map<string, string>, created: { count: number }): Promise<string> {
  const b = inv.buyer;
  const key = b.taxCode ? `mst:${b.taxCode}` : b.code ? `ref:${b.code}` : `name:${b.name}`;
  const already = known.get(key);
  if (already) return already;
  const found = await books.trx.selectFrom('ledger_partner').select('id').where('tenant_id', '=', books.tenantId)
    .where(b.taxCode ? 'tax_code' : b.code ? 'ref' : 'name', '=', b.taxCode ?? b.code ?? b.name).orderBy('created_at').executeTakeFirst();
  if (found) { known.set(key, found.id); return found.id; }
  // A buyer without a tax code (a person) gets a ref of its own name's digest: the same buyer, the same ref.
  const ref = b.code ?? b.taxCode ?? `KL-${crypto.createHash('sha1').update(b.name).digest('hex').slice(0, 8).toUpperCase()}`;
  const partner = await createPartner(books, {
    ref, name: b.name, taxCode: b.taxCode, email: b.email && /^[^\s@]+@[^\s@]+$/.test(b.email) ? b.email : null,
    address: b.address ? { street: b.address, country: 'VN' } : null,
  });
  known.set(key, partner.id);
  created.count++;
  return partner.id;
}

/**
 * E-invoices (one XML, or a ZIP of them) into the books: each read and checked (totals against
 * lines), its buyer found or created, posted as the bulk posting posts invoices (numbered in the
 * company's series, the e-invoice's form, series and number kept) with its XML kept beside it.
 * An invoice already imported (same form, series and number) is reported as a duplicate, not
 * posted again. Any finding in any file: a 400 listing them all, nothing written. A dry run does
 * the work and rolls it back.
 */
export async function importEInvoices(books: Books, body: Buffer, dryRun: boolean): Promise<EInvoiceImportResult> {
  const files = filesOf(body);
  const errors: EInvoiceFileError[] = [];
  const read: Array<{ file: string; xml: string; inv: EInvoice; taxes: bigint[] }> = [];
  for (const f of files) {
    const { invoice, findings } = readEInvoice(f.text, books.currency);
    const own: Array<{ field: string; message: string }> = [...findings];
    const taxes = invoice ? checkTotals(books, invoice, own) : [];
    if (invoice && invoice.total <= 0n) {
      own.push({ field: 'TToan/TgTTTBSo', message: 'an invoice of zero or less (one that adjusts another down) is not imported: post a credit note on the invoice it adjusts' });
    }
    errors.push(...own.map((e) => ({ file: f.name, ...e })));
    if (invoice && own.length === 0) read.push({ file: f.name, xml: f.text, inv: invoice, taxes });
  }
  if (errors.length > 0) {
    throw new ProblemError(400, 'import-rejected', 'The e-invoices were not imported',
      `${errors.length} finding${errors.length === 1 ? '' : 's'} in ${new Set(errors.map((e) => e.file)).size} file(s); nothing was imported.`,
      'body', errors);
  }

  const keyOf = (inv: EInvoice) => `${inv.form}\u0000${inv.series}\u0000${inv.number}`;
  const { rows: known } = read.length === 0 ? { rows: [] } : await sql<{ einvoice_form: string; einvoice_series: string; einvoice_number: string }>`
    select einvoice_form, einvoice_series, einvoice_number from ledger_invoice
    where tenant_id = ${books.tenantId} and einvoice_number = any(${read.map((r) => r.inv.number)}::text[])`.execute(books.trx);
  const seen = new Set(known.map((k) => `${k.einvoice_form}\u0000${k.einvoice_series}\u0000${k.einvoice_number}`));
  const fresh: typeof read = [];
  const invoices: EInvoiceImportResult['invoices'] = [];
  for (const r of read) {
    const duplicate = seen.has(keyOf(r.inv));
    seen.add(keyOf(r.inv));
    invoices.push({ file: r.file, form: r.inv.form, series: r.inv.series, number: r.inv.number, id: null, duplicate });
    if (!duplicate) fresh.push(r);
  }

  if (dryRun) await sql`savepoint einvoices_dry_run`.execute(books.trx);
  const partners = new Map<string, string>();
  const created = { count: 0 };
  const inputs = [];
  for (const r of fresh) {
    inputs.push({
      partner: await partnerOf(books, r.inv, partners, created), date: r.inv.date, post: true,
      lines: r.inv.lines.map((l, i) => ({ description: l.description, quantity: l.quantity, unitPrice: show(books, l.unitPrice), taxRate: l.taxRate, tax: show(books, r.taxes[i]) })),
      einvoice: { form: r.inv.form, series: r.inv.series, number: r.inv.number },
    });
  }
  const ids: string[] = [];
  for (let i = 0; i < inputs.length; i += 500) {
    const posted = await postInvoicesInBulk(books, inputs.slice(i, i + 500));
    ids.push(...posted.invoices.map((p) => p.id));
  }
  if (ids.length > 0) {
    await books.trx.insertInto('ledger_einvoice_document').values(fresh.map((r, i) => ({ tenant_id: books.tenantId, invoice_id: ids[i], file_name: r.file.slice(0, 255), xml: r.xml }))).execute();
  }
  if (dryRun) await sql`rollback to savepoint einvoices_dry_run`.execute(books.trx);
  let k = 0;
  for (const inv of invoices) if (!inv.duplicate) inv.id = dryRun ? null : ids[k++];

  const total = fresh.reduce((s, r) => s + r.inv.total, 0n);
  const result: EInvoiceImportResult = {
    dryRun, files: files.length, imported: fresh.length, duplicates: read.length - fresh.length, partnersCreated: created.count, total: show(books, total), invoices, errors: [],
  };
  if (!dryRun) await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'einvoices.imported', entity: 'import', entityId: crypto.randomUUID(), after: { ...result, invoices: undefined } });
  return result;
}
