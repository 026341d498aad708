/**
 * Docsaway, over its REST API as documented (a local server that checks every field by the name
 * the API gives it): the price is asked before the letter goes, the reference and price are kept;
 * an error answer refuses the letter in words; an answer lost after Docsaway took the letter, or a
 * server stopped while handing it over, is settled by asking the account — the letter exists once.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { HANOI, customer, drain, letterActions, letters, ok, owes, postalApp, run, setPostal } from './helpers.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { docsawayServer, type DocsawayBox } from './servers.js';

/** Delivers outbox events one by one until `done` (at most 50). */
async function deliverUntil(h: TestApp, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50 && !(await done()); i++) if (!(await h.app.congno.relay.deliverOne())) break;
}

/**
 * Runs `work` while Docsaway's account cannot be asked once a letter was mailed (as for a server
 * that stops mid-call); `mailed()` says whether a mail.json went out.
 */
async function accountDownAfterMail(work: (mailed: () => boolean) => Promise<void>): Promise<void> {
  const origFetch = globalThis.fetch;
  let mailSeen = false;
  globalThis.fetch = (async (input: any, init?: any) => {
    const url = String(input);
    if (mailSeen && url.endsWith('/account.json')) throw new TypeError('fetch failed');
    if (url.endsWith('/mail.json')) mailSeen = true;
    return origFetch(input, init);
  }) as typeof fetch;
  try {
    await work(() => mailSeen);
  } finally {
    globalThis.fetch = origFetch;
  }
}

const RELAY = { config: { relay: { enabled: true, pollMs: 50, workers: 1, backoffMs: 0 } } as never };

async function setUp(t: { teardown(fn: () => unknown): void }, box: DocsawayBox) {
  const h = await postalApp(t, { provider: 'docsaway', docsaway: { url: box.url, email: 'ketoan@acme.vn', apiKey: 'khoa-cai-dat', mode: 'TEST' } }, RELAY);
  return h;
}

t.test('a letter goes to Docsaway priced first, with the fields its API names; reference and price are kept', async (t) => {
  const box = await docsawayServer(t);
  const h = await setUp(t, box);
  t.equal(ok(await h.request('GET', `/api/admin/tenants/${h.tenant.slug}/modules/postal`, undefined, { token: h.adminToken })).settings.docsaway.apiKey, '***', 'the key is masked');
  t.match(ok(await h.request('GET', '/api/postal/account')), { balance: '100.00', currency: 'AUD', mode: 'TEST' });
  box.requests.length = 0;
  await customer(h, 'SG', { name: 'Lion City Trading Pte Ltd', lang: 'en', address: { street: '10 Anson Road #12-01', district: 'Singapore', postalCode: '079903', country: 'Singapore' } });
  await owes(h, 'SG', '3000000', '2026-11-02');
  await run(h, '2026-11-02');
  await drain(h);

  const [letter] = await letters(h);
  t.match(letter, { state: 'submitted', provider: 'docsaway', reference: 'DA-000001', currency: 'AUD' });
  t.equal(letter.price, (0.45 * (letter.pages + 1)).toFixed(2), 'the price Docsaway charged: the letter and its cover sheet');
  t.same(box.requests.map((r) => r.call), ['account', 'station_finder', 'pricing', 'mail'], 'balance, station, price, then the letter');
  const [account, station, pricing, mail] = box.requests.map((r) => r.body);
  t.same(account!.APIConnection, { email: 'ketoan@acme.vn', key: 'khoa-cai-dat' });
  t.match(account, { balance: true, volume: true });
  t.match(station, { action: 'getStationAuto', destination: 'SG', ink: 'BW', paper: 80, StationID: 'AUTO' });
  t.match(pricing, { stationID: 'ST-SG', courierID: 'C-1', zone: 3, pageCount: letter.pages + 1, ink: 'BW', paper: 80, currency: 'AUD' });
  t.match(mail, { APIMode: 'TEST', PrintingStation: { id: 'ST-SG', courierID: 'C-1', ink: 'BW', paper: 80 } });
  t.same(mail!.Recipient, { name: 'Lion City Trading Pte Ltd', address1: '10 Anson Road #12-01', city: 'Singapore', zip: '079903', country: 'SG' });
  t.equal(createHash('sha256').update(box.mailed[0]!.pdf).digest('hex'), letter.sha256, 'the PDF Docsaway got is the letter kept');
  const [action] = await letterActions(h);
  t.match(action, { state: 'sent', result: /accepted by Docsaway \(TEST\), reference DA-000001, price/ });
  t.match(ok(await h.request('GET', '/api/postal/costs')).items, [{ month: '2026-11', provider: 'docsaway', letters: 1, pages: letter.pages, price: letter.price, currency: 'AUD' }]);
  await drain(h);
  t.equal(box.mailed.length, 1, 'once');
});

