/**
 * One line of text in visual order (Unicode bidirectional algorithm, UAX #9, by bidi-js): runs of
 * one embedding level, reordered by rule L2, each cut where the font changes. A piece of a
 * right-to-left run keeps its characters in logical order: fontkit shapes Arabic in logical order
 * and lays the glyphs out right to left itself. Mirrored characters (brackets) are swapped in
 * right-to-left runs.
 */
// bidi-js is CommonJS: under Node's ESM loader its factory is `default` of the module object.
import * as bidiModule from 'bidi-js';
import type { Bidi } from 'bidi-js';
import type { FontSet, Weight } from './fonts.js';

const RTL_LETTER = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const bidi = (bidiModule as unknown as { default: () => Bidi }).default();

export interface Piece { text: string; font: string; rtl: boolean }

export function layoutLine(text: string, direction: 'ltr' | 'rtl', fonts: FontSet, weight: Weight): Piece[] {
  if (text === '') return [];
  const embedding = bidi.getEmbeddingLevels(text, direction);
  const levels = embedding.levels;
  const mirrored = bidi.getMirroredCharactersMap(text, levels);
  const runs: Array<{ start: number; end: number; level: number }> = [];
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i === text.length || levels[i] !== levels[start]) { runs.push({ start, end: i, level: levels[start] }); start = i; }
  }
  const highest = Math.max(...runs.map((r) => r.level));
  const lowestOdd = Math.min(highest + 1, ...runs.map((r) => r.level).filter((l) => l % 2 === 1));
  for (let level = highest; level >= lowestOdd; level--) {
    for (let i = 0; i < runs.length; i++) {
      if (runs[i].level < level) continue;
      let j = i;
      while (j + 1 < runs.length && runs[j + 1].level >= level) j++;
      runs.splice(i, j - i + 1, ...runs.slice(i, j + 1).reverse());
      i = j;
    }
  }
  const pieces: Piece[] = [];
  for (const run of runs) {
    const rtl = run.level % 2 === 1;
    const parts: Piece[] = [];
    for (let i = run.start; i < run.end; i++) {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      const shown = mirrored.get(i) ?? ch;
      if (cp > 0xffff) i++;
      // Direction marks and isolates order the line; they are not drawn.
      if (BIDI_CONTROL.test(ch)) continue;
      const last = parts[parts.length - 1];
      // A space stays with the piece it follows: no font change for it.
      const font = /\s/.test(ch) && last ? last.font : fonts.fontFor(cp, weight);
      if (last && last.font === font) last.text += shown;
      else parts.push({ text: shown, font, rtl });
    }
    if (rtl) {
      parts.reverse();
      // fontkit lays out Arabic right to left itself; punctuation and spaces of a right-to-left
      // run in another font ("الموضوع: …") are put in visual order here.
      for (const p of parts) if (!RTL_LETTER.test(p.text)) p.text = [...p.text].reverse().join('');
    }
    pieces.push(...parts);
  }
  return pieces;
}
