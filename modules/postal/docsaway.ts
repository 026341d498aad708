/**
 * The `docsaway` provider: each letter goes to Docsaway's REST API (JSON over HTTPS, POST; the
 * API that Odoo's print_docsaway module used) as soon as it is queued:
 * 1. `account.json` {balance, volume}: the account's balance and how many documents it has sent;
 * 2. `station_finder.json` {action: getStationAuto, destination: ISO country, ink, paper,
 *    StationID: AUTO} → `stationAuto` {stationID, courierID, zone}: the print station;
 * 3. `pricing.json` {stationID, courierID, zone, pageCount, ink, paper, currency} → `price`: the
 *    letter's price is known (and kept) before it is sent; a balance below it waits (retried).
 *    `pageCount` is the PDF's pages plus one: Docsaway prints its own address cover sheet;
 * 4. `mail.json` {APIMode TEST|LIVE, Recipient {name, company, address1, address2, city, state,
 *    zip, country}, PrintingStation {id, courierID, ink, paper}, PDFFile (base64)} →
 *    `transaction` {approved, price, reference, date, balance}.
 * Every request carries `APIConnection` {email, key}; every answer `APIErrorNumber` (0: fine).
 * The fields, their sources and the error numbers: docsaway-api.md beside this file.
 *
 * Exactly once. mail.json takes no key of ours, so a lost answer cannot be looked up by our id.
 * Instead a tenant's letters go to Docsaway one at a time (an advisory lock), the account's
 * `volume` is kept with the hand-over ("sending", committed before the call), and an unknown
 * outcome — a timeout, a dropped connection, a server that stopped mid-call — is settled by asking
 * the account: its volume grew by one more than the letters accepted since → Docsaway has the
 * letter (`submitted`, without its reference); it did not grow → it never arrived, sent again;
 * anything else (someone used the account by hand meanwhile) → `uncertain`, never sent blindly:
 * a clerk checks in Docsaway's account and cancels it or sends it again.
 */
import type { Trx } from '../../core/db/kysely.js';
import { sql } from 'kysely';
import { ProblemError, conflict } from '../../core/errors.js';
import { formatAmount, parseAmount } from '../../core/money.js';
import type { DeliveredEvent, SubscriberContext } from '../../core/events/types.js';
import type { PostalApi, PostalSettings } from './context.js';
import { RetryLater } from '../../core/events/retry-later.js';
import type { LetterAddress } from './tables.js';

export const SUBMIT_MAX_ATTEMPTS = 10;
/** Docsaway's limits: a PDF of at most 2 MB (error 035) and 40 pages with its cover sheet. */
const MAX_PDF_BYTES = 2 * 1024 * 1024;
const MAX_PAGES = 40;

type Docsaway = PostalSettings['docsaway'];

/** Docsaway answered with an error number (the request was understood and refused). */
export class DocsawayError extends Error {
  constructor(readonly call: string, readonly number: string, readonly report: string | null) {
    super(`Docsaway ${call} answered error ${number}${report ? `: ${report}` : ''}`);
    this.name = 'DocsawayError';
  }
}

/** The connection failed or the answer was not Docsaway's (5xx, not JSON, timeout). */
export class DocsawayUnreachable extends Error {
  constructor(readonly call: string, message: string, readonly timedOut: boolean) {
    super(`Docsaway ${call}: ${message}`);
    this.name = 'DocsawayUnreachable';
  }
}

// Amounts arrive as JSON numbers: read as the text they were written in, never as floats.
const MONEY_KEYS = /"(price|Price|balance|Balance)"\s*:\s*(-?[0-9]+(?:\.[0-9]+)?)/g;

export async function docsawayCall(settings: Docsaway, call: 'account' | 'station_finder' | 'pricing' | 'mail', body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const url = `${settings.url.replace(/\/+$/, '')}/${call}.json`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ APIConnection: { email: settings.email, key: settings.apiKey }, APIReport: false, ...body }),
      signal: AbortSignal.timeout(settings.timeoutSeconds * 1000), redirect: 'error',
    });
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    throw new DocsawayUnreachable(call, timedOut ? `no answer within ${settings.timeoutSeconds} s` : `${e.message}${(e.cause as Error | undefined)?.message ? ` (${(e.cause as Error).message})` : ''}`, timedOut);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new DocsawayUnreachable(call, `the answer broke off: ${(err as Error).message}`, true);
  }
  if (response.status !== 200) throw new DocsawayUnreachable(call, `HTTP ${response.status}`, false);
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text.replace(MONEY_KEYS, '"$1":"$2"')) as Record<string, unknown>;
  } catch {
    throw new DocsawayUnreachable(call, 'the answer is not JSON', false);
  }
  const number = String(answer.APIErrorNumber ?? '0');
  if (number !== '0' && number !== '') throw new DocsawayError(call, number, typeof answer.APIReport === 'string' ? answer.APIReport : null);
  return answer;
}

