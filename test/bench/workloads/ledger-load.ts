import { LEDGER_SIZES, ledgerServer } from '../lib/ledger-dataset.js';
import type { ResultRow, Workload } from '../lib/types.js';

/**
 * W8: the books of a size loaded from files (generated beforehand, not timed) into a freshly
 * migrated database: COPY of every table, keys and indexes built, foreign keys checked, ANALYZE,
 * and the consistency check in SQL. Goal at L: ≤ 60 s.
 */
const ledgerLoad: Workload = {
  name: 'ledger-load',
  describe: 'W8: loading the ledger books from COPY files (partners, invoices, journal entries and lines, payments, partial reconciliations), building keys, indexes and foreign keys, ANALYZE, and a consistency check in SQL (every entry balances; Σ residual = Σ debit − credit per partner; invoice residual = Σ its lines; every line residual = its history of allocations).',
  async run(ctx) {
    if (ctx.reused) throw new Error('ledger-load measures the load itself: run it without --reuse');
    const { data, timings, check } = await ledgerServer(ctx);
    const m = data.manifest;
    const rows = Object.values(m.rows).reduce((a, b) => a + b, 0);
    const s = (ms: number): number => Math.round(ms / 100) / 10;
    const out: ResultRow[] = [
      { metric: `books: ${LEDGER_SIZES[ctx.size].customers} customers, ${m.openInvoices} open + ${m.settledInvoices} settled invoices, ${m.rows.ledger_move_line} journal lines (${m.receivableLines} receivable), ${m.rows.ledger_partial} partials`, value: rows, unit: 'rows' },
      { metric: 'W8 load from files: total (copy + indexes + foreign keys + analyze + check)', value: s(timings.totalMs), unit: 's', goal: ctx.size === 'L' ? { atMost: 60 } : undefined },
      { metric: 'W8 copy (2 connections)', value: s(timings.copyMs), unit: 's' },
      { metric: 'W8 keys and indexes', value: s(timings.indexMs), unit: 's' },
      { metric: 'W8 foreign keys', value: s(timings.foreignKeyMs), unit: 's' },
      { metric: 'W8 analyze', value: s(timings.analyzeMs), unit: 's' },
      { metric: 'W8 consistency check', value: s(timings.checkMs), unit: 's' },
      { metric: 'W8 rows loaded per second (total)', value: Math.round(rows / (timings.totalMs / 1000)), unit: 'rows/s' },
      ...(timings.cpuMs ? [
        { metric: 'W8 PostgreSQL CPU of the load (copy + indexes + foreign keys + analyze + check)', value: s(Object.values(timings.cpuMs).reduce((a, b) => a + b, 0)), unit: 's' },
        { metric: `W8 PostgreSQL CPU: copy ${s(timings.cpuMs.copy)} s, indexes ${s(timings.cpuMs.index)} s, foreign keys ${s(timings.cpuMs.foreignKey)} s, analyze ${s(timings.cpuMs.analyze)} s, check ${s(timings.cpuMs.check)} s; per million rows`, value: s((Object.values(timings.cpuMs).reduce((a, b) => a + b, 0) * 1e6) / rows), unit: 's' },
      ] : []),
      { metric: 'W8 consistency: unbalanced entries + partners, invoices and lines off', value: check.unbalancedMoves + check.partnersOff + check.invoicesOff + check.linesOff, unit: '', goal: { atMost: 0 } },
    ];
    return out;
  },
};

export default ledgerLoad;
