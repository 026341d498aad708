/**
 * The partner's statement of open items as a PDF (pdfkit, with DejaVu Sans embedded so Vietnamese
 * is written as Vietnamese, not as missing glyphs): attached to reminders of levels with
 * `attachStatement`, and downloadable by a clerk. Labels in Vietnamese for a Vietnamese partner,
 * else English (the embedded font has no Chinese glyphs); amounts and dates by Intl in the
 * partner's locale.
 */
import PDFDocument from 'pdfkit';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { daysBetween } from '../../core/dates.js';
import { formatMoneyForLocale } from '../../core/money.js';
import { getTenant } from '../../core/tenants.js';

const require = createRequire(import.meta.url);
const FONT_DIR = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

const LABELS = {
  vi: {
    title: 'SAO KÊ CÔNG NỢ', asOf: 'Đến ngày', customer: 'Khách hàng', code: 'Mã KH', address: 'Địa chỉ',
    head: ['Chứng từ', 'Ngày', 'Hạn thanh toán', 'Số tiền', 'Còn phải trả', 'Quá hạn'],
    days: (n: number) => `${n} ngày`, total: 'Tổng còn phải trả', overdue: 'Trong đó quá hạn', credit: 'Khoản có chưa cấn trừ',
    none: 'Không có khoản nào còn mở.', footer: 'Nếu số liệu chưa khớp với sổ sách của Quý khách, xin vui lòng liên hệ với chúng tôi.',
    file: 'sao-ke-cong-no',
  },
  en: {
    title: 'STATEMENT OF ACCOUNT', asOf: 'As of', customer: 'Customer', code: 'Customer code', address: 'Address',
    head: ['Document', 'Date', 'Due date', 'Amount', 'Open', 'Overdue'],
    days: (n: number) => `${n} day${n === 1 ? '' : 's'}`, total: 'Total open', overdue: 'Of which overdue', credit: 'Unallocated credit',
    none: 'Nothing is open.', footer: 'If these figures differ from your records, please let us know.',
    file: 'statement',
  },
};

export interface StatementPdf { filename: string; content: Buffer; total: bigint; overdue: bigint }

function formatDate(date: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

function addressText(address: unknown): string | null {
  if (!address || typeof address !== 'object') return null;
  const a = address as Record<string, string | undefined>;
  const text = [a.street, a.ward, a.district, a.province, a.country].filter((p) => p && p.trim()).join(', ');
  return text || null;
}

/** The open items of a partner on `date` (as the books stand now), as a PDF. */
export async function statementPdf(trx: Trx, tenantId: string, partnerId: string, date: string, locale: string): Promise<StatementPdf> {
  const tenant = await getTenant(trx, tenantId);
  const partner = await trx.selectFrom('ledger_partner').select(['ref', 'name', 'address', 'tax_code']).where('tenant_id', '=', tenantId).where('id', '=', partnerId).executeTakeFirstOrThrow();
  const { rows } = await sql<{ label: string; date: string; due: string; amount: bigint; residual: bigint }>`
    select coalesce(i.number, m.ref, l.description, '') as label, l.date, l.date_maturity as due, (l.debit - l.credit) as amount, l.amount_residual as residual
    from ledger_move_line l
    join ledger_move m on m.tenant_id = l.tenant_id and m.id = l.move_id
    left join ledger_invoice i on i.tenant_id = l.tenant_id and i.id = l.invoice_id
    where l.tenant_id = ${tenantId} and l.partner_id = ${partnerId} and l.receivable and l.amount_residual <> 0
    order by l.date_maturity, l.date, l.id`.execute(trx);
  const labels = locale.toLowerCase().startsWith('vi') ? LABELS.vi : LABELS.en;
  const money = (v: bigint): string => formatMoneyForLocale(v, tenant.currency, locale);
  const total = rows.reduce((s, r) => s + BigInt(r.residual), 0n);
  const overdue = rows.filter((r) => BigInt(r.residual) > 0n && r.due < date).reduce((s, r) => s + BigInt(r.residual), 0n);
  const credit = rows.filter((r) => BigInt(r.residual) < 0n).reduce((s, r) => s + BigInt(r.residual), 0n);

  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: `${labels.title} – ${partner.name}`, Author: tenant.name, CreationDate: new Date(`${date}T00:00:00Z`) } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => { doc.on('end', () => resolve()); doc.on('error', reject); });
  doc.registerFont('body', path.join(FONT_DIR, 'DejaVuSans.ttf'));
  doc.registerFont('bold', path.join(FONT_DIR, 'DejaVuSans-Bold.ttf'));

  doc.font('bold').fontSize(11).text(tenant.name);
  doc.moveDown(1);
  doc.font('bold').fontSize(16).text(labels.title, { align: 'center' });
  doc.font('body').fontSize(10).text(`${labels.asOf} ${formatDate(date, locale)}`, { align: 'center' });
  doc.moveDown(1);
  doc.font('body').fontSize(10);
  doc.text(`${labels.customer}: ${partner.name}`);
  doc.text(`${labels.code}: ${partner.ref}${partner.tax_code ? ` — MST/Tax code: ${partner.tax_code}` : ''}`);
  const address = addressText(partner.address);
  if (address) doc.text(`${labels.address}: ${address}`);
  doc.moveDown(1);

  const widths = [110, 70, 80, 95, 95, 65];
  const left = doc.page.margins.left;
  const row = (cells: string[], font: 'body' | 'bold'): void => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 40) doc.addPage();
    const y = doc.y;
    let x = left;
    doc.font(font).fontSize(9);
    cells.forEach((c, k) => {
      doc.text(c, x, y, { width: widths[k] - 6, align: k >= 3 && k <= 4 ? 'right' : 'left', lineBreak: false, ellipsis: true });
      x += widths[k];
    });
    doc.x = left;
    doc.y = y + 16;
  };
  row(labels.head, 'bold');
  doc.moveTo(left, doc.y - 3).lineTo(left + widths.reduce((a, b) => a + b, 0), doc.y - 3).stroke();
  if (rows.length === 0) doc.font('body').fontSize(10).text(labels.none, left, doc.y);
  for (const r of rows) {
    const late = daysBetween(r.due, date);
    row([r.label, formatDate(r.date, locale), formatDate(r.due, locale), money(BigInt(r.amount)), money(BigInt(r.residual)), BigInt(r.residual) > 0n && late > 0 ? labels.days(late) : ''], 'body');
  }
  doc.moveDown(0.5);
  if (credit < 0n) row([labels.credit, '', '', '', money(credit), ''], 'body');
  row([labels.total, '', '', '', money(total), ''], 'bold');
  row([labels.overdue, '', '', '', money(overdue), ''], 'bold');
  doc.moveDown(2);
  doc.font('body').fontSize(9).text(labels.footer, left, doc.y);
  doc.end();
  await ended;
  return { filename: `${labels.file}-${partner.ref.replace(/[^A-Za-z0-9_-]/g, '_')}-${date}.pdf`, content: Buffer.concat(chunks), total, overdue };
}
