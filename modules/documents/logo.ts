/**
 * The company's logo: a PNG or JPEG of at most 200 KB and 3000 × 3000 pixels, read from its
 * header before anything else, then opened by the PDF library in the render worker (a file that
 * only looks like an image is refused at upload, never at the first letter). Documents read it
 * through a per-process copy keyed by its hash, so a batch of letters does not fetch it again.
 */
import { createHash } from 'node:crypto';
import type { Trx } from '../../core/db/kysely.js';
import { ProblemError, badRequest } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import type { DocumentsApi } from './context.js';
import type { Logo } from './model.js';
import type { Renderer } from './render.js';

export const LOGO_MAX_BYTES = 200 * 1024;
export const LOGO_MAX_PIXELS = 3000;
export const LOGO_TYPES = ['image/png', 'image/jpeg'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR or a JPEG's frame header; null when the bytes are not (a whole) image of that kind. */
export function imageSize(data: Buffer, type: LogoType): { width: number; height: number } | null {
  if (type === 'image/png') {
    if (data.length < 24 || !data.subarray(0, 8).equals(PNG_SIGNATURE) || data.toString('latin1', 12, 16) !== 'IHDR') return null;
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  // The PDF carries a JPEG as it is (DCTDecode), undecoded: its structure is checked here — a
  // frame header, then the scan, and the end-of-image mark last — so a cut file is refused.
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let at = 2;
  let size: { width: number; height: number } | null = null;
  while (at + 4 <= data.length) {
    if (data[at] !== 0xff) return null;
    const marker = data[at + 1];
    if (marker === 0xff) { at++; continue; }
    const length = data.readUInt16BE(at + 2);
    if (length < 2 || at + 2 + length > data.length) return null;
    // Start of frame (baseline, progressive, …), not DHT (C4), JPG (C8) or DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc && length >= 7) {
      size = { height: data.readUInt16BE(at + 5), width: data.readUInt16BE(at + 7) };
    }
    if (marker === 0xda) {
      let end = data.length;
      while (end > at && data[end - 1] === 0x00) end--; // some writers pad
      return size && data[end - 2] === 0xff && data[end - 1] === 0xd9 ? size : null;
    }
    at += 2 + length;
  }
  return null;
}

export async function putLogo(api: DocumentsApi, renderer: Renderer, trx: Trx, tenantId: string, actor: Actor, data: Buffer, type: LogoType): Promise<{ mediaType: LogoType; width: number; height: number; bytes: number; sha256: string }> {
  if (data.length > LOGO_MAX_BYTES) throw new ProblemError(413, 'logo-too-large', 'Logo too large', `The logo is ${data.length} bytes; at most ${LOGO_MAX_BYTES} (200 KB) — a letterhead logo needs no more.`);
  const size = imageSize(data, type);
  if (!size) throw badRequest(`The body is not a whole ${type === 'image/png' ? 'PNG' : 'JPEG'} image (another kind of file, or one cut short).`, 'body');
  if (size.width < 1 || size.height < 1 || size.width > LOGO_MAX_PIXELS || size.height > LOGO_MAX_PIXELS) {
    throw badRequest(`The logo is ${size.width} × ${size.height} pixels; it must be between 1 and ${LOGO_MAX_PIXELS} on each side.`, 'body');
  }
  const problem = await renderer.checkImage(data);
  if (problem) throw badRequest(`The image cannot be printed: ${problem}.`, 'body');
  const sha256 = createHash('sha256').update(data).digest('hex');
  await trx.insertInto('documents_logo').values({ tenant_id: tenantId, content: data, media_type: type, width: size.width, height: size.height, sha256 })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ content: data, media_type: type, width: size.width, height: size.height, sha256, updated_at: new Date() }))
    .execute();
  const after = { mediaType: type, width: size.width, height: size.height, bytes: data.length, sha256 };
  await api.audit(trx, tenantId, { actor, action: 'logo.uploaded', entity: 'documents_logo', entityId: tenantId, after });
  return after;
}

export async function deleteLogo(api: DocumentsApi, trx: Trx, tenantId: string, actor: Actor): Promise<boolean> {
  const gone = await trx.deleteFrom('documents_logo').where('tenant_id', '=', tenantId).returning('sha256').executeTakeFirst();
  if (gone) await api.audit(trx, tenantId, { actor, action: 'logo.deleted', entity: 'documents_logo', entityId: tenantId, before: { sha256: gone.sha256 } });
  return !!gone;
}

export async function getLogo(trx: Trx, tenantId: string): Promise<{ content: Buffer; mediaType: LogoType; sha256: string } | null> {
  const row = await trx.selectFrom('documents_logo').select(['content', 'media_type', 'sha256']).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row ? { content: row.content, mediaType: row.media_type, sha256: row.sha256 } : null;
}

const copies = new Map<string, Logo>();

/** The logo a document prints: its hash is read each time, the bytes only when they changed. */
export async function letterheadLogo(trx: Trx, tenantId: string): Promise<Logo | null> {
  const head = await trx.selectFrom('documents_logo').select(['sha256', 'width', 'height']).where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!head) return null;
  const kept = copies.get(head.sha256);
  if (kept) return kept;
  const row = await trx.selectFrom('documents_logo').select(['content', 'media_type']).where('tenant_id', '=', tenantId).where('sha256', '=', head.sha256).executeTakeFirst();
  if (!row) return null;
  const logo: Logo = { data: row.content, mediaType: row.media_type, width: head.width, height: head.height };
  if (copies.size >= 100) copies.clear();
  copies.set(head.sha256, logo);
  return logo;
}
