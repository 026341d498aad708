/** The part of fontkit (the font engine pdfkit uses) that fonts.ts uses: open a font once, ask which characters it has. */
declare module 'fontkit' {
  /** A parsed font; pdfkit takes it as it is (anything with `layout`). */
  export function openSync(path: string): { hasGlyphForCodePoint(codePoint: number): boolean; layout(text: string): unknown };
}
