/**
 * A clerk's work on letters: the list, one letter, cancelling one not yet gone, marking a batch
 * printed and posted, recording a letter that came back, and what the post cost per month.
 */
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { isIsoDate } from '../../core/dates.js';
import { badRequest, conflict, notFound } from '../../core/errors.js';
import { UUID } from '../../core/ids.js';
import { formatAmount } from '../../core/money.js';
import type { Actor } from '../../core/events/types.js';
import type { PostalApi } from './context.js';
import { getBatch, storedPdf, type Batch } from './batches.js';
import type { LetterAddress, LetterState, Provider } from './tables.js';

export interface Letter {
  id: string; partner: { id: string; ref: string; name: string }; action: string; level: string; date: string; lang: string;
  state: LetterState; provider: Provider; pages: number; sheets: number; envelope: string; address: LetterAddress;
  batch: string | null; reference: string | null; price: string | null; currency: string | null;
  result: string | null; returnReason: string | null; sha256: string;
  createdAt: string; submittedAt: string | null; printedAt: string | null; postedAt: string | null; deliveredAt: string | null; returnedAt: string | null; cancelledAt: string | null;
}

export interface LetterFilter { state?: LetterState; partner?: string; from?: string; to?: string; batch?: string }

const iso = (d: Date | null) => d?.toISOString() ?? null;

function query(trx: Trx, tenantId: string) {
  return trx.selectFrom('postal_letter as l')
    .innerJoin('ledger_partner as p', (j) => j.onRef('p.tenant_id', '=', 'l.tenant_id').onRef('p.id', '=', 'l.partner_id'))
    .select(['l.id', 'l.partner_id', 'p.ref', 'p.name', 'l.action_id', 'l.level_id', sql<string>`l.date::text`.as('date'), 'l.lang', 'l.state', 'l.provider', 'l.pages', 'l.sheets',
      'l.envelope', 'l.address', 'l.batch_id', 'l.reference', 'l.price', 'l.price_currency', 'l.result', 'l.return_reason', 'l.sha256',
      'l.created_at', 'l.submitted_at', 'l.printed_at', 'l.posted_at', 'l.delivered_at', 'l.returned_at', 'l.cancelled_at'])
    .where('l.tenant_id', '=', tenantId);
}

type Row = Awaited<ReturnType<ReturnType<typeof query>['executeTakeFirstOrThrow']>>;

function toLetter(r: Row): Letter {
  return {
    id: r.id, partner: { id: r.partner_id, ref: r.ref, name: r.name }, action: r.action_id, level: r.level_id, date: r.date, lang: r.lang,
    state: r.state, provider: r.provider, pages: r.pages, sheets: r.sheets, envelope: r.envelope, address: r.address,
    batch: r.batch_id, reference: r.reference,
    price: r.price === null || r.price_currency === null ? null : formatAmount(BigInt(r.price), r.price_currency), currency: r.price_currency,
    result: typeof r.result?.message === 'string' ? r.result.message : null, returnReason: r.return_reason, sha256: r.sha256,
    createdAt: r.created_at.toISOString(), submittedAt: iso(r.submitted_at), printedAt: iso(r.printed_at), postedAt: iso(r.posted_at),
    deliveredAt: iso(r.delivered_at), returnedAt: iso(r.returned_at), cancelledAt: iso(r.cancelled_at),
  };
}

export async function listLetters(trx: Trx, tenantId: string, f: LetterFilter, limit: number, cursor?: string): Promise<{ items: Letter[]; next: string | null }> {
  let q = query(trx, tenantId);
  if (f.state) q = q.where('l.state', '=', f.state);
  if (f.partner !== undefined) q = UUID.test(f.partner) ? q.where('l.partner_id', '=', f.partner) : q.where('p.ref', '=', f.partner);
  for (const [field, value] of [['from', f.from], ['to', f.to]] as const) {
    if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
  }
  if (f.from) q = q.where('l.date', '>=', f.from);
  if (f.to) q = q.where('l.date', '<=', f.to);
  if (f.batch !== undefined) q = UUID.test(f.batch) ? q.where('l.batch_id', '=', f.batch) : q.where(sql<boolean>`false`);
  if (cursor !== undefined) {
    if (!UUID.test(cursor)) throw badRequest('cursor is not one this list gave', 'cursor');
    q = q.where('l.id', '<', cursor);
  }
  const rows = await q.orderBy('l.id', 'desc').limit(limit + 1).execute();
  const shown = rows.slice(0, limit);
  return { items: shown.map(toLetter), next: rows.length > limit ? shown.at(-1)!.id : null };
}

export async function getLetter(trx: Trx, tenantId: string, id: string, lock = false): Promise<Letter> {
  if (!UUID.test(id)) throw notFound(`No letter ${id}.`);
  let q = query(trx, tenantId).where('l.id', '=', id);
  if (lock) q = q.forUpdate('l');
  const r = await q.executeTakeFirst();
  if (!r) throw notFound(`No letter ${id}.`);
  return toLetter(r);
}

