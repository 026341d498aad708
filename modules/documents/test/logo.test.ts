/**
 * The letterhead logo: uploaded as a PNG or JPEG file, checked (type, bytes, pixels, printable),
 * printed beside the company's name on every document, replaced and removed by the accountant.
 */
import t from 'tap';
import fs from 'node:fs';
import { PNG } from 'pngjs';
import { companySettings, documentsApp, invoice, ok, partner, pdfItems } from './helpers.js';

const MM = 72 / 25.4;
const JPEG = fs.readFileSync(new URL('./fixtures/logo.jpg', import.meta.url));

function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const mark = x > width / 10 && x < width / 3 && y > height / 4 && y < (3 * height) / 4;
      image.data.set(mark ? [255, 255, 255, 255] : [26, 127, 55, 255], i);
    }
  }
  return PNG.sync.write(image);
}

t.test('a PNG or JPEG logo is printed beside the company\'s name, proportions kept; the accountant replaces and removes it', async (t) => {
  const h = await documentsApp(t, ['documents']);
  await companySettings(h);
  await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  const { token } = await h.tokenFor('accountant');
  const upload = (body: Buffer, type: string, as = token) => h.request('PUT', '/api/documents/logo', body, { token: as, headers: { 'content-type': type } });
  const nameX = async () => {
    const { items } = await pdfItems((await h.request('GET', '/api/documents/partners/KH01/statement.pdf?asOf=2026-04-30&outstanding=true')).rawPayload);
    return items.find((i) => i.text.startsWith('Công ty TNHH Thương mại ACME') && i.page === 1 && i.y < 40 * MM)!.x;
  };
  const statement = async () => (await h.request('GET', '/api/documents/partners/KH01/statement.pdf?asOf=2026-04-30&outstanding=true')).rawPayload.toString('latin1');
  const bare = await nameX();
  t.notOk((await statement()).includes('/Subtype /Image'), 'no image without a logo');

  const wide = png(300, 100);
  const put = await upload(wide, 'image/png');
  t.equal(put.statusCode, 200, put.body);
  t.match(put.json(), { mediaType: 'image/png', width: 300, height: 100, bytes: wide.length });
  const got = await h.request('GET', '/api/documents/logo');
  t.equal(got.headers['content-type'], 'image/png');
  t.ok(got.rawPayload.equals(wide), 'the logo comes back as uploaded');
  const pdf = await statement();
  t.ok(pdf.includes('/Subtype /Image') && pdf.includes('/Width 300') && pdf.includes('/Height 100'), 'the statement carries the logo');
  t.ok(Math.abs((await nameX()) - bare - 44 * MM) < 1, 'a wide logo takes 40 mm (16 mm high would make it 48 mm) and the name starts 4 mm after it');

  t.equal((await upload(JPEG, 'image/jpeg')).statusCode, 200, 'a JPEG replaces it');
  t.match((await h.request('GET', '/api/documents/logo')).headers, { 'content-type': 'image/jpeg' });
  t.ok((await statement()).includes('/DCTDecode'), 'and is printed as JPEG');
  t.ok(Math.abs((await nameX()) - bare - 44 * MM) < 1, 'a 240 × 80 logo would be 48 mm wide at 16 mm high: it is capped at 40 mm');
  const html = await h.request('GET', '/api/documents/partners/KH01/statement.html?outstanding=true');
  t.ok(html.body.includes('<img class="logo" alt="" src="data:image/jpeg;base64,'), 'the HTML preview shows it too');

  const del = await h.request('DELETE', '/api/documents/logo', undefined, { token });
  t.equal(del.statusCode, 204);
  t.equal((await h.request('GET', '/api/documents/logo')).statusCode, 404);
  t.notOk((await statement()).includes('/Subtype /Image'), 'removed from the documents');
  t.equal((await h.request('DELETE', '/api/documents/logo', undefined, { token })).statusCode, 404);
  const audit = await h.db.selectFrom('core_audit').select('action').where('module', '=', 'documents').where('action', 'like', 'logo.%').orderBy('id').execute();
  t.same(audit.map((a) => a.action), ['logo.uploaded', 'logo.uploaded', 'logo.deleted']);
});

t.test('what is not a printable logo is refused, named, and the logo in place stays', async (t) => {
  const h = await documentsApp(t, ['documents']);
  const { token } = await h.tokenFor('accountant');
  const upload = (body: Buffer | string, type: string, as = token) => h.request('PUT', '/api/documents/logo', body, { token: as, headers: { 'content-type': type } });
  const good = png(120, 60);
  ok(await upload(good, 'image/png'));

  const huge = png(4000, 10);
  const truncated = good.subarray(0, 60);
  const oversized = Buffer.concat([good.subarray(0, 33), Buffer.alloc(210 * 1024)]);
  const cases: Array<[string, Buffer | string, string, number, RegExp]> = [
    ['a GIF', Buffer.from('GIF89a'), 'image/gif', 415, /content-type 'image\/gif'/],
    ['JSON', '{"logo":"x"}', 'application/json', 415, /body/],
    ['a JPEG sent as PNG', JPEG, 'image/png', 400, /not a whole PNG image/],
    ['a PNG sent as JPEG', good, 'image/jpeg', 400, /not a whole JPEG image/],
    ['a cut PNG', truncated, 'image/png', 400, /cannot be printed/],
    ['a cut JPEG', JPEG.subarray(0, 300), 'image/jpeg', 400, /not a whole JPEG image/],
    ['4000 pixels wide', huge, 'image/png', 400, /4000 × 10 pixels/],
    ['over 200 KB', oversized, 'image/png', 413, /200 KB|too large/i],
  ];
  for (const [what, body, type, status, detail] of cases) {
    const res = await upload(body, type);
    t.equal(res.statusCode, status, `${what}: ${status}`);
    t.match(res.headers['content-type'], /application\/problem\+json/, `${what}: a problem`);
    t.match(res.json().detail ?? res.json().title, detail, `${what}: says why`);
  }
  t.equal((await upload(good, 'image/png', h.token)).statusCode, 403, 'a clerk may not change the letterhead');
  t.ok((await h.request('GET', '/api/documents/logo')).rawPayload.equals(good), 'the logo in place is unchanged');
});
