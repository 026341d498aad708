/**
 * The outside systems the postal module talks to, real protocols on 127.0.0.1: an SFTP server
 * (the ssh2 package's server side, files kept in memory) and an HTTP server that answers
 * Docsaway's four JSON calls as its API describes them, checking every request field by the
 * name the API gives it.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';

const { Server, utils } = ssh2;
const { OPEN_MODE, STATUS_CODE } = utils.sftp;

interface Teardown { teardown(fn: () => unknown): void }

export interface SftpBox {
  port: number;
  /** SHA256:… of the server's host key. */
  hostKey: string;
  /** Complete files by path (a file appears when it is closed); empty buffers when the server keeps only digests. */
  files: Map<string, Buffer>;
  /** Size and SHA-256 of every complete file. */
  digests: Map<string, { bytes: number; sha256: string }>;
  /** Every path written, in order (parts included). */
  writes: string[];
  /** Refuse logins while true. */
  refuse: boolean;
}

/** `keep: false`: only sizes and digests are kept (a benchmark's large batches). */
export async function sftpServer(t: Teardown, user = 'congno', password = 'mat-khau-sftp', keep = true): Promise<SftpBox> {
  const keys = utils.generateKeyPairSync('ed25519');
  const parsed = utils.parseKey(keys.public);
  const pub = (Array.isArray(parsed) ? parsed[0] : parsed) as { getPublicSSH(): Buffer };
  const box: SftpBox = { port: 0, hostKey: `SHA256:${createHash('sha256').update(pub.getPublicSSH()).digest('base64').replace(/=+$/, '')}`, files: new Map(), digests: new Map(), writes: [], refuse: false };
  const server = new Server({ hostKeys: [keys.private] }, (client: Connection) => {
    client.on('authentication', (ctx) => {
      if (!box.refuse && ctx.method === 'password' && ctx.username === user && ctx.password === password) ctx.accept();
      else ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          const open = new Map<number, { path: string; chunks: Buffer[]; hash: ReturnType<typeof createHash>; bytes: number }>();
          let next = 0;
          sftp.on('OPEN', (reqid, filename, flags) => {
            if (!(flags & OPEN_MODE.WRITE)) return sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED);
            const h = next++;
            const handle = Buffer.alloc(4);
            handle.writeUInt32BE(h);
            open.set(h, { path: filename, chunks: [], hash: createHash('sha256'), bytes: 0 });
            box.writes.push(filename);
            sftp.handle(reqid, handle);
          });
          sftp.on('WRITE', (reqid, handle, offset, data) => {
            const f = open.get(handle.readUInt32BE());
            if (!f) return sftp.status(reqid, STATUS_CODE.FAILURE);
            f.hash.update(data);
            f.bytes += data.length;
            if (keep) f.chunks.push(Buffer.from(data));
            sftp.status(reqid, STATUS_CODE.OK);
          });
          sftp.on('CLOSE', (reqid, handle) => {
            const h = handle.readUInt32BE();
            const f = open.get(h);
            if (!f) return sftp.status(reqid, STATUS_CODE.FAILURE);
            open.delete(h);
            box.files.set(f.path, Buffer.concat(f.chunks));
            box.digests.set(f.path, { bytes: f.bytes, sha256: f.hash.digest('hex') });
            sftp.status(reqid, STATUS_CODE.OK);
          });
          sftp.on('REMOVE', (reqid, path) => { box.digests.delete(path); sftp.status(reqid, box.files.delete(path) ? STATUS_CODE.OK : STATUS_CODE.NO_SUCH_FILE); });
          sftp.on('RENAME', (reqid, from, to) => {
            const data = box.files.get(from);
            if (!data || box.files.has(to)) return sftp.status(reqid, STATUS_CODE.FAILURE);
            box.files.delete(from);
            box.files.set(to, data);
            box.digests.set(to, box.digests.get(from)!);
            box.digests.delete(from);
            sftp.status(reqid, STATUS_CODE.OK);
          });
        });
      });
    });
    client.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  box.port = (server.address() as AddressInfo).port;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return box;
}

export interface DocsawayRequest { call: string; body: Record<string, any> }

export interface DocsawayBox {
  url: string;
  requests: DocsawayRequest[];
  /** Letters the account has printed (mail.json in LIVE or TEST). */
  mailed: Array<{ reference: string; recipient: Record<string, string>; pdf: Buffer; mode: string }>;
  balance: string;
  /** The next mail.json answers this error number instead. */
  failNextMail: string | null;
  /** The next mail.json is accepted and then its answer never comes (the connection is cut after this many ms). */
  loseNextAnswer: boolean;
  /** The next account.json answers HTTP 503. */
  failNextAccount: boolean;
  /** mail.json takes the letters and never answers (the caller is killed meanwhile). */
  holdMail: boolean;
  /** The next mail.json answers HTTP 500 and keeps nothing. */
  failNextMailHttp: boolean;
  /** A price per page in the account's currency, as the pricing call answers (two decimals). */
  pricePerPage: number;
}

