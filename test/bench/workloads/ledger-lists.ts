import os from 'node:os';
import { addDays } from '../../../core/dates.js';
import { ledgerServer } from '../lib/ledger-dataset.js';
import type { ResultRow, Size, Workload } from '../lib/types.js';

const RUNS: Record<Size, number> = { S: 30, M: 30, L: 20 };

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

interface ListBody { items: unknown[]; next: string | null; total: { count: number } }

/**
 * W9: the first page (50 rows, with the count and sums of the filtered set) of the clerk's
 * working lists, one filter at a time, sequential requests: p50 and p99 per list.
 */
const ledgerLists: Workload = {
  name: 'ledger-lists',
  describe: "W9 the working lists' first page (invoices, payments, partners; 50 rows with the filtered set's count and sums), one filter at a time, sequential: p50 and p99 per query.",
  async run(ctx) {
    const { server, data } = await ledgerServer(ctx);
    const m = data.manifest;
    const headers = { authorization: `Bearer ${server.tenant.token}` };
    const top = m.customers[0];
    const monthAgo = addDays(m.today, -30);
    const queries: Array<[string, string]> = [
      ['invoices, no filter (newest first)', '/api/ledger/invoices'],
      [`invoices of the largest customer (${top.ref}, ${top.invoices} invoices)`, `/api/ledger/invoices?partner=${top.ref}`],
      ['invoices overdue, oldest due first', '/api/ledger/invoices?overdue=true&sort=dueDate'],
      ['invoices not paid', '/api/ledger/invoices?paymentState=not_paid'],
      ['invoices of the last 30 days', `/api/ledger/invoices?dateFrom=${monthAgo}&dateTo=${m.today}`],
      ['invoices, partner name without diacritics (q=hoang long)', '/api/ledger/invoices?q=hoang%20long'],
      ['invoices, number contains "0042"', '/api/ledger/invoices?number=0042'],
      ['invoices of at least 50,000,000', '/api/ledger/invoices?amountMin=50000000'],
      ['invoices, largest total first', '/api/ledger/invoices?sort=-total'],
      ['payments, no filter', '/api/ledger/payments'],
      ['payments with unallocated credit', '/api/ledger/payments?unallocated=true'],
      ['partners by name', '/api/ledger/partners'],
      ['partners, largest balance first', '/api/ledger/partners?sort=-balance'],
      ['partners, q=minh phat', '/api/ledger/partners?q=minh%20phat'],
    ];
    const rows: ResultRow[] = [];
    for (const [label, path] of queries) {
      const url = `${server.url}${path}`;
      const once = async (): Promise<number> => {
        const t0 = performance.now();
        const res = await fetch(url, { headers });
        const text = await res.text();
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
        const body = JSON.parse(text) as ListBody;
        if (body.items.length > 50 || typeof body.total.count !== 'number') throw new Error(`GET ${path}: not a list page`);
        return ms;
      };
      await once();
      const serverBefore = process.cpuUsage();
      const times: number[] = [];
      for (let i = 0; i < RUNS[ctx.size]; i++) times.push(await once());
      const cpu = process.cpuUsage(serverBefore);
      times.sort((a, b) => a - b);
      ctx.log(`${path}: ${times.map((t) => t.toFixed(0)).join(' ')} ms (load average ${os.loadavg()[0].toFixed(2)})`);
      const round = (x: number) => Math.round(x * 10) / 10;
      rows.push(
        { metric: `W9 ${label}: p50 / p99`, value: round(percentile(times, 50)), unit: `ms / ${round(percentile(times, 99))} ms` },
        { metric: `W9 ${label}: p99`, value: round(percentile(times, 99)), unit: 'ms', goal: ctx.size === 'L' ? { atMost: 50 } : undefined },
        { metric: `W9 ${label}: server CPU per request`, value: round((cpu.user + cpu.system) / 1000 / RUNS[ctx.size]), unit: 'ms' },
      );
    }
    return rows;
  },
};

export default ledgerLists;
