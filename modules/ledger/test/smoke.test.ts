import t from 'tap';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';

t.test('invoice → partial payment → payment of the rest', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const p = await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Công ty TNHH Minh Phát', email: 'ketoan@minhphat.vn', address: { street: '12 Lê Lợi', ward: 'Bến Nghé', province: 'TP. Hồ Chí Minh' } });
  t.equal(p.statusCode, 201, p.body);
  const inv = await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-10-01', dueDate: '2026-10-31', post: true, lines: [{ description: 'Gạo ST25', quantity: '3', unitPrice: '150000', taxRate: '8' }] });
  t.equal(inv.statusCode, 201, inv.body);
  const invoice = inv.json();
  t.equal(invoice.total, '486000');
  t.equal(invoice.state, 'posted');
  t.match(invoice.number, /^INV\/2026\/00001$/);
  t.match(invoice.paymentReference, /^CN[0-9A-Z]{6}$/);
  t.same(invoice.installments, [{ dueDate: '2026-10-31', amount: '486000', residual: '486000' }]);

  const pay1 = await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-10-15', amount: '200000' });
  t.equal(pay1.statusCode, 201, pay1.body);
  t.equal(pay1.json().allocated, '200000');
  t.equal(pay1.json().unallocated, '0');
  t.equal((await h.request('GET', `/api/ledger/invoices/${invoice.id}`)).json().paymentState, 'partial');

  const pay2 = await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-10-20', amount: '300000' });
  t.equal(pay2.json().allocated, '286000');
  t.equal(pay2.json().unallocated, '14000');
  const after = (await h.request('GET', `/api/ledger/invoices/${invoice.id}`)).json();
  t.equal(after.paymentState, 'in_payment');
  t.equal(after.residual, '0');
  const partner = (await h.request('GET', '/api/ledger/partners/KH001')).json();
  t.equal(partner.balance, '-14000');
});
