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

const coverage = new Map<string, ReturnType<typeof openSync>>();
function covers(file: string, cp: number): boolean {
  let font = coverage.get(file);
  if (!font) coverage.set(file, (font = openSync(file)));
  return font.hasGlyphForCodePoint(cp);
}

/** The font names registered on a document, and which one draws a character. */
export interface FontSet {
  /** The registered name of the font that draws `cp` in `weight`. */
  fontFor(cp: number, weight: Weight): string;
}

/** Registers the chain on a pdfkit document (fonts are embedded only when used). */
export function fontsFor(doc: PDFKit.PDFDocument): FontSet {
  for (const family of CHAIN) for (const weight of ['regular', 'bold'] as const) doc.registerFont(`${family}-${weight}`, FILES[family][weight]);
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
