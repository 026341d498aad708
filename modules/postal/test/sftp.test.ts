/**
 * A mail house taking batches by SFTP: at the cut-off the day's letters become one ZIP (one PDF
 * per letter, a CSV and a JSON manifest) uploaded to a real SFTP server on 127.0.0.1; the clerk
 * downloads the same bytes; uploading again writes the same bytes; a letter paid before the
 * cut-off is not in it.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { inflateEntry, readCentralDirectory } from '../../../core/zip.js';
import { withTenant } from '../../../core/db/kysely.js';
import { HANOI, customer, drain, letterActions, letters, ok, owes, pdfPages, postalApp, run, setPostal } from './helpers.js';
import { sftpServer } from './servers.js';

/** The archive's entries by name, read with the project's own ZIP reader. */
function unzip(zip: Buffer): Map<string, Buffer> {
  return new Map(readCentralDirectory(zip, 10_000).map((e) => [e.name, Buffer.from(inflateEntry(zip, e))]));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('the day\'s batch reaches the mail house by SFTP at the cut-off, once, the same bytes every time', async (t) => {
  const box = await sftpServer(t);
  const h = await postalApp(t, {
    provider: 'sftp-batch', cutoff: '15:00',
    sftp: { host: '127.0.0.1', port: box.port, username: 'congno', password: 'mat-khau-sftp', hostKey: box.hostKey, folder: '/inbox' },
  });
  t.equal(ok(await h.request('GET', `/api/admin/tenants/${h.tenant.slug}/modules/postal`, undefined, { token: h.adminToken })).settings.sftp.password, '***', 'the password is masked');
  await customer(h, 'HN', { address: HANOI });
  await customer(h, 'DN', { name: 'Công ty Đà Nẵng "Biển Xanh", chi nhánh 2', address: { street: '3 Bạch Đằng', ward: 'Phường Hải Châu', province: 'Thành phố Đà Nẵng', postalCode: '550000' } });
  await customer(h, 'PAID', { address: { street: '9 Lê Lợi', ward: 'Phường Bến Thành', province: 'Thành phố Hồ Chí Minh', postalCode: '700000' } });
  for (const ref of ['HN', 'DN', 'PAID']) await owes(h, ref, '2500000', '2026-11-02');
  await run(h, '2026-11-02');
  await drain(h);
  t.equal((await letters(h, '&state=queued')).length, 3);

  // PAID pays before the cut-off: nothing is owed, so its letter does not go.
  const invoice = ok<any>(await h.request('GET', '/api/ledger/invoices?partner=PAID')).items[0];
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'PAID', date: '2026-11-02', amount: '2500000', journal: 'cash', allocations: [{ invoice: invoice.id, amount: '2500000' }] }));

  // The clock before the cut-off does nothing; at 15:00 (Asia/Ho_Chi_Minh = 08:00 UTC) the batch is made and uploaded.
  const tick = (period: string) => withTenant(h.db, h.tenant.id, (trx) => h.app.congno.bus.emit(trx, h.tenant.id, 'postal.clock_ticked', { job: 'postal/clock', period, date: '2026-11-02' }, 'postal'));
  await tick('2026-11-02T07:45:00Z');
  await drain(h);
  t.same(ok(await h.request('GET', '/api/postal/batches')).items, [], 'no batch before the cut-off');
  await tick('2026-11-02T08:00:00Z');
  await drain(h);
  const [batch] = ok(await h.request('GET', '/api/postal/batches')).items;
  t.match(batch, { provider: 'sftp-batch', date: '2026-11-02', letters: 2, state: 'uploaded', fileName: 'letters-2026-11-02.zip', upload: { state: 'done', message: /uploaded to 127\.0\.0\.1:\/inbox\/letters-2026-11-02\.zip/ } });
  t.match((await letters(h, '&partner=PAID'))[0], { state: 'cancelled', result: /nothing is owed any more on 2026-11-02/ });
  t.match((await letterActions(h)).find((a: any) => a.partner.ref === 'PAID'), { state: 'cancelled', result: /paid since the letter was queued/ });
  t.same([...box.files.keys()], ['/inbox/letters-2026-11-02.zip'], 'written as .part, then renamed');
  t.same(box.writes, ['/inbox/letters-2026-11-02.zip.part']);

  const uploaded = box.files.get('/inbox/letters-2026-11-02.zip')!;
  t.equal(sha(uploaded), batch.sha256);
  const entries = unzip(uploaded);
  const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
  t.equal(manifest.letters, 2);
  t.same(manifest.items.map((i: any) => i.partner.ref), ['HN', 'DN'], 'postcode order: 100000 before 550000');
  for (const item of manifest.items) {
    const pdf = entries.get(item.file)!;
    t.ok(pdf, `${item.file} is in the ZIP`);
    t.equal(sha(pdf), item.sha256, 'the manifest\'s SHA-256 is the PDF\'s');
    t.equal(item.pages, (await pdfPages(pdf)).length);
    const first = (await pdfPages(pdf))[0]!;
    for (const line of item.address.lines.slice(1)) t.match(first, line, `the window shows "${line}"`);
    t.match(item, { country: 'VN', envelope: 'DL', sheets: item.pages });
  }
  const csv = entries.get('manifest.csv')!.toString('utf8');
  t.match(csv, /^\uFEFFsequence,letter_id,file,partner_ref,partner_name,address_line_1/);
  t.match(csv, /"Công ty Đà Nẵng ""Biển Xanh"", chi nhánh 2"/, 'quotes and commas survive');
  t.equal(csv.trimEnd().split('\r\n').length, 3);

  const download = await h.request('GET', `/api/postal/batches/${batch.id}/file`);
  t.equal(download.headers['content-type'], 'application/zip');
  t.ok(download.rawPayload.equals(uploaded), 'the clerk downloads the bytes the mail house got');

  // Uploaded again (a clerk asks, or a redelivery after a crash): the same file, once.
  t.equal((await h.request('POST', `/api/postal/batches/${batch.id}/upload`, {})).statusCode, 202);
  await drain(h);
  t.ok(box.files.get('/inbox/letters-2026-11-02.zip')!.equals(uploaded), 'the same bytes again');
  t.equal(box.files.size, 1);
  t.ok((await letters(h, '&state=batched')).length === 2);
  t.ok((await letterActions(h)).filter((a: any) => a.partner.ref !== 'PAID').every((a: any) => a.state === 'sent' && /batch of 2026-11-02/.test(a.result)));
});

