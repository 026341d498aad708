/**
 * What other modules may use of the documents module (with `documents` in their `depends` or
 * `optional`): its service and the `confirmation.answered` event. Documents are made on request
 * from the books; no table is public.
 */
import type { Trx } from '../../core/db/kysely.js';
import type { Actor } from '../../core/events/types.js';

/** Which document of which partner (id or ref); `lang`: vi, en, zh, ar or a locale of one (default: the partner's, for a confirmation the one it was asked in). */
export type DocumentRequest =
  | { kind: 'statement'; partner: string; from?: string; to?: string; lang?: string }
  | { kind: 'open-items'; partner: string; asOf?: string; lang?: string }
  /**
   * A follow-up level's letter (level id or name; default: the level due on `date`, today by
   * default). `statement`: the statement of open items on the letter's date follows on new pages
   * in the same PDF — by default when the level attaches the statement (what a posted letter needs).
   */
  | { kind: 'reminder'; partner: string; level?: string; date?: string; lang?: string; statement?: boolean }
  /** A balance confirmation (its id), as asked: the items frozen on its day, its link while it is open. */
  | { kind: 'confirmation'; confirmation: string; lang?: string };

export interface RenderedDocument { filename: string; content: Buffer; pages: number; lang: string }

/** A VietQR payment: the EMVCo payload, the payment reference it carries, the amount in minor units. */
export interface PaymentCode { payload: string; reference: string; amount: bigint }

export interface DocumentsService {
  /** The document as an A4 PDF, the recipient's address in the envelope window of the tenant's settings. */
  pdf(trx: Trx, tenantId: string, request: DocumentRequest, options?: { visibleSalespeople?: string[] | null }): Promise<RenderedDocument>;
  /** The same document as an HTML page (a preview of what prints). */
  html(trx: Trx, tenantId: string, request: DocumentRequest, options?: { visibleSalespeople?: string[] | null }): Promise<string>;
  /**
   * The VietQR payment of a partner: `amount` (minor units), else its overdue total, else its
   * balance; the partner's own payment reference. 409 when the company has no receiving account,
   * keeps its books in another currency than VND, or nothing is owed.
   */
  paymentCode(trx: Trx, tenantId: string, partner: string, amount?: bigint, options?: { visibleSalespeople?: string[] | null }): Promise<PaymentCode>;
  /** The company's letterhead logo (PNG or JPEG, at most 200 KB and 3000 × 3000 pixels, checked to print). */
  logo: {
    put(trx: Trx, tenantId: string, actor: Actor, data: Buffer, mediaType: 'image/png' | 'image/jpeg'): Promise<LogoInfo>;
    get(trx: Trx, tenantId: string): Promise<{ content: Buffer; mediaType: 'image/png' | 'image/jpeg'; sha256: string } | null>;
    /** false when there was none. */
    delete(trx: Trx, tenantId: string, actor: Actor): Promise<boolean>;
  };
}

export interface LogoInfo { mediaType: 'image/png' | 'image/jpeg'; width: number; height: number; bytes: number; sha256: string }

declare module '../../core/modules/services.js' {
  interface ModuleServices { documents: DocumentsService }
}

/**
 * A customer answered a balance confirmation through its link: `confirmed` the balance, or
 * `disputed` it with the balance of its own books (`amount`) and a note. Amounts are decimal strings.
 */
export interface ConfirmationAnswered {
  confirmationId: string; partnerId: string; asOf: string; state: 'confirmed' | 'disputed';
  balance: string; amount: string; difference: string; note: string | null; answeredBy: string; answeredAt: string;
}

declare module '../../core/events/types.js' {
  interface EventMap { 'confirmation.answered': ConfirmationAnswered }
}

export const publicTables = [] as const;
