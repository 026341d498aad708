/**
 * A letter per follow-up `letter` action: an after-commit subscriber of `followup.action_created`
 * checks the partner's address, renders the documents module's reminder letter for the action's
 * level and date (with the statement pages when the level attaches them) and keeps it, `queued`,
 * once per action (the action id is unique among letters). Docsaway letters go out at once
 * (`postal.letter_queued` → docsaway.ts); batch providers wait for the day's cut-off (batches.ts).
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { ProblemError } from '../../core/errors.js';
import { uuidv7 } from '../../core/ids.js';
import type { DeliveredEvent, SubscriberContext } from '../../core/events/types.js';
import type { Address } from '../ledger/public.js';
import type { RenderedDocument } from '../documents/public.js';
import { addressHash, checkAddress } from './address.js';
import type { PostalApi } from './context.js';
import type { Envelope } from './tables.js';

/** A DL envelope takes up to 5 folded sheets; more go flat in a C4. */
export const DL_MAX_SHEETS = 5;

export function sheetsOf(pages: number, duplex: boolean): number {
  return duplex ? Math.ceil(pages / 2) : pages;
}

export function envelopeOf(sheets: number): Envelope {
  return sheets <= DL_MAX_SHEETS ? 'DL' : 'C4';
}

export function letterQueuer(api: PostalApi) {
  return async (ctx: SubscriberContext, event: DeliveredEvent<'followup.action_created'>): Promise<void> => {
    const { actionId, partnerId, channel } = event.payload;
    if (channel !== 'letter') return;
    const { trx, tenantId } = ctx;
    const followUp = api.service('follow-up');
    const action = await followUp.actions.get(trx, tenantId, actionId, { lock: true });
    if (!action || action.state !== 'pending') return; // cancelled (paid) meanwhile, or done
    const existing = await trx.selectFrom('postal_letter').select('id').where('tenant_id', '=', tenantId).where('action_id', '=', actionId).executeTakeFirst();
    if (existing) return;

    // The partner and its follow-up contact (the one the reminder addresses), as the documents module picks it.
    const { rows: [partner] } = await sql<{ name: string; address: Address | null; contact_name: string | null }>`
      select p.name, p.address, c.name as contact_name
      from ledger_partner p
      left join lateral (
        select c.name from ledger_partner_contact c
        where c.tenant_id = p.tenant_id and c.partner_id = p.id and c.kind = 'followup'
        order by (nullif(c.email, '') is null), c.id limit 1
      ) c on true
      where p.tenant_id = ${tenantId} and p.id = ${partnerId}`.execute(trx);
    const address = partner!.address;
    const checked = checkAddress(partner!.name, partner!.contact_name, address);
    if (!checked.ok) {
      const message = `missing contact data: the postal address cannot carry a letter (${checked.missing.join('; ')})`;
      await followUp.actions.record(trx, tenantId, actionId, 'letter', { state: 'missing_contact', code: 'missing_contact', message, details: { missing: checked.missing } });
      return;
    }
    const hash = addressHash(address);
    const returned = await trx.selectFrom('postal_returned_address').select(['letter_id', 'reason', 'created_at']).where('tenant_id', '=', tenantId)
      .where('partner_id', '=', partnerId).where('address_hash', '=', hash).executeTakeFirst();
    if (returned) {
      const message = `missing contact data: a letter to this address came back on ${returned.created_at.toISOString().slice(0, 10)} (${returned.reason}); the next letter waits for a corrected address`;
      await followUp.actions.record(trx, tenantId, actionId, 'letter', { state: 'missing_contact', code: 'address_returned', message, details: { returnedLetter: returned.letter_id } });
      return;
    }

    const settings = await api.settings(trx, tenantId);
    const date = event.payload.date ?? action.date;
    let doc: RenderedDocument;
    try {
      // The letter in the reminder's language (the follow-up contact's, else the partner's, else the company's).
      doc = await api.service('documents').pdf(trx, tenantId, { kind: 'reminder', partner: partnerId, level: action.levelId, date });
    } catch (err) {
      if (!(err instanceof ProblemError && err.status === 409)) throw err;
      // Nothing left to remind (paid, excluded or promised since the run), or no level applies any more.
      const message = `not sent: ${err.detail ?? 'nothing to remind'} (on ${date})`;
      await followUp.actions.record(trx, tenantId, actionId, 'letter', { state: 'cancelled', code: 'nothing_left', message });
      return;
    }
    const sheets = sheetsOf(doc.pages, settings.duplex);
    const id = uuidv7();
    await trx.insertInto('postal_letter').values({
      tenant_id: tenantId, id, action_id: actionId, partner_id: partnerId, level_id: action.levelId, date: action.date, lang: doc.lang,
      provider: settings.provider, state: 'queued', address: JSON.stringify(checked.address), address_hash: hash,
      pages: doc.pages, sheets, envelope: envelopeOf(sheets), pdf: doc.content, sha256: createHash('sha256').update(doc.content).digest('hex'),
      result: null,
    }).execute();
    const message = settings.provider === 'docsaway'
      ? 'letter queued: going to Docsaway now'
      : `letter queued for the batch of ${settings.cutoff} (${settings.provider === 'print' ? 'printed in the office' : 'sent to the mail house by SFTP'})`;
    await followUp.actions.record(trx, tenantId, actionId, 'letter', { state: 'pending', code: 'queued', message, recipient: checked.address.lines.join(', '), details: { letter: id } });
    if (settings.provider === 'docsaway') await api.emit(trx, tenantId, 'postal.letter_queued', { letterId: id });
  };
}