export async function letterPdf(trx: Trx, tenantId: string, id: string): Promise<Buffer> {
  await getLetter(trx, tenantId, id);
  return storedPdf(trx, tenantId, id);
}

/** A letter not yet handed over: cancelled, and its reminder with it (shown on the follow-up's views). */
export async function cancelLetter(api: PostalApi, trx: Trx, tenantId: string, actor: Actor, id: string, reason: string | undefined): Promise<Letter> {
  const letter = await getLetter(trx, tenantId, id, true);
  if (letter.state === 'cancelled') return letter;
  const handing = await trx.selectFrom('postal_letter').select('submit_state').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirstOrThrow();
  if (letter.state === 'queued' && handing.submit_state === 'sending') throw conflict(`letter ${id} is being handed to the provider right now; cancel it once its outcome is known`, 'letter-being-sent');
  if (letter.state !== 'queued' && letter.state !== 'uncertain') throw conflict(`letter ${id} is ${letter.state}: only a queued letter (or one whose submission is uncertain) can be cancelled`, 'letter-not-cancellable');
  const message = `cancelled by a clerk${reason ? `: ${reason}` : ''}`;
  await trx.updateTable('postal_letter').set({ state: 'cancelled', cancelled_at: new Date(), result: JSON.stringify({ code: 'cancelled', message }) })
    .where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  await api.service('follow-up').actions.record(trx, tenantId, letter.action, 'letter', { state: 'cancelled', code: 'cancelled', message: `letter ${message}`, details: { letter: id } });
  await api.audit(trx, tenantId, { actor, action: 'postal.letter_cancelled', entity: 'postal_letter', entityId: id, before: { state: letter.state }, after: { state: 'cancelled', reason: reason ?? null } });
  return getLetter(trx, tenantId, id);
}

/**
 * A letter left `uncertain` (Docsaway's answer lost and its account could not tell) sent again
 * after a clerk checked Docsaway's account and found it missing.
 */
export async function resendLetter(api: PostalApi, trx: Trx, tenantId: string, actor: Actor, id: string): Promise<Letter> {
  const letter = await getLetter(trx, tenantId, id, true);
  if (letter.state !== 'uncertain') throw conflict(`letter ${id} is ${letter.state}: only an uncertain letter is sent again by hand`, 'letter-not-uncertain');
  await trx.updateTable('postal_letter').set({ state: 'queued', submit_state: null, submit_volume: null, result: JSON.stringify({ code: 'resent', message: 'sent again by a clerk after checking the provider' }) })
    .where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  await api.service('follow-up').actions.record(trx, tenantId, letter.action, 'letter', { state: 'pending', code: 'queued', message: 'letter queued again by a clerk (Docsaway did not have it)', details: { letter: id } });
  await api.emit(trx, tenantId, 'postal.letter_queued', { letterId: id }, { actor });
  await api.audit(trx, tenantId, { actor, action: 'postal.letter_resent', entity: 'postal_letter', entityId: id, before: { state: 'uncertain' }, after: { state: 'queued' } });
  return getLetter(trx, tenantId, id);
}

/** States of a letter that left: it can be delivered or come back. */
const RETURNABLE: LetterState[] = ['submitted', 'batched', 'printed', 'posted', 'delivered'];

/**
 * The letter came back: `returned`, the partner's address (as it was on the letter) marked
 * unusable — the next letters to it are `missing_contact` until the address changes — a line on
 * the partner's follow-up timeline and `letter.returned` on the bus. Recording it again changes nothing.
 */
export async function letterReturned(api: PostalApi, trx: Trx, tenantId: string, actor: Actor, id: string, input: { reason: string; date?: string }): Promise<Letter> {
  const letter = await getLetter(trx, tenantId, id, true);
  if (letter.state === 'returned') return letter;
  if (!RETURNABLE.includes(letter.state)) throw conflict(`letter ${id} is ${letter.state}: only a letter that went out can come back`, 'letter-not-sent');
  if (input.date !== undefined && !isIsoDate(input.date)) throw badRequest(`date '${input.date}' is not a date (YYYY-MM-DD)`, 'date');
  const returnedAt = input.date ? new Date(`${input.date}T12:00:00Z`) : new Date();
  const row = await trx.selectFrom('postal_letter').select('address_hash').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirstOrThrow();
  await trx.updateTable('postal_letter').set({ state: 'returned', returned_at: returnedAt, return_reason: input.reason })
    .where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  await trx.insertInto('postal_returned_address').values({ tenant_id: tenantId, partner_id: letter.partner.id, address_hash: row.address_hash, letter_id: id, reason: input.reason, created_at: returnedAt })
    .onConflict((oc) => oc.columns(['tenant_id', 'partner_id', 'address_hash']).doNothing()).execute();
  const followUp = api.service('follow-up');
  const where = letter.address.lines.slice(letter.address.contact ? 2 : 1).join(', ');
  await followUp.actions.record(trx, tenantId, letter.action, 'letter', {
    state: 'sent', code: 'returned', message: `letter returned to sender: ${input.reason}; the address (${where}) is marked unusable until it is corrected`,
    details: { letter: id, returnedAt: returnedAt.toISOString() },
  });
  await followUp.timeline.note(trx, tenantId, letter.partner.id, `Letter returned (${input.reason}): the postal address ${where} is marked unusable; the next letters wait for a corrected address.`, actor.userId ?? null);
  await api.emit(trx, tenantId, 'letter.returned', { letterId: id, actionId: letter.action, partnerId: letter.partner.id, reason: input.reason, returnedAt: returnedAt.toISOString() }, { actor });
  await api.audit(trx, tenantId, { actor, action: 'postal.letter_returned', entity: 'postal_letter', entityId: id, before: { state: letter.state }, after: { state: 'returned', reason: input.reason } });
  return getLetter(trx, tenantId, id);
}

