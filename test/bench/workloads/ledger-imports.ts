import { sql } from 'kysely';
import { addDays } from '../../../core/dates.js';
import { ledgerServer } from '../lib/ledger-dataset.js';
import type { ResultRow, Size, Workload } from '../lib/types.js';

/** Invoice rows in the file (two rows, two lines, per invoice): the issue's goal is 100k rows ≤ 30 s. */
const ROWS: Record<Size, number> = { S: 2_000, M: 100_000, L: 100_000 };

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * W10: a clerk's file imports over HTTP, on the loaded books: an invoicing system's export of
 * invoice lines (`POST /api/ledger/import/invoices`, a dry run, then the import), then the receipts
 * that pay them, each naming its invoice by the e-invoice number (`POST /api/ledger/import/receipts`).
 */
const ledgerImports: Workload = {
  name: 'ledger-imports',
  describe: 'W10 invoice and receipt files imported over HTTP on the loaded books: 100k invoice rows (dry run, then the import; goal ≤ 30 s), then a receipt per invoice naming its e-invoice number.',
  async run(ctx) {
    const { server, data } = await ledgerServer(ctx);
    const rows = ROWS[ctx.size];
    const invoices = rows / 2;
    const { rows: partners } = await sql<{ ref: string }>`
      select ref from ledger_partner where tenant_id = ${server.tenant.id} order by ref limit ${Math.max(1, Math.floor(invoices / 10))}`.execute(ctx.db);
    const rng = ctx.rng(10);
    // Numbers of their own per run, so a run on kept books (--reuse) imports anew rather than duplicates.
    const run = Date.now().toString(36).toUpperCase();
    const today = data.manifest.today;
    const invoiceLines = ['ref,invoice number,invoice date,due date,description,quantity,unit price,tax rate'];
    const receiptLines = ['ref,date,amount,invoice number,reference'];
    for (let i = 0; i < invoices; i++) {
      const ref = partners[i % partners.length].ref;
      const date = addDays(today, -1 - (i % 60));
      const number = `B${run}-${String(i + 1).padStart(6, '0')}`;
      const price1 = 10_000 * (1 + rng.int(500));
      const qty1 = 1 + rng.int(20);
      const price2 = 1_000 * (1 + rng.int(200));
      invoiceLines.push(`${ref},${number},${date},${addDays(date, 30)},Xi măng PCB40 bao 50 kg,${qty1},${price1},8`);
      invoiceLines.push(`${ref},${number},${date},${addDays(date, 30)},Vận chuyển,1,${price2},10`);
      // Integer VND: 8 % and 10 % of whole thousands are whole.
      const total = qty1 * price1 + (qty1 * price1 * 8) / 100 + price2 + (price2 * 10) / 100;
      receiptLines.push(`${ref},${today},${total},${number},CK thanh toan ${number}`);
    }
    const invoiceFile = Buffer.from(invoiceLines.join('\r\n'), 'utf8');
    const receiptFile = Buffer.from(receiptLines.join('\r\n'), 'utf8');
    ctx.log(`invoice file: ${rows} rows, ${(invoiceFile.length / 1024 / 1024).toFixed(1)} MiB, ${invoices} invoices of ${partners.length} customers; receipts: ${invoices} rows`);

    const post = async (path: string, file: Buffer<ArrayBuffer>): Promise<{ ms: number; cpuMs: number; body: Record<string, unknown> }> => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const res = await fetch(`${server.url}${path}`, { method: 'POST', body: file, headers: { authorization: `Bearer ${server.tenant.token}`, 'content-type': 'text/csv; charset=utf-8' } });
      const text = await res.text();
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 600)}`);
      return { ms, cpuMs: (cpu.user + cpu.system) / 1000, body: JSON.parse(text) as Record<string, unknown> };
    };

    const dry = await post('/api/ledger/import/invoices?dryRun=true', invoiceFile);
    if (dry.body.invoices !== invoices) throw new Error(`the dry run reports ${String(dry.body.invoices)} invoices, not ${invoices}`);
    const real = await post('/api/ledger/import/invoices', invoiceFile);
    if (real.body.invoices !== invoices) throw new Error(`the import reports ${String(real.body.invoices)} invoices, not ${invoices}`);
    const receipts = await post('/api/ledger/import/receipts', receiptFile);
    if (receipts.body.payments !== invoices) throw new Error(`the receipt import reports ${String(receipts.body.payments)} payments, not ${invoices}`);
    const { rows: [paid] } = await sql<{ n: number }>`
      select count(*)::int as n from ledger_invoice where tenant_id = ${server.tenant.id} and einvoice_number like ${`B${run}-%`} and residual = 0`.execute(ctx.db);
    if (paid.n !== invoices) throw new Error(`${paid.n} of the ${invoices} imported invoices are paid after their receipts`);

    const goal = ctx.size === 'S' ? undefined : { atMost: 30 };
    const result: ResultRow[] = [
      { metric: `W10 invoice import, ${rows.toLocaleString('en')} rows (${invoices.toLocaleString('en')} invoices): dry run`, value: seconds(dry.ms), unit: 's' },
      { metric: `W10 invoice import, ${rows.toLocaleString('en')} rows: import`, value: seconds(real.ms), unit: 's', goal },
      { metric: 'W10 invoice import: rows per second / Node CPU per 1,000 rows', value: Math.round(rows / (real.ms / 1000)), unit: `rows/s / ${Math.round(real.cpuMs / (rows / 1000))} ms` },
      { metric: `W10 receipt import, ${invoices.toLocaleString('en')} rows naming e-invoice numbers (all paid)`, value: seconds(receipts.ms), unit: 's' },
      { metric: 'W10 receipt import: rows per second / Node CPU per 1,000 rows', value: Math.round(invoices / (receipts.ms / 1000)), unit: `rows/s / ${Math.round(receipts.cpuMs / (invoices / 1000))} ms` },
    ];
    return result;
  },
};

export default ledgerImports;