const str = (v: unknown): string | null => (v === undefined || v === null || v === '' ? null : String(v));

function configured(settings: PostalSettings): boolean {
  return settings.docsaway.email.trim() !== '' && settings.docsaway.apiKey.trim() !== '';
}

async function account(settings: Docsaway): Promise<{ balance: string; volume: number }> {
  const a = await docsawayCall(settings, 'account', { balance: true, volume: true });
  const volume = Number(a.volume);
  if (!Number.isSafeInteger(volume) || str(a.balance) === null) throw new DocsawayUnreachable('account', 'the answer lacks balance or volume', false);
  return { balance: String(a.balance), volume };
}

/** GET /api/postal/account: the balance, for a clerk to top up in time. */
export async function accountBalance(api: PostalApi, trx: Trx, tenantId: string) {
  const settings = await api.settings(trx, tenantId);
  if (settings.provider !== 'docsaway') throw conflict(`the postal provider is ${settings.provider}, not docsaway`, 'not-docsaway');
  if (!configured(settings)) throw conflict('Docsaway is not configured: set the postal settings docsaway.email and docsaway.apiKey', 'not-configured');
  try {
    const a = await account(settings.docsaway);
    return { balance: formatAmount(parseAmount(a.balance, settings.docsaway.currency, { allowZero: true, allowNegative: true, field: 'balance' }), settings.docsaway.currency), currency: settings.docsaway.currency, mode: settings.docsaway.mode, volume: a.volume };
  } catch (err) {
    if (err instanceof DocsawayError || err instanceof DocsawayUnreachable) throw new ProblemError(502, 'provider-error', 'Bad gateway', err.message);
    throw err;
  }
}

/** The Recipient block, in Docsaway's fields (50 characters a line, as its API takes them). */
export function recipientOf(a: LetterAddress): Record<string, string> {
  const cut = (s: string) => s.slice(0, 50);
  const locality = a.country === 'VN' ? [a.ward, a.district].filter(Boolean).join(', ') : [a.ward, a.district].filter((p) => p && p !== a.city).join(', ');
  return {
    name: cut(a.contact ?? a.name), ...(a.contact ? { company: cut(a.name) } : {}),
    address1: cut(a.street), ...(locality ? { address2: cut(locality) } : {}),
    city: cut(a.city), ...(a.province && a.province !== a.city ? { state: cut(a.province) } : {}),
    zip: a.postcode ?? '', country: a.country,
  };
}

