/**
 * SMPP 3.4 to an SMSC, with the `smpp` package: one transceiver session per tenant, kept open
 * (delivery receipts arrive on it, minutes or hours after the submit), `enquire_link` every 30 s,
 * reconnected with backoff when it drops. At most `window` submits wait for their answer at once;
 * `ESME_RTHROTTLED` and `ESME_RMSGQFUL` slow the session down (the part is offered again after a
 * growing pause) instead of failing the message.
 *
 * A message longer than one part goes as concatenated parts: esm_class 0x40 and the 8-bit UDH
 * (05 00 03 ref total index) before each part's bytes; GSM-7 as one septet per octet with
 * data_coding 0, UCS-2 as UTF-16BE with data_coding 8. Every part asks for a delivery receipt.
 */
import { randomInt } from 'node:crypto';
import smpp, { type PDU, type Session } from 'smpp';
import type { SmsSettings } from '../context.js';
import { encodeGsm7, encodeUcs2, splitParts, udh } from '../text.js';
import type { Outcome, Outgoing, Report, Sender } from './types.js';

type Options = SmsSettings['smpp'];

const ENQUIRE_EVERY_MS = 30_000;
const THROTTLE_FIRST_MS = 100;
const THROTTLE_MAX_MS = 5_000;
/** How long a part may be throttled in all before its message waits for a later round. */
const THROTTLE_GIVE_UP_MS = 120_000;
const RECONNECT_MAX_MS = 60_000;

