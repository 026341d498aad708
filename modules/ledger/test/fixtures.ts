import type { LightMyRequestResponse } from 'fastify';
import { withTenant } from '../../../core/db/kysely.js';
import { SYSTEM_ACTOR, type Actor } from '../../../core/events/types.js';
import type { Books } from '../context.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';

/**
 * Runs `fn` on the test tenant's books in one transaction, opened through the ledger's service as
 * another module opens them (`api.service('ledger').books.open`). Typed as the ledger's own
 * `Books` for its tests; another module's test uses it as `LedgerBooks` with
 * `h.app.congno.service('ledger')`. Throw inside `fn` to roll everything back.
 */
export async function onBooks<T>(h: TestApp, fn: (books: Books) => Promise<T>, actor: Actor = SYSTEM_ACTOR): Promise<T> {
  const ledger = h.app.congno.service('ledger');
  return withTenant(h.db, h.tenant.id, async (trx) => fn(await ledger.books.open(trx, h.tenant.id, actor) as Books));
}

/** Asserts a 2xx and returns the JSON body; the response body is the failure message. */
export function ok<T = any>(res: LightMyRequestResponse): T {
  if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

export async function newPartner(h: TestApp, ref: string, extra: Record<string, unknown> = {}): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/partners', { ref, name: `Khách hàng ${ref}`, ...extra }));
}

/** A posted one-line invoice without tax for `amount`. */
export async function postedInvoice(h: TestApp, partner: string, amount: string, date: string, dueDate: string, options: { token?: string } = {}): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/invoices', {
    partner, date, dueDate, post: true, lines: [{ description: 'Hàng hoá', quantity: '1', unitPrice: amount }],
  }, options));
}

export async function invoiceNow(h: TestApp, id: string): Promise<any> {
  return ok(await h.request('GET', `/api/ledger/invoices/${id}`));
}

export async function count(h: TestApp, table: 'ledger_invoice' | 'ledger_payment' | 'ledger_move' | 'ledger_partial' | 'ledger_import_mapping' | 'core_audit'): Promise<number> {
  const row = await h.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
