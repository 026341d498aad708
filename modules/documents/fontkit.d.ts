/** The part of fontkit (the font engine pdfkit uses) that fonts.ts asks: which characters a font has. */
declare module 'fontkit' {
  export function openSync(path: string): { hasGlyphForCodePoint(codePoint: number): boolean };
}
