/** Shared by the parser tests: where the public fixtures are, problem assertions, input mutations. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ProblemError } from '../../../../core/errors.js';
import { parseStatement, type ParseOptions } from '../../parsers/index.js';

/** Public sample statements (copied from shared/fixtures with their licences and expected results). */
export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/statements');

export const fixture = (rel: string): Buffer => readFileSync(path.join(FIXTURES, rel));
export const fixtureJson = <T = any>(rel: string): T => JSON.parse(readFileSync(path.join(FIXTURES, rel), 'utf8')) as T;

/** The 400 a parse must end in; returns its detail. */
export async function problemOf(run: () => Promise<unknown>): Promise<{ status: number; detail: string; field?: string }> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ProblemError) return { status: err.status, detail: err.detail ?? '', field: err.field };
    throw err;
  }
  throw new Error('expected a problem, the parse succeeded');
}

const POOL = [':', '/', '?', ',', '.', '-', '}', '{', '<', '>', '&', ';', '"', '\n', '\r', ' ', '0', '9', 'C', 'D', 'R', 'N', '\u0000', '\u00e9', 'ạ', '\t'];

/** Random bytes, and fixtures truncated, with characters replaced, lines duplicated, dropped or swapped. */
export function mutatedInputs(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const seed = fc.constantFrom(...seeds.map((b) => b.toString('latin1')));
  const edit = fc.tuple(fc.nat(), fc.constantFrom(...POOL));
  const lineOp = fc.tuple(fc.constantFrom('dup', 'drop', 'swap'), fc.nat(), fc.nat());
  const latin = (s: string) => Buffer.from(s, 'latin1');
  return fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
    fc.tuple(seed, fc.nat()).map(([s, n]) => latin(s.slice(0, n % (s.length + 1)))),
    fc.tuple(seed, fc.array(edit, { minLength: 1, maxLength: 12 })).map(([s, edits]) => {
      const chars = [...s];
      for (const [at, c] of edits) if (chars.length) chars[at % chars.length] = c;
      return Buffer.from(chars.join(''), 'utf8');
    }),
    fc.tuple(seed, fc.array(lineOp, { minLength: 1, maxLength: 6 })).map(([s, ops]) => {
      const lines = s.split('\n');
      for (const [op, a, b] of ops) {
        const i = a % lines.length;
        const j = b % lines.length;
        if (op === 'dup') lines.splice(i, 0, lines[i]);
        else if (op === 'drop' && lines.length > 1) lines.splice(i, 1);
        else [lines[i], lines[j]] = [lines[j], lines[i]];
      }
      return latin(lines.join('\n'));
    }),
  );
}

/** Every input either parses or ends in a 400 ProblemError; nothing else escapes. */
export async function assertOnlyProblems(format: string, seeds: Buffer[], options: ParseOptions = {}, numRuns = 200): Promise<void> {
  await fc.assert(fc.asyncProperty(mutatedInputs(seeds), async (bytes) => {
    try {
      await parseStatement(bytes, format, options);
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status !== 400) throw err;
    }
  }), { numRuns });
}