t.test('an SFTP server that refuses the login is retried and told in words; a wrong host key is refused', async (t) => {
  const box = await sftpServer(t);
  const h = await postalApp(t, {
    provider: 'sftp-batch', sftp: { host: '127.0.0.1', port: box.port, username: 'congno', password: 'sai-mat-khau', folder: '/' },
  }, { config: { relay: { enabled: false, pollMs: 50, workers: 1, backoffMs: 0 } } as never });
  await customer(h, 'HN', { address: HANOI });
  await owes(h, 'HN', '2500000', '2026-11-02');
  await run(h, '2026-11-02');
  await drain(h);
  const batch = ok(await h.request('POST', '/api/postal/batches', { date: '2026-11-02' }));
  await h.app.congno.relay.deliverOne();
  await h.app.congno.relay.deliverOne();
  t.match(ok(await h.request('GET', `/api/postal/batches/${batch.id}`)), { state: 'ready', upload: { state: 'failed', message: /could not upload to 127\.0\.0\.1.*retrying/ } });
  t.equal(box.files.size, 0);

  await setPostal(h, { sftp: { password: 'mat-khau-sftp', hostKey: `SHA256:${'A'.repeat(43)}` } });
  ok(await h.request('POST', `/api/postal/batches/${batch.id}/upload`, {}));
  await drain(h);
  t.equal(box.files.size, 0, 'a server with another host key gets nothing');
  await setPostal(h, { sftp: { hostKey: box.hostKey } });
  ok(await h.request('POST', `/api/postal/batches/${batch.id}/upload`, {}));
  await drain(h);
  t.equal(box.files.size, 1);
  t.match(ok(await h.request('GET', `/api/postal/batches/${batch.id}`)), { state: 'uploaded', upload: { state: 'done' } });
});