export function letterSubmitter(api: PostalApi) {
  return async (ctx: SubscriberContext, event: DeliveredEvent<'postal.letter_queued'>): Promise<void> => {
    const { trx, tenantId } = ctx;
    const { letterId } = event.payload;
    // One Docsaway hand-over at a time per tenant: the account's volume then tells what arrived.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`postal:docsaway:${tenantId}`}, 0))`.execute(trx);
    const letter = await trx.selectFrom('postal_letter').select(['id', 'action_id', 'partner_id', 'state', 'address', 'pages', 'pdf', 'submit_state', 'submit_started_at', 'submit_volume', 'price'])
      .where('tenant_id', '=', tenantId).where('id', '=', letterId).executeTakeFirst(); // not locked: the lock above serializes, and its row is written in transactions of their own
    if (!letter || letter.state !== 'queued') return;
    const settings = await api.settings(trx, tenantId);
    const followUp = api.service('follow-up');
    const ds = settings.docsaway;
    const currency = ds.currency;
    const money = (text: string, field: string) => parseAmount(text, currency, { allowZero: true, field });

    const setLetter = (values: Record<string, unknown>) => trx.updateTable('postal_letter').set(values).where('tenant_id', '=', tenantId).where('id', '=', letterId).execute();
    const accepted = async (reference: string | null, price: bigint, result: Record<string, unknown>) => {
      await setLetter({ state: 'submitted', submit_state: 'done', submitted_at: new Date(), reference, price, price_currency: currency, result: JSON.stringify(result) });
      await followUp.actions.record(trx, tenantId, letter.action_id, 'letter', {
        state: 'sent', code: 'submitted', message: String(result.message), details: { letter: letterId, reference, price: formatAmount(price, currency), currency },
      });
      await api.emit(trx, tenantId, 'letter.submitted', {
        letterId, actionId: letter.action_id, partnerId: letter.partner_id, provider: 'docsaway', batchId: null, reference, price: formatAmount(price, currency), currency,
      });
    };
    const refused = async (code: string, message: string, details: Record<string, unknown>) => {
      await setLetter({ state: 'cancelled', submit_state: 'done', cancelled_at: new Date(), result: JSON.stringify({ code, message, ...details }) });
      await followUp.actions.record(trx, tenantId, letter.action_id, 'letter', { state: 'rejected', code: 'refused', message, details: { letter: letterId, ...details } });
    };
    const waiting = async (code: string, message: string, last: boolean) => {
      // On record now (own transaction): the outbox rolls this one back to retry.
      await ctx.db.transaction((t) => t.updateTable('postal_letter').set({ result: JSON.stringify({ code, message, attempt: ctx.attempt }) })
        .where('tenant_id', '=', tenantId).where('id', '=', letterId).execute());
      if (last) {
        await followUp.actions.record(trx, tenantId, letter.action_id, 'letter', { state: 'failed', code: 'unreachable', message: `${message}; not retried any more`, details: { letter: letterId } });
        await setLetter({ result: JSON.stringify({ code, message: `${message}; not retried any more`, attempt: ctx.attempt }) });
        return;
      }
      throw new RetryLater(message);
    };
    const last = ctx.attempt >= SUBMIT_MAX_ATTEMPTS;

    // Paid (or cancelled) since it was queued: it does not go. A hand-over already started is settled first.
    if (letter.submit_state !== 'sending') {
      const action = await followUp.actions.get(trx, tenantId, letter.action_id);
      if (!action || action.state !== 'pending') {
        await setLetter({ state: 'cancelled', cancelled_at: new Date(), result: JSON.stringify({ code: 'reminder_cancelled', message: `not sent: the reminder was ${action?.state ?? 'removed'} before it went to Docsaway (paid meanwhile?)` }) });
        return;
      }
    }

    if (!configured(settings)) {
      await waiting('not_configured', 'Docsaway is not configured: set the postal settings docsaway.email and docsaway.apiKey', last);
      return;
    }

    try {
      if (letter.submit_state === 'sending') {
        // A hand-over whose outcome we do not know: ask the account before anything is sent again.
        const price = BigInt(letter.price ?? 0);
        const since = await trx.selectFrom('postal_letter').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId)
          .where('provider', '=', 'docsaway').where('submit_started_at', '>', letter.submit_started_at!).where('state', 'in', ['submitted', 'printed', 'posted', 'delivered', 'returned'])
          .executeTakeFirstOrThrow();
        const { volume } = await account(ds);
        const grew = volume - Number(letter.submit_volume) - Number(since.n);
        if (grew === 1) {
          await accepted(null, price, {
            code: 'submitted', message: `accepted by Docsaway (${ds.mode}): its answer was lost, the account's volume shows the letter arrived; price ${formatAmount(price, currency)} ${currency} (the reference is in Docsaway's account)`, recovered: true,
          });
          return;
        }
        if (grew !== 0) {
          const message = `not sent again: whether Docsaway has this letter is unknown (the account's volume moved by ${grew} where 0 or 1 was expected — was the account used elsewhere?); check Docsaway's account, then cancel the letter or send it again`;
          await setLetter({ state: 'uncertain', result: JSON.stringify({ code: 'uncertain', message, volumeBefore: Number(letter.submit_volume), volumeNow: volume }) });
          await followUp.actions.record(trx, tenantId, letter.action_id, 'letter', { state: 'uncertain', code: 'uncertain', message, details: { letter: letterId } });
          return;
        }
        // It never arrived: send it now.
      }

      if (letter.pdf.length > MAX_PDF_BYTES || letter.pages + 1 > MAX_PAGES) {
        await refused('too_large', `not sent: Docsaway takes at most ${MAX_PAGES - 1} pages and 2 MB, this letter has ${letter.pages} pages and ${letter.pdf.length} bytes — print it in the office`, { pages: letter.pages, bytes: letter.pdf.length });
        return;
      }
      const before = await account(ds);
      const address = letter.address;
      const stationAnswer = await docsawayCall(ds, 'station_finder', { action: 'getStationAuto', ink: ds.ink, paper: ds.paper, destination: address.country, StationID: 'AUTO' });
      const station = (stationAnswer.stationAuto ?? {}) as Record<string, unknown>;
      if (str(station.stationID) === null) throw new DocsawayError('station_finder', 'no station', `no print station for ${address.country}`);
      const priced = await docsawayCall(ds, 'pricing', {
        stationID: station.stationID, courierID: station.courierID, zone: station.zone, pageCount: letter.pages + 1, ink: ds.ink, paper: ds.paper, currency,
      });
      const priceText = str(priced.price);
      if (priceText === null) throw new DocsawayUnreachable('pricing', 'the answer has no price', false);
      const price = money(priceText, 'price');
      const balance = parseAmount(before.balance, currency, { allowZero: true, allowNegative: true, field: 'balance' });
      if (balance < price) {
        await waiting('insufficient_balance', `the Docsaway balance ${formatAmount(balance, currency)} ${currency} is below the letter's price ${formatAmount(price, currency)} ${currency}: top up the account`, last);
        return;
      }
      const startedAt = new Date();
      await ctx.db.transaction((t) => t.updateTable('postal_letter').set({
        submit_state: 'sending', submit_started_at: startedAt, submit_volume: BigInt(before.volume), price, price_currency: currency,
        result: JSON.stringify({ code: 'sending', message: 'handing over to Docsaway', station }),
      }).where('tenant_id', '=', tenantId).where('id', '=', letterId).execute());
      let mailed: Record<string, unknown>;
      try {
        mailed = await docsawayCall(ds, 'mail', {
          APIMode: ds.mode, Recipient: recipientOf(address),
          PrintingStation: { id: station.stationID, courierID: station.courierID, ink: ds.ink, paper: ds.paper },
          PDFFile: letter.pdf.toString('base64'),
        });
      } catch (err) {
        if (err instanceof DocsawayError) {
          await refused('refused', `refused by Docsaway: error ${err.number}${err.report ? ` (${err.report})` : ''}`, { error: err.number, report: err.report });
          return;
        }
        // Unknown outcome: ask the account now (nothing of ours went out since: we hold the lock).
        const after = await account(ds).catch(() => null);
        if (after && after.volume === before.volume + 1) {
          await accepted(null, price, { code: 'submitted', message: `accepted by Docsaway (${ds.mode}): its answer was lost (${(err as Error).message}), the account's volume shows the letter arrived; price ${priceText} ${currency}`, recovered: true });
          return;
        }
        if (after && after.volume === before.volume) {
          await ctx.db.transaction((t) => t.updateTable('postal_letter').set({ submit_state: null }).where('tenant_id', '=', tenantId).where('id', '=', letterId).execute());
        }
        throw err; // unknown still: the next attempt starts by asking the account
      }
      const tx = (mailed.transaction ?? {}) as Record<string, unknown>;
      const approved = String(tx.approved ?? tx.Approved ?? '').toLowerCase() === 'y';
      const reference = str(tx.reference ?? tx.Reference);
      const charged = str(tx.price ?? tx.Price) ?? priceText;
      if (!approved) {
        await refused('refused', `refused by Docsaway: transaction not approved${reference ? ` (${reference})` : ''}`, { reference });
        return;
      }
      await accepted(reference, money(charged, 'price'), {
        code: 'submitted', message: `accepted by Docsaway (${ds.mode}), reference ${reference ?? '?'}, price ${charged} ${currency}`,
        station: mailed.station ?? station, document: mailed.document ?? null, balance: str(tx.balance ?? tx.Balance),
      });
      ctx.log.info({ letterId, reference }, 'letter accepted by Docsaway');
    } catch (err) {
      if (err instanceof DocsawayError) {
        await refused('refused', `refused by Docsaway (${err.call}): error ${err.number}${err.report ? ` (${err.report})` : ''}`, { error: err.number, report: err.report, call: err.call });
        return;
      }
      if (err instanceof DocsawayUnreachable) {
        await waiting('retrying', `retrying: ${err.message}`, last);
        return;
      }
      throw err;
    }
  };
}