/**
 * The post says the letter arrived (a registered letter's receipt, the mail house's report):
 * `delivered`. A returned letter stays returned.
 */
export async function letterDelivered(trx: Trx, tenantId: string, api: PostalApi, actor: Actor, id: string, date: string | undefined): Promise<Letter> {
  const letter = await getLetter(trx, tenantId, id, true);
  if (letter.state === 'delivered') return letter;
  if (!RETURNABLE.includes(letter.state)) throw conflict(`letter ${id} is ${letter.state}: only a letter that went out can be delivered`, 'letter-not-sent');
  if (date !== undefined && !isIsoDate(date)) throw badRequest(`date '${date}' is not a date (YYYY-MM-DD)`, 'date');
  await trx.updateTable('postal_letter').set({ state: 'delivered', delivered_at: date ? new Date(`${date}T12:00:00Z`) : new Date() })
    .where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  await api.audit(trx, tenantId, { actor, action: 'postal.letter_delivered', entity: 'postal_letter', entityId: id, before: { state: letter.state }, after: { state: 'delivered' } });
  return getLetter(trx, tenantId, id);
}

/** A clerk marks a batch printed, then posted (its letters follow); posting emits `letter.posted` per letter. */
export async function markBatch(api: PostalApi, trx: Trx, tenantId: string, actor: Actor, id: string, step: 'printed' | 'posted'): Promise<Batch> {
  if (!UUID.test(id)) throw notFound(`No batch ${id}.`);
  await trx.selectFrom('postal_batch').select('id').where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().execute();
  const batch = await getBatch(trx, tenantId, id);
  if (batch.state === step || (step === 'printed' && batch.state === 'posted')) return batch;
  const now = new Date();
  if (step === 'printed') {
    await trx.updateTable('postal_batch').set({ state: 'printed', printed_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await trx.updateTable('postal_letter').set({ state: 'printed', printed_at: now }).where('tenant_id', '=', tenantId).where('batch_id', '=', id).where('state', '=', 'batched').execute();
  } else {
    await trx.updateTable('postal_batch').set({ state: 'posted', posted_at: now, printed_at: batch.printedAt ? new Date(batch.printedAt) : now }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    const posted = await trx.updateTable('postal_letter').set({ state: 'posted', posted_at: now, printed_at: sql`coalesce(printed_at, ${now})` })
      .where('tenant_id', '=', tenantId).where('batch_id', '=', id).where('state', 'in', ['batched', 'printed']).returning(['id', 'action_id', 'partner_id']).execute();
    if (posted.length > 0) {
      await api.emitMany(trx, tenantId, 'letter.posted', posted.map((l) => ({ letterId: l.id, actionId: l.action_id, partnerId: l.partner_id, postedAt: now.toISOString() })), { actor });
    }
  }
  await api.audit(trx, tenantId, { actor, action: `postal.batch_${step}`, entity: 'postal_batch', entityId: id, before: { state: batch.state }, after: { state: step } });
  return getBatch(trx, tenantId, id);
}

/** Per month (of the letter's date): letters, pages, sheets, and the price per currency where the provider priced them. */
export async function costs(trx: Trx, tenantId: string, from: string | undefined, to: string | undefined) {
  for (const [field, value] of [['from', from], ['to', to]] as const) {
    if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
  }
  const { rows } = await sql<{ month: string; provider: Provider; letters: number; pages: number; sheets: number; currency: string | null; price: string | null }>`
    select to_char(date, 'YYYY-MM') as month, provider, count(*)::integer as letters, sum(pages)::integer as pages, sum(sheets)::integer as sheets,
           price_currency as currency, sum(price)::text as price
    from postal_letter
    where tenant_id = ${tenantId} and state not in ('queued', 'cancelled')
      ${from ? sql`and date >= ${from}::date` : sql``} ${to ? sql`and date <= ${to}::date` : sql``}
    group by 1, 2, 6 order by 1, 2, 6`.execute(trx);
  return rows.map((r) => ({
    month: r.month, provider: r.provider, letters: r.letters, pages: r.pages, sheets: r.sheets,
    price: r.price === null || r.currency === null ? null : formatAmount(BigInt(r.price), r.currency), currency: r.currency,
  }));
}