const STATUS_NAMES = new Map(Object.entries(smpp.errors).map(([name, code]) => [code, name]));
const statusName = (status: number): string => STATUS_NAMES.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`;
const THROTTLED = new Set([smpp.errors.ESME_RTHROTTLED, smpp.errors.ESME_RMSGQFUL]);
/** The login itself is wrong: nothing goes until the settings change. */
const LOGIN_REFUSED = new Set([smpp.errors.ESME_RBINDFAIL, smpp.errors.ESME_RINVPASWD, smpp.errors.ESME_RINVSYSID, smpp.errors.ESME_RINVSYSTYP]);

export interface LinkHandlers {
  /** A delivery receipt: resolve when it is on record (the SMSC gets its answer after that). */
  report(report: Report): Promise<void>;
  /** A message from a phone (a STOP reply). */
  incoming(from: string, text: string): Promise<void>;
}

/** No session: the SMSC cannot be reached or refused the login; nothing was sent. */
class NotConnected extends Error {}
/** Sent, but the answer never came (timeout, connection dropped): the SMSC may have it. */
class NoAnswer extends Error {}

/** One tenant's session with its SMSC. */
export class SmppLink implements Sender {
  private session: Session | null = null;
  private binding: Promise<Session> | null = null;
  private failures = 0;
  private retryAt = 0;
  private inflight = 0;
  private waiting: Array<() => void> = [];
  private pauseUntil = 0;
  private enquire: NodeJS.Timeout | null = null;
  private closed = false;
  /** Answers awaited on the current session, failed all at once when it drops. */
  private pending = new Set<(err: Error) => void>();

  constructor(readonly options: Options, private readonly handlers: LinkHandlers, private readonly log: { warn(o: object, m: string): void }) {}

  /** A bound session, connecting when there is none (not sooner than the backoff allows). */
  private bound(): Promise<Session> {
    if (this.session) return Promise.resolve(this.session);
    if (this.binding) return this.binding;
    if (this.closed) return Promise.reject(new NotConnected('the SMPP link is closed'));
    const wait = this.retryAt - Date.now();
    if (wait > 0) return Promise.reject(new NotConnected(`the SMSC could not be reached; next try in ${Math.ceil(wait / 1000)} s`));
    this.binding = this.bind().then((s) => {
      this.failures = 0;
      this.session = s;
      return s;
    }, (err: Error) => {
      this.failures++;
      this.retryAt = Date.now() + Math.min(1000 * 2 ** (this.failures - 1), RECONNECT_MAX_MS);
      throw err;
    }).finally(() => { this.binding = null; });
    return this.binding;
  }

  private bind(): Promise<Session> {
    const o = this.options;
    return new Promise<Session>((resolve, reject) => {
      const session = smpp.connect({ host: o.host, port: o.port });
      let settled = false;
      const fail = (err: Error) => {
        if (!settled) { settled = true; reject(err); }
        session.destroy();
      };
      const timer = setTimeout(() => fail(new NotConnected(`the SMSC ${o.host}:${o.port} did not answer the bind within ${o.timeoutSeconds} s`)), o.timeoutSeconds * 1000);
      session.on('error', (err: Error) => {
        clearTimeout(timer);
        fail(new NotConnected(`the SMSC ${o.host}:${o.port} cannot be reached: ${err.message}`));
        this.dropped(session, err);
      });
      session.on('close', () => { clearTimeout(timer); fail(new NotConnected('the SMSC closed the connection during the bind')); this.dropped(session, new NotConnected('the SMSC closed the connection')); });
      session.on('connect', () => {
        session.bind_transceiver({ system_id: o.systemId, password: o.password, system_type: o.systemType, interface_version: 0x34 }, (pdu) => {
          clearTimeout(timer);
          if (pdu.command_status !== 0) {
            const why = LOGIN_REFUSED.has(pdu.command_status) ? 'refused the login (system id, password or system type): check the sms settings' : 'refused the bind';
            return fail(new NotConnected(`the SMSC ${why} (${statusName(pdu.command_status)})`));
          }
          settled = true;
          this.listen(session);
          resolve(session);
        });
      });
    });
  }

  private listen(session: Session): void {
    session.on('deliver_sm', (pdu: PDU) => { void this.delivered(session, pdu); });
    session.on('enquire_link', (pdu: PDU) => { session.send(pdu.response()); });
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    this.enquire = setInterval(() => session.enquire_link(), ENQUIRE_EVERY_MS);
    this.enquire.unref();
  }

  private dropped(session: Session, err: Error): void {
    if (this.session !== session) return;
    this.session = null;
    if (this.enquire) clearInterval(this.enquire);
    this.enquire = null;
    for (const fail of this.pending) fail(err);
    this.pending.clear();
  }

  /** A receipt or a phone's message: on record first, then answered (an SMSC sends again what it has no answer for). */
  private async delivered(session: Session, pdu: PDU): Promise<void> {
    const text = typeof pdu.short_message === 'object' && pdu.short_message !== null && 'message' in pdu.short_message
      ? String(pdu.short_message.message) : Buffer.isBuffer(pdu.short_message) ? pdu.short_message.toString('latin1') : String(pdu.short_message ?? '');
    try {
      if ((pdu.esm_class & 0x3c) === 0x04) {
        const report = readReceipt(text, pdu.receipted_message_id, pdu.message_state);
        if (report) await this.handlers.report(report);
      } else {
        await this.handlers.incoming(String(pdu.source_addr ?? ''), text);
      }
      session.send(pdu.response());
    } catch (err) {
      this.log.warn({ err }, 'an SMPP receipt could not be recorded; the SMSC will send it again');
      session.send(pdu.response({ command_status: smpp.errors.ESME_RSYSERR }));
    }
  }

  private async slot(): Promise<void> {
    while (this.inflight >= this.options.window) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inflight++;
  }

  private release(): void {
    this.inflight--;
    this.waiting.shift()?.();
  }

  /** One submit_sm and its answer; rejects with NotConnected (nothing sent) or NoAnswer when the session drops or nothing answers in time. */
  private async submit(fields: Record<string, unknown>): Promise<PDU> {
    const session = await this.bound();
    await this.slot();
    try {
      const pause = this.pauseUntil - Date.now();
      if (pause > 0) await new Promise((r) => setTimeout(r, pause));
      return await new Promise<PDU>((resolve, reject) => {
        const timer = setTimeout(() => { this.pending.delete(fail); reject(new NoAnswer(`no answer to the submit within ${this.options.timeoutSeconds} s`)); }, this.options.timeoutSeconds * 1000);
        const fail = (err: Error) => { clearTimeout(timer); reject(new NoAnswer(err.message)); };
        this.pending.add(fail);
        const written = session.submit_sm(fields, (pdu) => { clearTimeout(timer); this.pending.delete(fail); resolve(pdu); });
        if (!written) { clearTimeout(timer); this.pending.delete(fail); reject(new NotWritten('the SMSC connection is not writable')); }
      });
    } finally {
      this.release();
    }
  }

  /** Binds now if it is not bound (receipts are awaited); a failure waits for the next try. */
  keepBound(): void {
    this.bound().catch((err: Error) => this.log.warn({ err: err.message }, 'the SMSC session could not be bound'));
  }

  async send(messages: Outgoing[]): Promise<Outcome[]> {
    return Promise.all(messages.map((m) => this.sendOne(m)));
  }

  private async sendOne(m: Outgoing): Promise<Outcome> {
    const parts = splitParts(m.text);
    const ref = randomInt(256);
    const ids: string[] = [];
    const source = this.options.sourceAddr;
    const numeric = /^\+?[0-9]{1,20}$/.test(source);
    for (let i = 0; i < parts.length; i++) {
      const bytes = m.encoding === 'gsm7' ? encodeGsm7(parts[i]) : encodeUcs2(parts[i]);
      const fields = {
        service_type: '',
        source_addr_ton: numeric ? (source.startsWith('+') ? 1 : 0) : 5, source_addr_npi: numeric ? 1 : 0, source_addr: source.replace(/^\+/, ''),
        dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: m.phone.replace(/^\+/, ''),
        esm_class: parts.length > 1 ? 0x40 : 0, registered_delivery: 1, data_coding: m.encoding === 'gsm7' ? 0 : 8,
        short_message: parts.length > 1 ? Buffer.concat([udh(ref, parts.length, i + 1), bytes]) : bytes,
      };
      const sentBefore = ids.length > 0;
      let throttled = 0;
      let pause = THROTTLE_FIRST_MS;
      for (;;) {
        let answer: PDU;
        try {
          answer = await this.submit(fields);
        } catch (err) {
          if (err instanceof NotWritten || err instanceof NotConnected) {
            return sentBefore ? { kind: 'unknown', message: `part ${i + 1} of ${parts.length} could not be handed over after the first went: ${(err as Error).message}` } : { kind: 'retry', message: (err as Error).message };
          }
          return { kind: 'unknown', message: `the SMSC did not answer part ${i + 1} of ${parts.length}: ${(err as Error).message}` };
        }
        if (answer.command_status === 0) { ids.push(String(answer.message_id)); break; }
        if (THROTTLED.has(answer.command_status) && throttled < THROTTLE_GIVE_UP_MS) {
          this.pauseUntil = Math.max(this.pauseUntil, Date.now() + pause);
          throttled += pause;
          pause = Math.min(pause * 2, THROTTLE_MAX_MS);
          continue;
        }
        const status = statusName(answer.command_status);
        if (THROTTLED.has(answer.command_status)) {
          return sentBefore ? { kind: 'unknown', message: `the SMSC kept refusing part ${i + 1} as too fast (${status})` } : { kind: 'retry', message: `the SMSC kept answering ${status}: sent later` };
        }
        return { kind: 'refused', code: `smpp_${status}`, message: `the SMSC refused ${parts.length > 1 ? `part ${i + 1} of ${parts.length}` : 'the message'}: ${status}${sentBefore ? ' (the parts before it went)' : ''}` };
      }
    }
    return { kind: 'submitted', providerId: ids.join(' ') };
  }

  close(): void {
    this.closed = true;
    const s = this.session;
    if (s) this.dropped(s, new NoAnswer('the SMPP link is closing'));
    if (s) {
      s.unbind();
      setTimeout(() => s.destroy(), 500).unref();
    }
  }
}

class NotWritten extends Error {}

/**
 * A delivery receipt's text (SMPP 3.4 Appendix B: `id:… sub:… dlvrd:… submit date:… done date:…
 * stat:DELIVRD err:… text:…`), with the TLVs receipted_message_id and message_state when present.
 */
export function readReceipt(text: string, receiptedId?: unknown, messageState?: unknown): Report | null {
  const fields = new Map<string, string>();
  for (const key of ['id', 'stat', 'err', 'done date']) {
    const at = text.indexOf(`${key}:`);
    if (at < 0) continue;
    const start = at + key.length + 1;
    let end = start;
    while (end < text.length && text[end] !== ' ') end++;
    fields.set(key, text.slice(start, end));
  }
  const id = typeof receiptedId === 'string' && receiptedId ? receiptedId : fields.get('id');
  if (!id) return null;
  const STATES: Record<number, string> = { 2: 'DELIVRD', 3: 'EXPIRED', 4: 'DELETED', 5: 'UNDELIV', 6: 'ACCEPTD', 7: 'UNKNOWN', 8: 'REJECTD' };
  const stat = (typeof messageState === 'number' ? STATES[messageState] : undefined) ?? (fields.get('stat') ?? '').toUpperCase();
  const err = fields.get('err') ?? '000';
  const state = stat === 'DELIVRD' ? 'delivered' : stat === 'EXPIRED' ? 'expired' : ['UNDELIV', 'REJECTD', 'DELETED', 'UNKNOWN'].includes(stat) ? 'failed' : null;
  if (!state) return null; // ACCEPTD, ENROUTE: not an end
  const words: Record<string, string> = {
    DELIVRD: 'delivered to the phone', EXPIRED: 'not delivered before its validity ended (the phone was off or out of reach)',
    UNDELIV: 'undeliverable', REJECTD: 'rejected by the network', DELETED: 'deleted by the SMSC', UNKNOWN: 'in an unknown state at the SMSC',
  };
  return { providerId: id, state, code: stat.toLowerCase(), message: `${words[stat]}${state === 'delivered' ? '' : ` (SMSC error ${err})`}`, at: new Date() };
}

/** The links of this process, one per tenant and SMSC login. */
export class SmppLinks {
  private links = new Map<string, { key: string; link: SmppLink }>();

  constructor(private readonly handlers: (tenantId: string) => LinkHandlers, private readonly log: { warn(o: object, m: string): void }) {}

  for(tenantId: string, options: Options): SmppLink {
    const key = JSON.stringify(options);
    const found = this.links.get(tenantId);
    if (found?.key === key) return found.link;
    found?.link.close();
    const link = new SmppLink(options, this.handlers(tenantId), this.log);
    this.links.set(tenantId, { key, link });
    return link;
  }

  closeAll(): void {
    for (const { link } of this.links.values()) link.close();
    this.links.clear();
  }
}
