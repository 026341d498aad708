/**
 * Where the recipient's address goes on an A4 sheet so that it shows through an envelope's window
 * once the sheet is folded (DIN 5008 form B, whose address field the DIN 680 / ISO 269 window
 * envelopes are made for): a window 90 × 45 mm, 20 mm from the sheet's side edge, its top 45 mm
 * from the sheet's top for a DL envelope (the sheet folded in three) and 50 mm for C5 (folded in
 * two, the sheet sits lower in the taller envelope). A right window mirrors the left one. The
 * address is printed 4 mm inside the window, so that a letter sliding in its envelope still shows
 * it whole.
 */
export const MM = 72 / 25.4;
export const A4 = { width: 210 * MM, height: 297 * MM };

export interface Rect { x: number; y: number; width: number; height: number }
export type Envelope = 'DL' | 'C5';
export type WindowSide = 'left' | 'right';

const WINDOW = { width: 90, height: 45, side: 20, top: { DL: 45, C5: 50 } } as const;
export const WINDOW_INSET = 4 * MM;

/** The window's rectangle on the sheet, in PDF points from the top-left corner. */
export function windowRect(envelope: Envelope, side: WindowSide): Rect {
  const width = WINDOW.width * MM;
  return {
    x: side === 'left' ? WINDOW.side * MM : A4.width - WINDOW.side * MM - width,
    y: WINDOW.top[envelope] * MM,
    width,
    height: WINDOW.height * MM,
  };
}

/** Where the address text may go: the window less its inset. */
export function addressRect(envelope: Envelope, side: WindowSide): Rect {
  const w = windowRect(envelope, side);
  return { x: w.x + WINDOW_INSET, y: w.y + WINDOW_INSET, width: w.width - 2 * WINDOW_INSET, height: w.height - 2 * WINDOW_INSET };
}
