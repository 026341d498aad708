/**
 * Links a customer opens without an account (a balance confirmation, later an unsubscribe): the
 * token carries which tenant and which record it is for, and a secret. The tenant travels in the
 * token because the page must pick the tenant's row-level scope before it can read anything; the
 * module keeps the token with its record (the documents it prints again carry the same link) and
 * compares the whole token, in constant time, before showing anything.
 *
 * Token: base64url of 16 bytes tenant id, 16 bytes record id, 32 random bytes (86 characters).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { uuidText } from './ids.js';

const UUID_BYTES = 16;
const SECRET_BYTES = 32;
const TOKEN = /^[A-Za-z0-9_-]{86}$/;

const uuidBytes = (uuid: string) => Buffer.from(uuid.replace(/-/g, ''), 'hex');

/** A new link token to one record of a tenant: what goes into the URL, and what the module keeps. */
export function mintLink(tenantId: string, recordId: string): string {
  return Buffer.concat([uuidBytes(tenantId), uuidBytes(recordId), randomBytes(SECRET_BYTES)]).toString('base64url');
}

export interface ReadLink { tenantId: string; recordId: string; token: string }

/** What a token names, or null when it is not a token at all (a truncated or made-up link). */
export function readLink(token: string): ReadLink | null {
  if (!TOKEN.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== 2 * UUID_BYTES + SECRET_BYTES) return null;
  return {
    tenantId: uuidText(bytes.subarray(0, UUID_BYTES)),
    recordId: uuidText(bytes.subarray(UUID_BYTES, 2 * UUID_BYTES)),
    token,
  };
}

/** Whether a link is the one the record keeps, in constant time. */
export function sameLink(link: ReadLink, stored: string): boolean {
  const a = Buffer.from(link.token);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The absolute address of a page path (`/documents/confirm/…`): the configured public URL, else where the request came to. */
export function publicUrl(request: FastifyRequest, pagePath: string): string {
  const base = request.server.congno.config.publicUrl ?? `${request.protocol}://${request.host}`;
  return `${base.replace(/\/+$/, '')}${pagePath}`;
}
