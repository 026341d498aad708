/**
 * Letters printed in the office (provider `print`): every letter action becomes one letter, an
 * unusable address is missing_contact in words, the day's batch is one PDF sorted by postcode
 * behind a cover sheet, a clerk marks it printed and posted, a returned letter blocks the address.
 */
import t from 'tap';
import { HANOI, customer, drain, letterActions, letters, ok, owes, pdfPages, postalApp, run } from './helpers.js';

t.test('letters per action, checked addresses, the print batch, posted, returned', async (t) => {
  const h = await postalApp(t, { provider: 'print', cutoff: '15:00' });
  await customer(h, 'HN', { address: HANOI });
  await customer(h, 'HCM', { name: 'Công ty Cổ phần Sài Gòn Xanh', address: { street: '8 Nguyễn Huệ', ward: 'Phường Sài Gòn', district: 'Quận 1', province: 'Thành phố Hồ Chí Minh', postalCode: '700000' } });
  await customer(h, 'NOWARD', { address: { street: '1 Trần Phú', province: 'Đà Nẵng' } });
  await customer(h, 'NOADDR', {});
  await customer(h, 'SH', { name: '上海星辰贸易有限公司', lang: 'zh', address: { street: '88 Nanjing Road', district: 'Shanghai', postalCode: '200001', country: 'CN' } });
  await customer(h, 'RY', { name: 'شركة الرياض للتجارة', lang: 'ar', address: { street: 'King Fahd Road 120', district: 'Riyadh', postalCode: '12211', country: 'SA' } });
  await customer(h, 'BADPC', { address: { street: '10 Orchard Road', district: 'Singapore', postalCode: 'ABC', country: 'SG' } });
  for (const ref of ['HN', 'HCM', 'NOWARD', 'NOADDR', 'SH', 'RY', 'BADPC']) await owes(h, ref, '1500000', '2026-11-02');

  await run(h, '2026-11-02');
  await drain(h);
  const actions = await letterActions(h);
  const byRef = new Map(actions.map((a: any) => [a.partner.ref, a]));
  t.equal(actions.length, 7, 'one letter action per partner on the due level');
  t.match(byRef.get('NOWARD'), { state: 'missing_contact', result: /address\.ward/ }, 'Vietnam needs the ward');
  t.match(byRef.get('NOADDR'), { state: 'missing_contact', result: /no postal address|address\.street/ });
  t.match(byRef.get('BADPC'), { state: 'missing_contact', result: /'ABC' is not a postcode of Singapore/ });
  for (const ref of ['HN', 'HCM', 'SH', 'RY']) t.match(byRef.get(ref), { state: 'pending', result: /queued for the batch of 15:00/ }, `${ref}: queued`);

  const queued = await letters(h);
  t.equal(queued.length, 4, 'a letter for each usable address, none for the others');
  t.ok(queued.every((l: any) => l.state === 'queued' && l.provider === 'print' && l.pages >= 1 && l.envelope === 'DL'));
  const zh = queued.find((l: any) => l.partner.ref === 'SH');
  t.same(zh.address.lines, ['上海星辰贸易有限公司', '88 Nanjing Road', 'Shanghai 200001', 'CHINA']);
  t.equal(zh.lang, 'zh');
  t.equal(queued.find((l: any) => l.partner.ref === 'RY').lang, 'ar');

  // Each letter reads in its language, the address in the window.
  const zhText = (await pdfPages((await h.request('GET', `/api/postal/letters/${zh.id}/pdf`)).rawPayload))[0]!;
  t.match(zhText, /上海星辰贸易有限公司/);
  t.match(zhText, /88 Nanjing Road/);
  t.match(zhText, /Shanghai\s+200001 CN/);
  const ar = queued.find((l: any) => l.partner.ref === 'RY');
  const arText = (await pdfPages((await h.request('GET', `/api/postal/letters/${ar.id}/pdf`)).rawPayload))[0]!;
  t.match(arText, /King Fahd Road 120/);
  t.match(arText, /12211/);

  // Running the outbox again changes nothing: one letter per action.
  await drain(h);
  t.equal((await letters(h)).length, 4);

  const made = await h.request('POST', '/api/postal/batches', { date: '2026-11-02' });
  t.equal(made.statusCode, 201);
  const batch = made.json();
  t.match(batch, { provider: 'print', date: '2026-11-02', state: 'ready', letters: 4, fileName: 'letters-2026-11-02.pdf' });
  t.equal((await h.request('POST', '/api/postal/batches', { date: '2026-11-02' })).statusCode, 200, 'asking again returns the same batch');
  t.ok((await letters(h)).every((l: any) => l.state === 'batched' && l.batch === batch.id));
  t.ok((await letterActions(h)).filter((a: any) => a.state === 'sent').every((a: any) => /print batch of 2026-11-02/.test(a.result)));

  const file = await h.request('GET', `/api/postal/batches/${batch.id}/file`);
  t.equal(file.headers['content-type'], 'application/pdf');
  const pages = await pdfPages(file.rawPayload);
  t.match(pages[0], /Thư nhắc nợ cần in và gửi/, 'the cover sheet, in the company\'s language');
  t.match(pages[0], /Số thư: 4/);
  t.match(pages[0], new RegExp(`Số trang: ${batch.pages}`));
  t.equal(pages.length, 1 + batch.pages, 'the cover, then every page of every letter');
  // Sorted by postcode: 100000 (Hà Nội), 12211 (Riyadh), 200001 (Shanghai), 700000 (HCM) as text.
  const firstPages = pages.slice(1).map((p, i) => ({ i, p })).filter(({ p }) => /25 Tràng Tiền|King Fahd|88 Nanjing|8 Nguyễn Huệ/.test(p));
  const order = firstPages.map(({ p }) => (/25 Tràng Tiền/.test(p) ? 'HN' : /King Fahd/.test(p) ? 'RY' : /88 Nanjing/.test(p) ? 'SH' : 'HCM'));
  t.same([...new Set(order)], ['HN', 'RY', 'SH', 'HCM'], 'letters in postcode order');
  const again = await h.request('GET', `/api/postal/batches/${batch.id}/file`);
  t.ok(Buffer.compare(file.rawPayload, again.rawPayload) === 0, 'the same bytes every time');

  ok(await h.request('POST', `/api/postal/batches/${batch.id}/printed`, {}));
  t.ok((await letters(h)).every((l: any) => l.state === 'printed'));
  t.match(ok(await h.request('POST', `/api/postal/batches/${batch.id}/posted`, {})), { state: 'posted' });
  t.ok((await letters(h)).every((l: any) => l.state === 'posted' && l.postedAt));

  const hcm = (await letters(h, '&partner=HCM'))[0];
  t.match(ok(await h.request('POST', `/api/postal/letters/${hcm.id}/delivered`, { date: '2026-11-05' })), { state: 'delivered', deliveredAt: '2026-11-05T12:00:00.000Z' });
  t.equal((await h.request('POST', `/api/postal/letters/${hcm.id}/delivered`, { date: '5/11/2026' })).statusCode, 200, 'already delivered: unchanged');

  // A letter comes back: the address is blocked, the partner's timeline says so, the next letter waits.
  const hn = (await letters(h, '&partner=HN'))[0];
  t.equal((await h.request('POST', `/api/postal/letters/${hn.id}/returned`, {})).statusCode, 400, 'a reason is needed');
  const returned = ok(await h.request('POST', `/api/postal/letters/${hn.id}/returned`, { reason: 'Người nhận đã chuyển đi', date: '2026-11-10' }));
  t.match(returned, { state: 'returned', returnReason: 'Người nhận đã chuyển đi' });
  const timeline = ok(await h.request('GET', `/api/follow-up/partners/${hn.partner.id}/timeline`));
  t.ok(timeline.notes.some((n: any) => /Letter returned \(Người nhận đã chuyển đi\)/.test(n.text)), 'on the follow-up timeline');
  t.ok(timeline.actions.some((a: any) => a.channel === 'letter' && /returned to sender/.test(a.result?.message ?? '')), 'and on the action');

  // A clerk sends the letter level again by hand: it waits for a corrected address.
  const final = ok<any[]>(await h.request('GET', '/api/follow-up/levels')).find((l) => l.delay === 60);
  const sent = await h.request('POST', '/api/follow-up/partners/HN/reminders', { level: final.id, force: true });
  if (sent.statusCode < 300) {
    await drain(h);
    const latest = (await letterActions(h)).filter((a: any) => a.partner.ref === 'HN').sort((a: any, b: any) => (a.createdAt < b.createdAt ? 1 : -1))[0];
    t.match(latest, { state: 'missing_contact', result: /came back on 2026-11-10/ }, 'the next letter waits for a corrected address');
    t.equal((await letters(h, '&partner=HN')).length, 1, 'no new letter to the same address');
  } else {
    t.fail(`manual send refused: ${sent.body}`);
  }
});
