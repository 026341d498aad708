/**
 * An SMSC on 127.0.0.1, the `smpp` package's server side: binds transceivers (checking the
 * password), answers submits with its own message ids (or with the status a test asks for),
 * keeps what it received as the phone would see it, and sends delivery receipts.
 */
import smpp, { type PDU, type Session } from 'smpp';
import type { AddressInfo, Server } from 'node:net';

export interface Received {
  pdu: PDU; messageId: string; to: string; from: string; dataCoding: number; esmClass: number;
  /** The concatenation header (IEI 00: ref, total, index), when the part has one. */
  concat: { ref: number; total: number; index: number } | null;
  text: string;
}

export interface Smsc {
  port: number;
  received: Received[];
  binds: number;
  /** Answer the next n submits with this status (e.g. ESME_RTHROTTLED). */
  refuseNext(n: number, status: number): void;
  /** Take submits without answering them (an SMSC that hangs after receiving). */
  silent(on: boolean): void;
  /** A delivery receipt for a message id, on the session that submitted it; resolves with the client's answer status. */
  receipt(messageId: string, stat: 'DELIVRD' | 'UNDELIV' | 'EXPIRED' | 'REJECTD', err?: string): Promise<number>;
  /** A message from a phone (a reply). */
  reply(from: string, to: string, text: string): Promise<number>;
  /** The texts of each message as a phone shows it (parts joined by their header). */
  messages(): Array<{ to: string; text: string; parts: number; dataCoding: number }>;
  close(): Promise<void>;
}

export async function startSmsc(options: { systemId?: string; password?: string } = {}): Promise<Smsc> {
  const received: Received[] = [];
  const sessions = new Set<Session>();
  const bySubmitter = new Map<string, Session>();
  let refuse: { n: number; status: number } = { n: 0, status: 0 };
  let quiet = false;
  let counter = 0;
  const state = { binds: 0 };
  const server: Server = smpp.createServer({}, (session: Session) => {
    sessions.add(session);
    session.on('error', () => { /* the client went away */ });
    session.on('close', () => sessions.delete(session));
    session.on('bind_transceiver', (pdu: PDU) => {
      const ok = (options.systemId === undefined || pdu.system_id === options.systemId) && (options.password === undefined || pdu.password === options.password);
      session.send(pdu.response({ command_status: ok ? 0 : smpp.errors.ESME_RBINDFAIL, system_id: 'smsc' }));
      if (ok) state.binds++;
    });
    session.on('submit_sm', (pdu: PDU) => {
      if (refuse.n > 0 && !quiet) {
        refuse.n--;
        session.send(pdu.response({ command_status: refuse.status }));
        return;
      }
      const messageId = `m${(++counter).toString(16).padStart(6, '0')}`;
      const sm = pdu.short_message as { udh?: Buffer[]; message: string | Buffer };
      const header = sm.udh?.find((u) => u[0] === 0x00);
      received.push({
        pdu, messageId, to: String(pdu.destination_addr), from: String(pdu.source_addr), dataCoding: pdu.data_coding, esmClass: pdu.esm_class,
        concat: header ? { ref: header[2], total: header[3], index: header[4] } : null, text: String(sm.message),
      });
      bySubmitter.set(messageId, session);
      if (!quiet) session.send(pdu.response({ message_id: messageId }));
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => { session.send(pdu.response()); session.close(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const deliver = (session: Session, fields: Record<string, unknown>) => new Promise<number>((resolve) => {
    session.deliver_sm(fields, (resp: PDU) => resolve(resp.command_status));
  });
  return {
    port, received,
    get binds() { return state.binds; },
    refuseNext: (n, status) => { refuse = { n, status }; },
    silent: (on) => { quiet = on; },
    receipt: (messageId, stat, err = stat === 'DELIVRD' ? '000' : '001') => {
      const session = [...sessions].find((s) => s === bySubmitter.get(messageId)) ?? [...sessions][0];
      if (!session) throw new Error('no bound session to send the receipt on');
      const r = received.find((x) => x.messageId === messageId)!;
      return deliver(session, {
        source_addr: r.to, destination_addr: r.from, esm_class: 0x04, data_coding: 0,
        short_message: `id:${messageId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:2612060900 done date:2612060901 stat:${stat} err:${err} text:`,
      });
    },
    reply: (from, to, text) => {
      const session = [...sessions][0];
      if (!session) throw new Error('no bound session');
      return deliver(session, { source_addr: from, destination_addr: to, esm_class: 0, data_coding: 0, short_message: text });
    },
    messages: () => {
      const out: Array<{ to: string; text: string; parts: number; dataCoding: number }> = [];
      const groups = new Map<string, Received[]>();
      for (const r of received) {
        if (!r.concat) { out.push({ to: r.to, text: r.text, parts: 1, dataCoding: r.dataCoding }); continue; }
        const key = `${r.to}/${r.concat.ref}/${r.concat.total}`;
        groups.set(key, [...(groups.get(key) ?? []), r]);
        const g = groups.get(key)!;
        if (g.length === r.concat.total) {
          g.sort((a, b) => a.concat!.index - b.concat!.index);
          out.push({ to: r.to, text: g.map((p) => p.text).join(''), parts: g.length, dataCoding: r.dataCoding });
          groups.delete(key);
        }
      }
      return out;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sessions) s.destroy();
      server.close(() => resolve());
    }),
  };
}
