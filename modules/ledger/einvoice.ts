/**
 * A Vietnamese e-invoice as the tax authority's format has it (Decree 123/2020/NĐ-CP, Circular
 * 78/2021/TT-BTC, Decision 1450/QĐ-TCT: `HDon/DLHDon` with `TTChung` — form `KHMSHDon`, series
 * `KHHDon`, number `SHDon`, date `NLap`, currency `DVTTe` — and `NDHDon` — seller `NBan`, buyer
 * `NMua`, lines `DSHHDVu/HHDVu`, totals `TToan`), read into what the ledger posts. Every finding
 * names the element it is about. The totals the seller signed are checked against the lines.
 */
import { readXml, type XmlElement } from '../../core/xml.js';
import { parseAmount, MoneyError } from '../../core/money.js';
import { isIsoDate } from '../../core/dates.js';
import { ProblemError } from '../../core/errors.js';

/** `unitPrice` and `amount` are negative for a discount line. */
export interface EInvoiceLine { description: string; quantity: string; unitPrice: bigint; amount: bigint; taxRate: string }

/** The VAT of one rate as the invoice sums it up (TToan/THTTLTSuat/LTSuat), when it does. */
export interface EInvoiceRateTotal { taxRate: string; amount: bigint; tax: bigint }

export interface EInvoice {
  form: string; series: string; number: string; date: string; currency: string;
  seller: { taxCode: string | null; name: string | null };
  buyer: { taxCode: string | null; name: string; code: string | null; address: string | null; email: string | null };
  lines: EInvoiceLine[];
  rates: EInvoiceRateTotal[];
  untaxed: bigint; tax: bigint; total: bigint;
}

export interface EInvoiceFinding { field: string; message: string }

/** "950000.00" → "950000": trailing zeros of the decimals are no precision. */
const trimmed = (text: string): string => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);

/**
 * The VAT rate as the ledger reads it (percent), from `TSuat`: "10%", "8%", "5%", "0%", "KCT" (not
 * subject to VAT) and "KKKNT" (not declared) are 0 %, "KHAC:5.26%" a special rate.
 */
export function vatRate(text: string): string | null {
  const t = text.trim().toUpperCase();
  if (t === 'KCT' || t === 'KKKNT') return '0';
  const m = /^(?:KHAC:)?(\d{1,3}(?:\.\d{1,4})?)%$/.exec(t);
  return m ? trimmed(m[1]) : null;
}

