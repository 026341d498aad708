/** QR codes of a payload (the `qrcode` package, error correction M: readable with a crease or a stain). */
import QRCode from 'qrcode';

/** The modules of the symbol, row by row (true: dark). */
export function qrMatrix(payload: string): boolean[][] {
  const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  return Array.from({ length: modules.size }, (_, r) => Array.from({ length: modules.size }, (_, c) => modules.get(r, c) === 1));
}

/** The symbol as a PNG (for an email's inline image), with the standard quiet zone. */
export function qrPng(payload: string): Promise<Buffer> {
  return QRCode.toBuffer(payload, { errorCorrectionLevel: 'M', margin: 4, scale: 6, type: 'png' });
}
