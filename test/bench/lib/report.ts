import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Goal, RecordedRow, ResultRow } from './types.js';

export function isMet(row: ResultRow): boolean | null {
  const g = row.goal;
  if (!g || (g.atLeast === undefined && g.atMost === undefined)) return null;
  return (g.atLeast === undefined || row.value >= g.atLeast) && (g.atMost === undefined || row.value <= g.atMost);
}

function formatValue(value: number, unit: string): string {
  const digits = Number.isInteger(value) || Math.abs(value) >= 100 ? 0 : 2;
  return `${value.toFixed(digits)} ${unit}`.trim();
}

function formatGoal(goal: Goal | undefined, unit: string): string {
  if (!goal) return '';
  const parts: string[] = [];
  if (goal.atLeast !== undefined) parts.push(`≥ ${goal.atLeast} ${unit}`.trim());
  if (goal.atMost !== undefined) parts.push(`≤ ${goal.atMost} ${unit}`.trim());
  return parts.join(', ');
}

/** The results as a markdown table (readable as is on a terminal). */
export function table(rows: RecordedRow[]): string {
  const head = ['workload', 'db', 'size', 'metric', 'value', 'goal', 'met?'];
  const body = rows.map((r) => [r.workload, r.db, r.size, r.metric, formatValue(r.value, r.unit), formatGoal(r.goal, r.unit), r.met === null ? '' : r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([4]);
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), rule, ...body.map(line)].join('\n');
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch { /* not a git checkout */ }
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    commit,
    /** Other work on the machine skews the figures: the 1/5/15-minute load averages when the run ended. */
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Writes test/bench/results/<date>-<size>-<db>.json and returns its path. */
export async function writeResults(dir: string, name: { size: string; db: string }, content: Record<string, unknown>): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
  const file = path.join(dir, `${date}-${name.size}-${name.db}.json`);
  await fs.writeFile(file, JSON.stringify(content, null, 2) + '\n');
  return file;
}
