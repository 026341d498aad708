/**
 * eSMS, SpeedSMS, Zalo ZNS and a generic gateway on 127.0.0.1, answering as their documentation
 * says (providers-api.md): they check what they must (keys, Basic auth, the access_token header),
 * keep every request, and answer what a test asks for next.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Call { path: string; headers: http.IncomingHttpHeaders; body: any }

export interface Gateways {
  url: string;
  calls: Call[];
  /** The next answers to requests on `path` (status, JSON body), in order; afterwards the documented success. */
  answer(path: string, ...answers: Array<{ status?: number; body: unknown } | 'hang'>): void;
  close(): Promise<void>;
}

export async function startGateways(): Promise<Gateways> {
  const calls: Call[] = [];
  const queued = new Map<string, Array<{ status?: number; body: unknown } | 'hang'>>();
  let n = 0;
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      let body: any = null;
      try { body = JSON.parse(raw); } catch { body = raw; }
      calls.push({ path, headers: req.headers, body });
      const send = (status: number, json: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(json)); };
      const next = queued.get(path)?.shift();
      if (next === 'hang') { hanging.push(res); return; }
      if (next) return send(next.status ?? 200, next.body);
      n++;
      if (path === '/esms/SendMultipleMessage_V4_post_json/') {
        if (body.ApiKey !== 'esms-key' || body.SecretKey !== 'esms-secret') return send(200, { CodeResult: '101', ErrorMessage: 'Authorize Failed' });
        return send(200, { CodeResult: '100', CountRegenerate: 0, SMSID: `esms-${n}` });
      }
      if (path === '/speedsms/sms/send') {
        if (req.headers.authorization !== `Basic ${Buffer.from('speed-token:x').toString('base64')}`) { res.writeHead(401); return res.end('Unauthorized'); }
        return send(200, { status: 'success', code: '00', data: { tranId: 90000 + n, totalSMS: 1, totalPrice: 250, invalidPhone: [] } });
      }
      if (path === '/zalo/message/template') {
        if (req.headers.access_token !== 'zalo-token') return send(200, { error: -124, message: 'Access token is invalid' });
        // A number ending in 8 has no Zalo account.
        if (String(body.phone).endsWith('8')) return send(200, { error: -118, message: 'Zalo account not existed' });
        return send(200, { error: 0, message: 'Success', data: { msg_id: `zns-${n}`, sent_time: String(Date.now()), quota: { dailyQuota: '500', remainingQuota: '499' } } });
      }
      if (path === '/http/send') return send(202, { data: { id: `gw-${n}` } });
      send(404, { error: 'no such path' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, calls,
    answer: (path, ...answers) => { queued.set(path, [...(queued.get(path) ?? []), ...answers]); },
    close: () => new Promise<void>((resolve) => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
