import t from 'tap';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { newPartner, ok, postedInvoice } from './fixtures.js';

t.test('a salesperson sees only their partners, a manager their team\'s; neither writes', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const lan = await h.tokenFor('sales');
  const hung = await h.tokenFor('sales');
  const manager = await h.tokenFor('sales');
  const member = await h.tokenFor('sales', manager.userId);
  const accountant = await h.tokenFor('accountant');

  await newPartner(h, 'KH001', { salesperson: lan.userId });
  await newPartner(h, 'KH002', { salesperson: hung.userId });
  await newPartner(h, 'KH003', { salesperson: member.userId });
  await newPartner(h, 'KH004', { salesperson: manager.userId });
  await newPartner(h, 'KH005');
  const invoices: Record<string, any> = {};
  const payments: Record<string, any> = {};
  for (const ref of ['KH001', 'KH002', 'KH003', 'KH004', 'KH005']) {
    invoices[ref] = await postedInvoice(h, ref, '1000000', '2026-09-01', '2026-09-30');
    payments[ref] = ok(await h.request('POST', '/api/ledger/payments', { partner: ref, date: '2026-09-05', amount: '400000' }));
  }

  const sees = async (token: string) => {
    const list = ok(await h.request('GET', '/api/ledger/partners?sort=ref', undefined, { token }));
    t.equal(list.total.count, list.items.length);
    return list.items.map((p: { ref: string }) => p.ref);
  };
  t.same(await sees(lan.token), ['KH001']);
  t.same(await sees(hung.token), ['KH002']);
  t.same(await sees(manager.token), ['KH003', 'KH004'], 'a manager sees the team\'s partners');
  t.same(await sees(member.token), ['KH003'], 'not the manager\'s');
  t.same(await sees(h.token), ['KH001', 'KH002', 'KH003', 'KH004', 'KH005'], 'a clerk sees everyone');
  t.same(await sees(accountant.token), ['KH001', 'KH002', 'KH003', 'KH004', 'KH005']);

  const status = async (url: string, token: string) => (await h.request('GET', url, undefined, { token })).statusCode;
  t.equal((await h.request('GET', '/api/ledger/partners?ref=KH002', undefined, { token: lan.token })).json().total.count, 0, 'a filter does not reach around the scope');
  t.equal((await h.request('GET', `/api/ledger/partners?salesperson=${hung.userId}`, undefined, { token: lan.token })).json().total.count, 0);

  const own = ok(await h.request('GET', '/api/ledger/partners/KH001', undefined, { token: lan.token }));
  t.equal(own.balance, '600000');
  t.equal(await status(`/api/ledger/invoices/${invoices.KH001.id}`, lan.token), 200);
  t.equal(await status(`/api/ledger/payments/${payments.KH001.id}`, lan.token), 200);
  for (const other of ['KH002', 'KH003', 'KH004', 'KH005']) {
    t.equal(await status(`/api/ledger/partners/${other}`, lan.token), 404, `${other} by ref`);
    t.equal(await status(`/api/ledger/invoices/${invoices[other].id}`, lan.token), 404, `${other}'s invoice`);
    t.equal(await status(`/api/ledger/payments/${payments[other].id}`, lan.token), 404, `${other}'s payment`);
  }
  t.equal(await status(`/api/ledger/partners/${invoices.KH002.partner.id}`, lan.token), 404, 'by id too');
  t.equal(await status(`/api/ledger/invoices/${invoices.KH003.id}`, manager.token), 200);
  t.equal(await status(`/api/ledger/payments/${payments.KH003.id}`, manager.token), 200);
  t.equal(await status(`/api/ledger/invoices/${invoices.KH001.id}`, manager.token), 404);

  const writes: Array<[string, string, unknown]> = [
    ['POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-09-10', dueDate: '2026-10-10', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '100000' }] }],
    ['POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-09-10', amount: '100000' }],
    ['POST', '/api/ledger/partners', { ref: 'KH010', name: 'Khách mới' }],
    ['PATCH', '/api/ledger/partners/KH001', { trust: 'good' }],
    ['POST', `/api/ledger/invoices/${invoices.KH001.id}/reverse`, {}],
    ['POST', `/api/ledger/invoices/${invoices.KH001.id}/write-off`, {}],
    ['POST', `/api/ledger/payments/${payments.KH001.id}/unallocate`, {}],
    ['POST', '/api/ledger/allocations', { payment: payments.KH001.id, invoice: invoices.KH001.id }],
    ['DELETE', `/api/ledger/invoices/${invoices.KH001.id}`, undefined],
  ];
  for (const [method, url, body] of writes) {
    const res = await h.request(method as 'POST', url, body, { token: lan.token });
    t.equal(res.statusCode, 403, `sales may not ${method} ${url}`);
  }
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '600000', 'nothing was written');

  const byAccountant = await h.request('POST', '/api/ledger/payments', { partner: 'KH002', date: '2026-09-10', amount: '100000' }, { token: accountant.token });
  t.equal(byAccountant.statusCode, 201, 'an accountant writes');
});
