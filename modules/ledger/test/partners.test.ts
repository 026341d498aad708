import t from 'tap';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { newPartner, ok, postedInvoice } from './fixtures.js';

t.test('a partner with a Vietnamese address without district and a follow-up contact', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const res = await h.request('POST', '/api/ledger/partners', {
    ref: 'KH001', name: 'Công ty TNHH Thương mại Minh Phát', email: 'ketoan@minhphat.vn', phone: '028 3822 1234', lang: 'vi',
    address: { street: '12 Lê Lợi', ward: 'Phường Sài Gòn', province: 'TP. Hồ Chí Minh', country: 'VN' },
    taxCode: '0312345678', group: 'HCM', creditLimit: '50000000', trust: 'good',
    contacts: [
      { kind: 'invoice', name: 'Phòng kế toán', email: 'hoadon@minhphat.vn' },
      { kind: 'followup', name: 'Chị Nguyễn Thị Lan', email: 'lan.nguyen@minhphat.vn', phone: '0903 123 456' },
    ],
  });
  t.equal(res.statusCode, 201, res.body);
  const p = res.json();
  t.same(p.address, { street: '12 Lê Lợi', ward: 'Phường Sài Gòn', province: 'TP. Hồ Chí Minh', country: 'VN' }, 'no district, and none invented');
  t.equal(p.creditLimit, '50000000');
  t.equal(p.trust, 'good');
  t.equal(p.balance, '0');
  t.equal(p.overdue, '0');
  t.same(p.contacts.map((c: { kind: string; name: string }) => [c.kind, c.name]), [['followup', 'Chị Nguyễn Thị Lan'], ['invoice', 'Phòng kế toán']], 'the follow-up contact comes first');
  t.equal(p.contacts[0].email, 'lan.nguyen@minhphat.vn');

  const byRef = ok(await h.request('GET', '/api/ledger/partners/KH001'));
  const byId = ok(await h.request('GET', `/api/ledger/partners/${p.id}`));
  t.same(byRef, p);
  t.same(byId, p);

  const dup = await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Another' });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().type, 'urn:congno:problem:partner-exists');
  t.equal(ok(await h.request('GET', '/api/ledger/partners')).total.count, 1, 'the duplicate was not created');

  const missing = await h.request('GET', '/api/ledger/partners/KH999');
  t.equal(missing.statusCode, 404);
});

t.test('PATCH changes only what is given; a ref taken by another partner is a 409', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001', { address: { street: '1 Trần Hưng Đạo', province: 'Hà Nội' }, contacts: [{ kind: 'followup', name: 'Anh Tuấn' }] });
  await newPartner(h, 'KH002');

  const patched = await h.request('PATCH', '/api/ledger/partners/KH001', { name: 'Công ty CP Hoà Bình', trust: 'bad', creditLimit: '10000000', group: 'HN' });
  t.equal(patched.statusCode, 200, patched.body);
  const p = patched.json();
  t.equal(p.name, 'Công ty CP Hoà Bình');
  t.equal(p.trust, 'bad');
  t.equal(p.creditLimit, '10000000');
  t.equal(p.group, 'HN');
  t.same(p.address, { street: '1 Trần Hưng Đạo', province: 'Hà Nội' }, 'untouched');
  t.same(p.contacts.map((c: { name: string }) => c.name), ['Anh Tuấn'], 'contacts kept when not given');

  const replaced = ok(await h.request('PATCH', `/api/ledger/partners/${p.id}`, { contacts: [{ kind: 'followup', name: 'Chị Mai' }], creditLimit: null }));
  t.same(replaced.contacts.map((c: { name: string }) => c.name), ['Chị Mai'], 'contacts replaced');
  t.equal(replaced.creditLimit, null);

  const clash = await h.request('PATCH', '/api/ledger/partners/KH001', { ref: 'KH002' });
  t.equal(clash.statusCode, 409);
  t.equal(clash.json().type, 'urn:congno:problem:partner-exists');

  const badLimit = await h.request('PATCH', '/api/ledger/partners/KH001', { creditLimit: '1,000' });
  t.equal(badLimit.statusCode, 400);
  t.equal(badLimit.json().field, 'creditLimit');
  const badEmail = await h.request('PATCH', '/api/ledger/partners/KH001', { email: 'not an email' });
  t.equal(badEmail.json().field, 'email');
  const badSalesperson = await h.request('PATCH', '/api/ledger/partners/KH001', { salesperson: '00000000-0000-4000-8000-000000000000' });
  t.equal(badSalesperson.statusCode, 400);
  t.equal(badSalesperson.json().field, 'salesperson');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).trust, 'bad', 'refused changes left the partner as it was');
});