const REQUIRED: Record<string, string[]> = {
  account: ['APIConnection', 'balance', 'volume'],
  station_finder: ['APIConnection', 'action', 'ink', 'paper', 'destination', 'StationID'],
  pricing: ['APIConnection', 'stationID', 'courierID', 'zone', 'pageCount', 'ink', 'paper', 'currency'],
  mail: ['APIConnection', 'APIMode', 'Recipient', 'PrintingStation', 'PDFFile'],
};

/** Docsaway as documented: POST <url>/<call>.json with a JSON body; every answer has APIErrorNumber (0: fine). */
export async function docsawayServer(t: Teardown, account = { email: 'ketoan@acme.vn', key: 'khoa-cai-dat' }): Promise<DocsawayBox> {
  const box: DocsawayBox = { url: '', requests: [], mailed: [], balance: '100.00', failNextMail: null, loseNextAnswer: false, failNextAccount: false, failNextMailHttp: false, holdMail: false, pricePerPage: 0.45 };
  const cents = (s: string) => Math.round(Number(s) * 100);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/app\/api\/rest\/(account|station_finder|pricing|mail)\.json$/.exec(req.url ?? '');
      const answer = (o: Record<string, unknown>) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ APIErrorNumber: 0, APIReport: '', ...o })); };
      const error = (n: number, report: string) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ APIErrorNumber: n, APIReport: report })); };
      if (req.method !== 'POST' || !m) { res.writeHead(404); res.end(); return; }
      let body: Record<string, any>;
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { error(1, 'not JSON'); return; }
      const call = m[1]!;
      box.requests.push({ call, body });
      for (const field of REQUIRED[call]!) if (!(field in body)) { error(2, `missing ${field}`); return; }
      if (body.APIConnection?.email !== account.email || body.APIConnection?.key !== account.key) { error(101, 'authentication failed'); return; }
      if (call === 'account' && box.failNextAccount) { box.failNextAccount = false; res.writeHead(503); res.end(); return; }
      if (call === 'mail' && box.failNextMailHttp) { box.failNextMailHttp = false; res.writeHead(500); res.end(); return; }
      if (call === 'account') { answer({ balance: Number(box.balance), volume: box.mailed.length, name: 'ACME', reference: 'ACC-1' }); return; }
      if (call === 'station_finder') {
        if (body.action !== 'getStationAuto' || !/^[A-Z]{2,3}$/.test(body.destination)) { error(301, 'bad destination'); return; }
        answer({ stationAuto: { stationID: `ST-${body.destination}`, courierID: 'C-1', zone: body.destination === 'AU' ? 2 : 3 } });
        return;
      }
      if (call === 'pricing') {
        const pages = Number(body.pageCount);
        if (!Number.isInteger(pages) || pages < 1 || pages > 40) { error(401, 'pageCount 1–40'); return; }
        res.writeHead(200, { 'content-type': 'application/json' });
        // Written as Docsaway does: a JSON number with two decimals.
        res.end(`{"APIErrorNumber":0,"APIReport":"","price":${(Math.round(box.pricePerPage * 100) * pages / 100).toFixed(2)}}`);
        return;
      }
      // mail
      const r = body.Recipient ?? {};
      for (const f of ['name', 'address1', 'city', 'zip', 'country']) if (typeof r[f] !== 'string') { error(201, `Recipient.${f} missing`); return; }
      for (const f of Object.keys(r)) if (String(r[f]).length > 50) { error(202, `Recipient.${f} over 50 characters`); return; }
      if (!['TEST', 'LIVE'].includes(body.APIMode)) { error(203, 'APIMode'); return; }
      if (!body.PrintingStation?.id || !body.PrintingStation?.ink) { error(204, 'PrintingStation'); return; }
      const pdf = Buffer.from(String(body.PDFFile), 'base64');
      if (pdf.subarray(0, 5).toString() !== '%PDF-') { error(205, 'PDFFile is not a PDF'); return; }
      if (box.failNextMail) { const n = Number(box.failNextMail); box.failNextMail = null; error(n, 'recipient address rejected'); return; }
      const reference = `DA-${String(box.mailed.length + 1).padStart(6, '0')}`;
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      // Docsaway adds its address cover sheet: one page more.
      const price = (Math.round(box.pricePerPage * 100) * (pages + 1) / 100).toFixed(2);
      box.mailed.push({ reference, recipient: r, pdf, mode: body.APIMode });
      box.balance = ((cents(box.balance) - cents(price)) / 100).toFixed(2);
      if (box.holdMail) return;
      if (box.loseNextAnswer) { box.loseNextAnswer = false; req.socket.destroy(); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"APIErrorNumber":0,"APIReport":"","document":{"envelope":"DL","ink":"${body.PrintingStation.ink}","paper":${body.PrintingStation.paper},"size":${pages}},"station":{"ID":"${body.PrintingStation.id}","ISO2":"AU"},"transaction":{"approved":"y","price":${price},"reference":"${reference}","date":"2026-12-06 10:00:00","balance":${box.balance}}}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  box.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app/api/rest`;
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return box;
}