export function readEInvoice(xml: string, currencyOfBooks: string): { invoice: EInvoice | null; findings: EInvoiceFinding[] } {
  const findings: EInvoiceFinding[] = [];
  let root: XmlElement;
  try {
    root = readXml(xml);
  } catch (err) {
    if (err instanceof ProblemError) return { invoice: null, findings: [{ field: 'file', message: err.detail ?? err.message }] };
    throw err;
  }
  const hdon = root.at('HDon') ?? root.at('TDiep', 'DLieu', 'HDon');
  const data = hdon?.at('DLHDon');
  if (!data) return { invoice: null, findings: [{ field: 'HDon', message: 'not an e-invoice: no HDon/DLHDon element (the tax authority\'s invoice format)' }] };
  const general = data.at('TTChung');
  const content = data.at('NDHDon');
  const need = (el: XmlElement | undefined, path: string, name: string): string | null => {
    const v = el?.textAt(name);
    if (v === undefined) { findings.push({ field: `${path}/${name}`, message: `${name} is missing` }); return null; }
    return v;
  };
  const amount = (el: XmlElement, name: string, currency: string, optional = false): bigint | null => {
    const text = el.textAt(name);
    const field = `${el.path}/${name}`;
    if (text === undefined) { if (!optional) findings.push({ field, message: `${name} is missing` }); return null; }
    if (!/^-?\d+(\.\d+)?$/.test(text)) { findings.push({ field, message: `'${text}' is not an amount` }); return null; }
    try {
      return parseAmount(trimmed(text), currency, { field: name, allowZero: true, allowNegative: true });
    } catch (err) {
      if (err instanceof MoneyError) { findings.push({ field, message: err.message }); return null; }
      throw err;
    }
  };

  const form = need(general, 'TTChung', 'KHMSHDon');
  const series = need(general, 'TTChung', 'KHHDon');
  const number = need(general, 'TTChung', 'SHDon');
  const date = need(general, 'TTChung', 'NLap');
  if (date && !isIsoDate(date.slice(0, 10))) findings.push({ field: 'TTChung/NLap', message: `'${date}' is not a date (YYYY-MM-DD)` });
  const currency = general?.textAt('DVTTe') ?? 'VND';
  if (currency !== currencyOfBooks) findings.push({ field: 'TTChung/DVTTe', message: `the invoice is in ${currency}; this company keeps its books in ${currencyOfBooks}` });
  const seller = content?.at('NBan');
  const buyer = content?.at('NMua');
  if (!buyer) findings.push({ field: 'NDHDon/NMua', message: 'the buyer (NMua) is missing' });
  const buyerName = buyer?.textAt('Ten') ?? buyer?.textAt('HVTNMHang');
  if (buyer && !buyerName) findings.push({ field: 'NMua/Ten', message: 'the buyer has no name (Ten or HVTNMHang)' });

  const lines: EInvoiceLine[] = [];
  const items = content?.at('DSHHDVu')?.all('HHDVu') ?? [];
  if (items.length === 0) findings.push({ field: 'NDHDon/DSHHDVu', message: 'the invoice has no lines (DSHHDVu/HHDVu)' });
  for (const item of items) {
    // TChat: 1 goods or services, 2 promotion (free), 3 trade discount, 4 a note line.
    const kind = item.textAt('TChat') ?? '1';
    if (kind === '4') continue;
    const description = item.textAt('THHDVu');
    if (!description) findings.push({ field: `${item.path}/THHDVu`, message: 'the line has no name (THHDVu)' });
    const quantityText = item.textAt('SLuong') ?? '1';
    const quantity = /^\d+(\.\d{1,6}0*)?$/.test(quantityText) ? trimmed(quantityText) : null;
    if (quantity === null) findings.push({ field: `${item.path}/SLuong`, message: `'${quantityText}' is not a quantity (up to 6 decimals)` });
    const lineAmount = amount(item, 'ThTien', currency);
    const unitPrice = amount(item, 'DGia', currency, true) ?? (quantity === '1' ? lineAmount : null);
    if (unitPrice === null && lineAmount !== null && item.textAt('DGia') === undefined) findings.push({ field: `${item.path}/DGia`, message: 'DGia (unit price) is missing' });
    const rateText = item.textAt('TSuat');
    const taxRate = rateText === undefined ? (kind === '2' ? '0' : null) : vatRate(rateText);
    if (taxRate === null) findings.push({ field: `${item.path}/TSuat`, message: rateText === undefined ? 'TSuat (VAT rate) is missing' : `'${rateText}' is not a VAT rate (10%, 8%, 5%, 0%, KCT, KKKNT or KHAC:x%)` });
    if (!description || quantity === null || lineAmount === null || unitPrice === null || taxRate === null) continue;
    if ((unitPrice < 0n) !== (lineAmount < 0n) && unitPrice !== 0n && lineAmount !== 0n) {
      findings.push({ field: `${item.path}/ThTien`, message: 'the unit price (DGia) and the amount (ThTien) have opposite signs' });
      continue;
    }
    // A trade discount (TChat 3) lowers the goods whichever sign the software wrote it with; a
    // negative line of goods is a discount too.
    const discount = kind === '3' || lineAmount < 0n || unitPrice < 0n;
    const negative = (v: bigint) => (v > 0n ? -v : v);
    lines.push({ description, quantity, unitPrice: discount ? negative(unitPrice) : unitPrice, amount: discount ? negative(lineAmount) : lineAmount, taxRate });
  }

  const totals = content?.at('TToan');
  if (!totals) findings.push({ field: 'NDHDon/TToan', message: 'the totals (TToan) are missing' });
  const untaxed = totals ? amount(totals, 'TgTCThue', currency) : null;
  const tax = totals ? amount(totals, 'TgTThue', currency, true) ?? 0n : null;
  const total = totals ? amount(totals, 'TgTTTBSo', currency) : null;
  const rates: EInvoiceRateTotal[] = [];
  for (const r of totals?.at('THTTLTSuat')?.all('LTSuat') ?? []) {
    const rateText = r.textAt('TSuat');
    const rate = rateText === undefined ? null : vatRate(rateText);
    if (rate === null) { findings.push({ field: `${r.path}/TSuat`, message: `'${rateText ?? ''}' is not a VAT rate` }); continue; }
    const base = amount(r, 'ThTien', currency);
    const vat = amount(r, 'TThue', currency, true) ?? 0n;
    if (base !== null) rates.push({ taxRate: rate, amount: base, tax: vat });
  }
  if (findings.length > 0 || !form || !series || !number || !date || !buyer || !buyerName || untaxed === null || tax === null || total === null) return { invoice: null, findings };

  return {
    invoice: {
      form, series, number, date: date.slice(0, 10), currency,
      seller: { taxCode: seller?.textAt('MST') ?? null, name: seller?.textAt('Ten') ?? null },
      buyer: { taxCode: buyer.textAt('MST') ?? null, name: buyerName, code: buyer.textAt('MKHang') ?? null, address: buyer.textAt('DChi') ?? null, email: buyer.textAt('DCTDTu') ?? null },
      lines, rates, untaxed, tax, total,
    },
    findings,
  };
}
