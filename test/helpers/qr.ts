/** QR codes read back the way a phone reads them (jsQR), from a PDF page or a PNG image. */

/**
 * The QR code drawn in a PDF, read back: the squares of its modules are taken from the page's
 * content stream (pdfkit writes `x y w h re`), put on a pixel grid and decoded with jsQR.
 */
export async function qrInPdf(pdf: Buffer): Promise<string | null> {
  const { inflateSync } = await import('node:zlib');
  const jsQR = await qrDecoder();
  const source = pdf.toString('latin1');
  const squares: Array<{ x: number; y: number; s: number }> = [];
  for (const m of source.matchAll(/stream\r?\n/g)) {
    const start = m.index! + m[0].length;
    const end = source.indexOf('endstream', start);
    let text: string;
    try { text = inflateSync(pdf.subarray(start, end)).toString('latin1'); } catch { continue; }
    for (const r of text.matchAll(/(-?[\d.]+) (-?[\d.]+) ([\d.]+) ([\d.]+) re/g)) {
      const [x, y, w, h] = r.slice(1).map(Number);
      if (Math.abs(w - h) < 0.01 && w < 6) squares.push({ x, y, s: w });
    }
  }
  if (squares.length === 0) return null;
  const cell = squares[0].s;
  const minX = Math.min(...squares.map((q) => q.x));
  const minY = Math.min(...squares.map((q) => q.y));
  const n = Math.round((Math.max(...squares.map((q) => q.x)) - minX) / cell) + 1;
  const scale = 4;
  const quiet = 4;
  const side = (n + 2 * quiet) * scale;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  for (const q of squares) {
    const col = Math.round((q.x - minX) / cell) + quiet;
    const row = Math.round((q.y - minY) / cell) + quiet;
    for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) {
      const at = ((row * scale + dy) * side + col * scale + dx) * 4;
      rgba[at] = rgba[at + 1] = rgba[at + 2] = 0;
    }
  }
  return jsQR(rgba, side, side)?.data ?? null;
}

/** A QR code in a PNG (an email's inline image), decoded. */
export async function qrInPng(png: Buffer): Promise<string | null> {
  const { PNG } = await import('pngjs');
  const jsQR = await qrDecoder();
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null;
}

type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
/** jsQR is CommonJS: its function is the module's `default` (once or twice wrapped, by loader). */
async function qrDecoder(): Promise<Decode> {
  const mod = (await import('jsqr')) as unknown as { default: Decode | { default: Decode } };
  return typeof mod.default === 'function' ? mod.default : mod.default.default;
}
