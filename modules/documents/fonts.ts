/**
 * The fonts documents are written in, all from npm packages (SIL Open Font License), embedded and
 * subset by pdfkit, so a PDF carries only the glyphs it uses:
 * - Noto Sans (`@expo-google-fonts/noto-sans`): Latin with every Vietnamese letter and the ₫ sign;
 * - Noto Naskh Arabic 1.00 (`@embedpdf/fonts-arabic`): this version draws each Arabic letter as
 *   one glyph (later versions compose letters from a dotless base and dots, which leaves a PDF's
 *   text layer unable to tell ت from ي: copied or extracted text would be wrong);
 * - Noto Sans SC (`@expo-google-fonts/noto-sans-sc`): simplified Chinese, as TrueType (a subset of
 *   the CFF edition is seven times larger).
 * A character takes the first font of the chain that has it, so a Vietnamese company name in a
 * Chinese letter stays in Noto Sans.
 */
import { openSync } from 'fontkit';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
// The package exports only its script; its fonts sit beside it, in fonts/.
const ARABIC_DIR = path.join(path.dirname(require.resolve('@embedpdf/fonts-arabic')), '..', 'fonts');
export type Weight = 'regular' | 'bold';

const FILES: Record<string, Record<Weight, string>> = {
  latin: {
    regular: require.resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf'),
    bold: require.resolve('@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf'),
  },
  arabic: {
    regular: path.join(ARABIC_DIR, 'NotoNaskhArabic-Regular.ttf'),
    bold: path.join(ARABIC_DIR, 'NotoNaskhArabic-Bold.ttf'),
  },
  cjk: {
    regular: require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf'),
    bold: require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf'),
  },
};
const CHAIN = ['latin', 'arabic', 'cjk'] as const;

// Each font is opened once per process (the renderer's worker) and handed to every document:
// reading and parsing Noto Sans again for each letter cost 60–120 ms (measured), the whole budget.
const opened = new Map<string, ReturnType<typeof openSync>>();
function font(file: string): ReturnType<typeof openSync> {
  let f = opened.get(file);
  if (!f) opened.set(file, (f = openSync(file)));
  return f;
}
const covers = (file: string, cp: number): boolean => font(file).hasGlyphForCodePoint(cp);

type Glyph = { id: number; codePoints: number[] };
type Run = { glyphs: Glyph[]; positions: Array<Record<string, number>> };
/**
 * The font as pdfkit gets it: shaping (fontkit's `layout`, the costly part of a page) remembered
 * per text for the life of the process, since a batch of letters lays out the same words again.
 * pdfkit scales a run's positions in place, so each call gets its own copy of them; glyphs are
 * only read. Every piece is laid out with the same features (pdf.ts), so the text is the key.
 *
 * A glyph that comes back without `codePoints` (the text a PDF reader gets back for it) takes
 * them from the font's character map: fontkit keeps one glyph object per
 * glyph and a font shared by many documents showed "D cument" for "Document" once an earlier
 * text had reached the glyph of "o" through a composed letter.
 */
const shapers = new Map<string, unknown>();
function shaped(file: string): unknown {
  let shaper = shapers.get(file);
  if (!shaper) {
    const target = font(file) as unknown as Record<string | symbol, unknown> & { layout(text: string, features?: unknown): Run; _cmapProcessor: { codePointsForGlyph(id: number): number[] } };
    const runs = new Map<string, Run>();
    const characters = new Map<number, number[]>();
    const truly = (g: Glyph): Glyph => {
      let own = characters.get(g.id);
      if (!own) characters.set(g.id, (own = target._cmapProcessor.codePointsForGlyph(g.id)));
      if (own.length === 0) return g; // a shaped or composed form: the layout's characters are the right ones
      if (g.codePoints.length === 0) {
        return Object.create(g, { codePoints: { value: [own[0]] } }) as Glyph;
      }
      return g;
    };
    shaper = new Proxy(target, {
      get(t, prop) {
        if (prop === 'layout') {
          return (text: string, features?: unknown) => {
            let run = runs.get(text);
            if (!run) {
              if (runs.size > 100_000) runs.clear();
              const r = t.layout(text, features);
              runs.set(text, (run = { glyphs: r.glyphs.map(truly), positions: r.positions.map((p) => ({ ...p })) }));
            }
            const positions = run.positions.map((p) => ({ ...p }));
            return { glyphs: run.glyphs, positions, get advanceWidth() { return positions.reduce((sum, p) => sum + p.xAdvance, 0); } };
          };
        }
        const value = t[prop];
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
      },
    });
    shapers.set(file, shaper);
  }
  return shaper;
}

/** The font names registered on a document, and which one draws a character. */
export interface FontSet {
  /** The registered name of the font that draws `cp` in `weight`. */
  fontFor(cp: number, weight: Weight): string;
}

/** Registers the chain on a pdfkit document (fonts are embedded only when used). */
export function fontsFor(doc: PDFKit.PDFDocument): FontSet {
  for (const family of CHAIN) for (const weight of ['regular', 'bold'] as const) doc.registerFont(`${family}-${weight}`, shaped(FILES[family][weight]) as never);
  const chosen = new Map<number, string>();
  return {
    fontFor(cp, weight) {
      const key = cp * 2 + (weight === 'bold' ? 1 : 0);
      let name = chosen.get(key);
      if (!name) {
        const family = CHAIN.find((f) => covers(FILES[f][weight], cp)) ?? 'latin';
        chosen.set(key, (name = `${family}-${weight}`));
      }
      return name;
    },
  };
}
