/**
 * The text condition of a matching rule: a regular expression a tenant writes, run on the RE2
 * engine (re2js), whose matching time grows linearly with the text whatever the pattern. A
 * backtracking engine would let one tenant's `^(a+)+$` freeze the server for every tenant.
 * RE2 has no look-around and no back-references; a pattern that needs them is refused when the
 * rule is saved, with the engine's reason.
 */
import { RE2JS } from 're2js';

export const MAX_PATTERN_LENGTH = 500;

export interface TextPattern { test(text: string): boolean }

/** The compiled, case-insensitive pattern, or why it cannot be a rule's condition. */
export function compileTextPattern(pattern: string): TextPattern | { problem: string } {
  if (pattern.length > MAX_PATTERN_LENGTH) return { problem: `a pattern may have at most ${MAX_PATTERN_LENGTH} characters` };
  try {
    const re = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    return { test: (text) => re.matcher(text).find() };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { problem: `not a pattern the matching engine accepts (RE2 syntax: no look-around, no back-references): ${reason}` };
  }
}