t.test('an error answer refuses the letter in words; a low balance waits; wrong credentials say so', async (t) => {
  const box = await docsawayServer(t);
  const h = await setUp(t, box);
  await customer(h, 'A', { address: HANOI });
  await owes(h, 'A', '1000000', '2026-11-02');
  box.failNextMail = '202';
  await run(h, '2026-11-02');
  await drain(h);
  t.match((await letters(h))[0], { state: 'cancelled', result: /refused by Docsaway: error 202 \(recipient address rejected\)/ });
  t.match((await letterActions(h))[0], { state: 'rejected', result: /refused by Docsaway: error 202/ });
  t.equal(box.mailed.length, 0);

  await customer(h, 'B', { address: HANOI });
  await owes(h, 'B', '1000000', '2026-11-03');
  box.balance = '0.10';
  await run(h, '2026-11-03');
  await deliverUntil(h, async () => /balance/.test((await letters(h, '&partner=B'))[0]?.result ?? ''));
  const b = (await letters(h, '&partner=B'))[0];
  t.match(b, { state: 'queued', result: /Docsaway balance 0\.10 AUD is below the letter's price/ });
  box.balance = '50.00';
  await drain(h);
  t.match((await letters(h, '&partner=B'))[0], { state: 'submitted', reference: 'DA-000001' });

  await setPostal(h, { docsaway: { apiKey: 'sai' } });
  const res = await h.request('GET', '/api/postal/account');
  t.equal(res.statusCode, 502);
  t.match(res.json(), { detail: /error 101: authentication failed/ });
});

t.test('an answer lost after Docsaway took the letter: settled by the account, never sent twice', async (t) => {
  const box = await docsawayServer(t);
  const h = await setUp(t, box);
  await customer(h, 'A', { address: HANOI });
  await customer(h, 'B', { address: { ...HANOI, street: '1 Hàng Bài' } });
  await customer(h, 'C', { address: { ...HANOI, street: '2 Hàng Khay' } });
  await owes(h, 'A', '1000000', '2026-11-02');

  // 1. The connection breaks after Docsaway accepted: the account's volume shows it arrived.
  box.loseNextAnswer = true;
  await run(h, '2026-11-02');
  await drain(h);
  t.match((await letters(h, '&partner=A'))[0], { state: 'submitted', reference: null, result: /its answer was lost .* the account's volume shows the letter arrived/ });
  t.equal(box.mailed.length, 1);

  // 2. The answer is lost and the account cannot be asked either (as after a crash mid-call): the
  //    letter stays "sending"; the next attempt asks the account first and does not send it again.
  await owes(h, 'B', '1000000', '2026-11-03');
  box.loseNextAnswer = true;
  await run(h, '2026-11-03');
  await deliverUntil(h, async () => (await letters(h, '&partner=B')).length > 0);
  await accountDownAfterMail((mailed) => deliverUntil(h, async () => mailed()));
  t.match((await letters(h, '&partner=B'))[0], { state: 'queued', result: /retrying/ });
  t.equal(box.mailed.length, 2, 'Docsaway has it');
  await drain(h);
  t.match((await letters(h, '&partner=B'))[0], { state: 'submitted', result: /answer was lost/ });
  t.equal(box.mailed.length, 2, 'not sent again');

  // 3. Docsaway failed before taking it (HTTP 500): the account did not grow, so it is sent again, once.
  await owes(h, 'C', '1000000', '2026-11-04');
  box.failNextMailHttp = true;
  await run(h, '2026-11-04');
  await drain(h);
  t.match((await letters(h, '&partner=C'))[0], { state: 'submitted', reference: 'DA-000003' });
  t.equal(box.mailed.length, 3);
  t.same(box.mailed.map((m) => m.recipient.address1), ['25 Tràng Tiền', '1 Hàng Bài', '2 Hàng Khay'], 'each letter exactly once');
});

t.test('an answer lost while the account was used elsewhere: uncertain, never resent blindly; a clerk resends it', async (t) => {
  const box = await docsawayServer(t);
  const h = await setUp(t, box);
  await customer(h, 'A', { address: HANOI });
  await customer(h, 'B', { address: { ...HANOI, street: '1 Hàng Bài' } });
  await owes(h, 'A', '1000000', '2026-11-02');
  await owes(h, 'B', '1000000', '2026-11-02');
  // Docsaway drops its answer and cannot be asked; meanwhile someone posts a letter from Docsaway's website.
  box.loseNextAnswer = true;
  await accountDownAfterMail(async (mailed) => {
    await run(h, '2026-11-02');
    await deliverUntil(h, async () => mailed());
  });
  box.mailed.push({ reference: 'WEB-1', recipient: { address1: 'elsewhere' }, pdf: Buffer.from('%PDF-'), mode: 'LIVE' });
  await drain(h);
  const all = await letters(h);
  const uncertain = all.find((l: any) => l.state === 'uncertain');
  t.ok(uncertain, 'the letter whose answer was lost is uncertain');
  t.match(uncertain.result, /whether Docsaway has this letter is unknown/);
  t.equal(all.filter((l: any) => l.state === 'submitted').length, 1, 'the other letter went');
  const sentTo = box.mailed.filter((m) => m.recipient.address1 !== 'elsewhere').length;
  t.equal(sentTo, 2, 'Docsaway has both (the uncertain one was not sent again)');
  t.match((await letterActions(h)).find((a: any) => a.state === 'uncertain'), { result: /check Docsaway's account/ });

  t.equal((await h.request('POST', `/api/postal/letters/${all.find((l: any) => l.state === 'submitted').id}/resend`, {})).statusCode, 409, 'only an uncertain letter is resent');
  // The clerk looks in Docsaway's account, does not find it, and sends it again.
  t.match(ok(await h.request('POST', `/api/postal/letters/${uncertain.id}/resend`, {})), { state: 'queued' });
  await drain(h);
  t.match(ok(await h.request('GET', `/api/postal/letters/${uncertain.id}`)), { state: 'submitted', reference: 'DA-000004' });
  t.equal(box.mailed.length, 4, 'sent again because the clerk said so, once');
});

t.test('a letter whose reminder is cancelled before it reaches Docsaway does not go', async (t) => {
  const box = await docsawayServer(t);
  const h = await setUp(t, box);
  await customer(h, 'A', { address: HANOI });
  await owes(h, 'A', '1000000', '2026-11-02');
  await run(h, '2026-11-02');
  await deliverUntil(h, async () => (await letters(h)).length > 0);
  const [letter] = await letters(h);
  t.equal(letter.state, 'queued');
  ok(await h.request('POST', `/api/postal/letters/${letter.id}/cancel`, { reason: 'khách đã thanh toán' }));
  await drain(h);
  t.match((await letters(h))[0], { state: 'cancelled' });
  t.match((await letterActions(h))[0], { state: 'cancelled', result: /letter cancelled by a clerk: khách đã thanh toán/ });
  t.equal(box.requests.filter((r) => r.call === 'mail').length, 0, 'nothing reached Docsaway');
  t.equal((await h.request('POST', `/api/postal/letters/${letter.id}/returned`, { reason: 'x' })).statusCode, 409, 'a letter that never left cannot come back');
});