t.test('balance and overdue come from open items; list filters, sorts and pages', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const lan = await h.tokenFor('sales');
  const hung = await h.tokenFor('sales');
  await newPartner(h, 'KH001', { name: 'CÔNG TY TNHH ĐẠI PHÁT', salesperson: lan.userId, group: 'HCM' });
  await newPartner(h, 'KH002', { name: 'Công ty CP Đại Nam', salesperson: hung.userId, group: 'HN' });
  await newPartner(h, 'KH003', { name: 'Hợp tác xã Bình Minh', salesperson: lan.userId, group: 'HN' });
  await newPartner(h, 'KH004', { name: 'Cửa hàng 50%_off', group: 'HCM' });
  await newPartner(h, 'KH005', { name: 'Nhà sách Phương Nam' });

  // Today is after 2026-01-31 and before 2099: overdue is what is due before today.
  await postedInvoice(h, 'KH001', '1000000', '2026-01-01', '2026-01-31');
  await postedInvoice(h, 'KH001', '2500000', '2026-01-05', '2099-12-31');
  await postedInvoice(h, 'KH002', '7000000', '2026-01-02', '2099-12-31');
  await postedInvoice(h, 'KH003', '300000', '2026-01-03', '2026-02-15');
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH005', date: '2026-01-10', amount: '400000' })); // a customer in credit

  const kh1 = ok(await h.request('GET', '/api/ledger/partners/KH001'));
  t.equal(kh1.balance, '3500000');
  t.equal(kh1.overdue, '1000000');
  const kh5 = ok(await h.request('GET', '/api/ledger/partners/KH005'));
  t.equal(kh5.balance, '-400000', 'unallocated credit makes the balance negative');
  t.equal(kh5.overdue, '0');

  const list = async (query: string) => ok(await h.request('GET', `/api/ledger/partners?${query}`));
  const refs = (body: { items: Array<{ ref: string }> }) => body.items.map((p) => p.ref);

  t.same(refs(await list('ref=KH003')), ['KH003']);
  t.same(refs(await list('ref=KH')), [], 'ref is matched exactly');
  t.same(refs(await list(`name=${encodeURIComponent('đại')}&sort=ref`)), ['KH001', 'KH002'], 'name part, any case, Vietnamese letters included');
  t.same(refs(await list(`name=${encodeURIComponent('ĐẠI PHÁT')}`)), ['KH001']);
  t.same(refs(await list(`name=${encodeURIComponent('phương')}`)), ['KH005']);
  t.same(refs(await list(`name=${encodeURIComponent('50%_')}`)), ['KH004'], '% and _ are literal');
  t.same(refs(await list(`name=${encodeURIComponent('0%')}`)), ['KH004']);
  t.same(refs(await list(`name=${encodeURIComponent('_')}`)), ['KH004']);
  t.same(refs(await list(`salesperson=${lan.userId}&sort=ref`)), ['KH001', 'KH003']);
  t.same(refs(await list('group=HN&sort=ref')), ['KH002', 'KH003']);
  t.same(refs(await list(`group=HN&salesperson=${lan.userId}`)), ['KH003'], 'filters combine');

  const byBalance = await list('sort=balance');
  t.same(refs(byBalance), ['KH005', 'KH004', 'KH003', 'KH001', 'KH002']);
  t.same(byBalance.items.map((p: { balance: string }) => p.balance), ['-400000', '0', '300000', '3500000', '7000000']);
  t.same(refs(await list('sort=-balance')), ['KH002', 'KH001', 'KH003', 'KH004', 'KH005']);
  const byOverdue = await list('sort=-overdue');
  t.same(refs(byOverdue).slice(0, 2), ['KH001', 'KH003']);
  t.same(byOverdue.items.map((p: { overdue: string }) => p.overdue), ['1000000', '300000', '0', '0', '0']);

  const first = await list('sort=ref&limit=2');
  t.same(first.total, { count: 5, amount: '10400000', overdue: '1300000' }, 'the count and sums are of every match, not the page');
  t.same(refs(first), ['KH001', 'KH002']);
  const page = await list(`sort=ref&limit=2&cursor=${first.next}`);
  t.same(refs(page), ['KH003', 'KH004']);
  const last = await list(`sort=ref&limit=2&cursor=${page.next}`);
  t.same(refs(last), ['KH005']);
  t.equal(last.next, null);
  t.equal((await list('group=HCM&limit=1')).total.count, 2);
  const byBalancePages = await list('sort=-balance&limit=3');
  t.same(refs(await list(`sort=-balance&limit=3&cursor=${byBalancePages.next}`)), ['KH004', 'KH005'], 'pages by a computed balance too');
  t.same(refs(await list('overdue=true&sort=ref')), ['KH001', 'KH003']);
  t.same(refs(await list(`q=${encodeURIComponent('dai phat')}`)), ['KH001'], 'q: without diacritics');

  const badSort = await h.request('GET', '/api/ledger/partners?sort=amount');
  t.equal(badSort.statusCode, 400);
  t.equal(badSort.json().field, 'query.sort');
});
