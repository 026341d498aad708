import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

interface Teardown { teardown(fn: () => unknown): void }

export interface Mailbox {
  port: number;
  messages: Array<{ from: string; to: string[]; raw: Buffer; mail: ParsedMail }>;
  reject: Set<string>;
  /** Recipients answered 451 (try again later). */
  defer: Set<string>;
  /** Connections opened to this server, and of those, still open. */
  connections: number;
  open: number;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 (random port) that keeps what it receives; recipients in `reject` get a 550, in `defer` a 451. */
export async function smtpServer(t: Teardown): Promise<Mailbox> {
  const box: Mailbox = { port: 0, messages: [], reject: new Set(), defer: new Set(), connections: 0, open: 0, close: async () => {} };
  const server = new SMTPServer({
    secure: false, authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    // The server's pooled connections stay open between emails: closing ends them, as a mail server does.
    closeTimeout: 100,
    onConnect(_session, callback) { box.connections++; box.open++; callback(); },
    onClose() { box.open--; },
    onRcptTo(address, _session, callback) {
      if (box.reject.has(address.address)) {
        const err = new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown in virtual mailbox table`) as Error & { responseCode: number };
        err.responseCode = 550;
        return callback(err);
      }
      if (box.defer.has(address.address)) {
        const err = new Error(`4.2.1 <${address.address}>: Mailbox busy, try again later`) as Error & { responseCode: number };
        err.responseCode = 451;
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((mail) => {
          box.messages.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, mail });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  box.port = (server.server.address() as { port: number }).port;
  box.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  t.teardown(() => box.close());
  return box;
}

