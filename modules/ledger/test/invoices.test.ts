import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { postInvoice } from '../invoices.js';
import { isValidPaymentReference } from '../payment-reference.js';
import { count, invoiceNow, newPartner, ok, onBooks, postedInvoice } from './fixtures.js';

const line = (description: string, quantity: string, unitPrice: string, taxRate?: string) => ({ description, quantity, unitPrice, ...(taxRate ? { taxRate } : {}) });

t.test('VND totals: quantity with decimals, 8% and 10% VAT, half-up per line; posting books a balanced entry', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const res = await h.request('POST', '/api/ledger/invoices', {
    partner: 'KH001', date: '2026-03-10', dueDate: '2026-04-09', currency: 'VND',
    einvoice: { form: '1', series: 'C26TAA', number: '0000123' },
    lines: [
      line('Cà phê Robusta (kg)', '2.5', '33333', '10'), // 83332.5 → 83333; VAT 8333.3 → 8333
      line('Phí giao hàng', '1', '15', '10'), // VAT 1.5 → 2 on this line …
      line('Phí bốc xếp', '1', '15', '10'), // … and 2 on this one: 4 in all, not round(3.0)
      line('Gạo ST25 (bao)', '3', '150000', '8'), // 450000; VAT 36000
      line('Mẫu thử', '0.333333', '3', '0'), // 0.999999 → 1
    ],
  });
  t.equal(res.statusCode, 201, res.body);
  const draft = res.json();
  t.equal(draft.state, 'draft');
  t.equal(draft.number, null);
  t.equal(draft.paymentReference, null, 'a draft has no payment reference yet');
  t.equal(draft.paymentState, 'not_paid');
  t.same(draft.lines.map((l: { subtotal: string; tax: string }) => [l.subtotal, l.tax]), [['83333', '8333'], ['15', '2'], ['15', '2'], ['450000', '36000'], ['1', '0']]);
  t.same(draft.lines[0], { description: 'Cà phê Robusta (kg)', quantity: '2.5', unitPrice: '33333', taxRate: '10', subtotal: '83333', tax: '8333' });
  t.equal(draft.lines[4].quantity, '0.333333');
  t.equal(draft.untaxed, '533364');
  t.equal(draft.tax, '44337');
  t.equal(draft.total, '577701');
  t.equal(draft.currency, 'VND');
  t.same(draft.einvoice, { form: '1', series: 'C26TAA', number: '0000123' });
  t.equal(await count(h, 'ledger_move'), 0, 'a draft books nothing');

  const posted = ok(await h.request('POST', `/api/ledger/invoices/${draft.id}/post`));
  t.equal(posted.state, 'posted');
  t.equal(posted.number, 'INV/2026/00001');
  t.equal(posted.total, '577701');
  t.equal(posted.residual, '577701');
  t.equal(posted.dueDate, '2026-04-09');
  t.same(posted.installments, [{ dueDate: '2026-04-09', amount: '577701', residual: '577701' }]);
  t.same(posted.einvoice, { form: '1', series: 'C26TAA', number: '0000123' }, 'e-invoice form, series and number kept as given');

  const { rows } = await sql<{ account_code: string; debit: bigint; credit: bigint }>`
    select account_code, sum(debit)::bigint as debit, sum(credit)::bigint as credit from ledger_move_line
    where invoice_id = ${draft.id} group by account_code order by account_code`.execute(h.db);
  t.same(rows, [
    { account_code: '131', debit: 577701n, credit: 0n },
    { account_code: '3331', debit: 0n, credit: 44337n },
    { account_code: '511', debit: 0n, credit: 533364n },
  ]);
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '577701');

  const again = await h.request('POST', `/api/ledger/invoices/${draft.id}/post`);
  t.equal(again.statusCode, 409, 'posting twice is refused');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '577701');
});

t.test('a discount line (negative unit price) lowers its rate\'s revenue and VAT; a stated line VAT within one unit is kept', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const posted = ok(await h.request('POST', '/api/ledger/invoices', {
    partner: 'KH001', date: '2026-03-10', dueDate: '2026-04-09', post: true,
    lines: [
      line('Xi măng PCB40', '100', '95000', '10'),
      line('Chiết khấu thương mại 2%', '1', '-190000', '10'),
      { ...line('Ốc vít M6', '1', '10006', '8'), tax: '801' }, // 800.48: the document rounded its 8 % once, up
      line('Ốc vít M8', '2', '10006', '8'),
    ],
  }));
  t.same(posted.lines.map((l: any) => [l.unitPrice, l.subtotal, l.tax]), [['95000', '9500000', '950000'], ['-190000', '-190000', '-19000'], ['10006', '10006', '801'], ['10006', '20012', '1601']]);
  t.match(posted, { untaxed: '9340018', tax: '933402', total: '10273420' });
  const { rows } = await sql<{ account_code: string; debit: bigint; credit: bigint }>`
    select account_code, sum(debit)::bigint as debit, sum(credit)::bigint as credit from ledger_move_line
    where invoice_id = ${posted.id} group by account_code order by account_code`.execute(h.db);
  t.same(rows, [
    { account_code: '131', debit: 10273420n, credit: 0n },
    { account_code: '3331', debit: 0n, credit: 933402n },
    { account_code: '511', debit: 0n, credit: 9340018n },
  ], 'revenue and VAT net of the discount, the entry balanced');

  const post = (lines: unknown[]) => h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-03-10', lines });
  const tooMuch = await post([line('Phân bón', '1', '200000', '5'), line('Chiết khấu', '1', '-150000', '10')]);
  t.equal(tooMuch.statusCode, 400);
  t.match(tooMuch.json(), { field: 'lines', detail: 'the lines at 10 % VAT add up to less than zero: a discount may not exceed the goods of its rate' });
  const farOff = await post([{ ...line('Ốc vít', '1', '10006', '8'), tax: '802' }]);
  t.equal(farOff.statusCode, 400);
  t.match(farOff.json(), { field: 'lines[0].tax', detail: /differs from the line's subtotal × its rate by more than one minor unit/ });
  t.equal((await post([line('Chiết khấu', '1', '-1000', '0')])).json().detail, 'the lines at 0 % VAT add up to less than zero: a discount may not exceed the goods of its rate');

  const bulk = await h.request('POST', '/api/ledger/invoices/bulk', { invoices: [
    { partner: 'KH001', date: '2026-03-11', lines: [line('Thép', '1', '3000000', '8'), line('Hàng trả lại', '1', '-500000', '8')] },
    { partner: 'KH001', date: '2026-03-11', lines: [line('Thép', '1', '100', '8'), line('Chiết khấu', '1', '-200', '8')] },
  ] });
  t.equal(bulk.statusCode, 400, 'the bulk posting checks the same');
  t.match(bulk.json().errors, [{ field: 'invoices[1].lines' }]);
});

t.test('USD company: cents, half-up per line', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'], tenant: { currency: 'USD', timezone: 'America/New_York' } });
  await newPartner(h, 'C-100', { name: 'Pacific Imports LLC' });
  const inv = ok(await h.request('POST', '/api/ledger/invoices', {
    partner: 'C-100', date: '2026-05-04', dueDate: '2026-06-03', post: true,
    lines: [line('Widgets', '1.5', '19.99', '8'), line('Handling', '3', '0.10', '10')],
  }));
  t.same(inv.lines.map((l: { subtotal: string; tax: string }) => [l.subtotal, l.tax]), [['29.99', '2.40'], ['0.30', '0.03']]);
  t.equal(inv.untaxed, '30.29');
  t.equal(inv.tax, '2.43');
  t.equal(inv.total, '32.72');
  t.equal(inv.currency, 'USD');
  t.equal(inv.lines[0].unitPrice, '19.99');
  const cents = await h.request('POST', '/api/ledger/invoices', { partner: 'C-100', date: '2026-05-04', lines: [line('Widgets', '1', '19.999')] });
  t.equal(cents.statusCode, 400);
  t.equal(cents.json().field, 'lines[0].unitPrice');
  const vnd = await h.request('POST', '/api/ledger/invoices', { partner: 'C-100', date: '2026-05-04', currency: 'VND', lines: [line('Widgets', '1', '19')] });
  t.equal(vnd.statusCode, 400);
  t.equal(vnd.json().field, 'currency');
});

t.test('gap-free numbering per series and year; a rolled-back posting gives its number back', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const draft = async (date: string) => ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date, lines: [line('Hàng', '1', '100000')] }));
  const post = async (id: string) => ok(await h.request('POST', `/api/ledger/invoices/${id}/post`));

  const a = await draft('2026-01-15');
  const b = await draft('2026-02-01');
  const c = await draft('2027-01-02');
  const d = await draft('2026-12-31');
  t.equal((await post(a.id)).number, 'INV/2026/00001');
  t.equal((await post(b.id)).number, 'INV/2026/00002');
  t.equal((await post(c.id)).number, 'INV/2027/00001', 'a new year starts again at 1');

  // The posting runs to the end (number, reference, entry, audit, event) and is then rolled back.
  let tried: { number: string | null; paymentReference: string | null } | undefined;
  await t.rejects(onBooks(h, async (books) => {
    tried = await postInvoice(books, d.id);
    throw new Error('roll back');
  }), /roll back/);
  t.equal(tried?.number, 'INV/2026/00003');
  t.equal((await invoiceNow(h, d.id)).state, 'draft', 'nothing of the rolled-back posting is left');
  const dPosted = await post(d.id);
  t.equal(dPosted.number, 'INV/2026/00003', 'the number was given back');
  t.equal(dPosted.paymentReference, tried?.paymentReference, 'and so was the payment reference');

  const reversal = ok(await h.request('POST', `/api/ledger/invoices/${a.id}/reverse`, { date: '2026-03-01' }));
  t.equal(reversal.creditNote.number, 'RINV/2026/00001', 'credit notes have their own series');
  t.equal((await post((await draft('2026-06-30')).id)).number, 'INV/2026/00004');

  const { rows } = await sql<{ number: string }>`select number from ledger_invoice where kind = 'invoice' order by number`.execute(h.db);
  t.same(rows.map((r) => r.number), ['INV/2026/00001', 'INV/2026/00002', 'INV/2026/00003', 'INV/2026/00004', 'INV/2027/00001']);
});

t.test('payment references: present on every posted invoice, unique, with a valid check character', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const refs: string[] = [];
  for (let i = 0; i < 5; i++) refs.push((await postedInvoice(h, 'KH001', '100000', '2026-04-01', '2026-05-01')).paymentReference);
  t.equal(new Set(refs).size, 5, 'unique');
  for (const ref of refs) {
    t.match(ref, /^CN[0-9A-HJKMNP-TV-Z]{6}$/, 'short ASCII: prefix, 5 base-32 digits, a check character');
    t.ok(isValidPaymentReference(ref, 'CN'), `${ref} carries a valid check character`);
    t.ok(isValidPaymentReference(`${ref.slice(0, 4).toLowerCase()} ${ref.slice(4)}`, 'CN'), 'still recognised in lower case with a space');
  }
  const wrong = refs[0].slice(0, -2) + (refs[0].at(-2) === '7' ? '8' : '7') + refs[0].at(-1);
  t.notOk(isValidPaymentReference(wrong, 'CN'), 'one wrong character is detected');

  const inv = await postedInvoice(h, 'KH001', '100000', '2026-04-01', '2026-05-01');
  const { creditNote } = ok(await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-04-02' }));
  t.equal(creditNote.paymentReference, null, 'a credit note is not paid by transfer');
});

t.test('drafts can be deleted; posted invoices cannot', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const d = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-04-01', lines: [line('Hàng', '1', '100000')] }));
  const del = await h.request('DELETE', `/api/ledger/invoices/${d.id}`);
  t.equal(del.statusCode, 200);
  t.same(del.json(), { deleted: true });
  t.equal((await h.request('GET', `/api/ledger/invoices/${d.id}`)).statusCode, 404);
  t.equal((await h.request('DELETE', `/api/ledger/invoices/${d.id}`)).statusCode, 404);

  const p = await postedInvoice(h, 'KH001', '100000', '2026-04-01', '2026-05-01');
  const refused = await h.request('DELETE', `/api/ledger/invoices/${p.id}`);
  t.equal(refused.statusCode, 409);
  t.match(refused.json().detail, /credit note/);
  t.equal((await invoiceNow(h, p.id)).state, 'posted');
});

t.test('full reversal: a credit note cancels the invoice', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const inv = ok(await h.request('POST', '/api/ledger/invoices', {
    partner: 'KH001', date: '2026-04-01', dueDate: '2026-05-01', post: true,
    lines: [line('Bàn gỗ', '2', '1500000', '10'), line('Ghế', '4', '250000', '8')],
  }));
  t.equal(inv.total, '4380000');
  const res = await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-04-10', reason: 'Khách trả lại hàng' });
  t.equal(res.statusCode, 200, res.body);
  const { invoice, creditNote } = res.json();
  t.equal(creditNote.kind, 'credit_note');
  t.equal(creditNote.state, 'posted');
  t.equal(creditNote.total, '4380000');
  t.equal(creditNote.tax, inv.tax, 'the VAT is credited too');
  t.equal(creditNote.date, '2026-04-10');
  t.equal(creditNote.originInvoice, inv.id);
  t.equal(creditNote.notes, 'Khách trả lại hàng');
  t.equal(creditNote.residual, '0', 'all of it applied to the invoice');
  t.equal(invoice.paymentState, 'reversed');
  t.equal(invoice.residual, '0');
  t.equal(invoice.total, '4380000', 'the posted invoice itself is unchanged');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '0');

  const twice = await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-04-11' });
  t.equal(twice.statusCode, 400, 'credit notes never exceed the invoice');
  t.match(twice.json().detail, /more than the invoice's 4380000/);
  t.equal(await count(h, 'ledger_invoice'), 2);

  const cn = await h.request('POST', `/api/ledger/invoices/${creditNote.id}/reverse`, {});
  t.equal(cn.statusCode, 400, 'a credit note is not reversed');
  const draft = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-04-01', lines: [line('Hàng', '1', '1000')] }));
  t.equal((await h.request('POST', `/api/ledger/invoices/${draft.id}/reverse`, {})).statusCode, 409, 'a draft is not reversed');
  const early = await h.request('POST', `/api/ledger/invoices/${(await postedInvoice(h, 'KH001', '1000', '2026-04-01', '2026-05-01')).id}/reverse`, { date: '2026-03-31' });
  t.equal(early.statusCode, 400);
  t.equal(early.json().field, 'date', 'a credit note is not dated before its invoice');
});

t.test('partial reversal leaves the invoice partly open; the credit notes together never exceed it', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const inv = ok(await h.request('POST', '/api/ledger/invoices', {
    partner: 'KH001', date: '2026-04-01', dueDate: '2026-05-01', post: true,
    lines: [line('Bàn gỗ', '2', '1500000', '10'), line('Ghế', '4', '250000', '8')],
  })); // 3,300,000 + 1,080,000
  const first = ok(await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-04-05', lines: [line('Ghế trả lại', '1', '250000', '8')] }));
  t.equal(first.creditNote.total, '270000');
  t.equal(first.invoice.paymentState, 'partial');
  t.equal(first.invoice.residual, '4110000');
  t.same(first.invoice.installments, [{ dueDate: '2026-05-01', amount: '4380000', residual: '4110000' }]);

  const tooMuch = await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-04-06', lines: [line('Bàn gỗ', '3', '1500000', '10')] });
  t.equal(tooMuch.statusCode, 400);
  t.equal(tooMuch.json().field, 'lines');
  t.match(tooMuch.json().detail, /5220000, more than the invoice's 4380000/);
  t.equal((await invoiceNow(h, inv.id)).residual, '4110000', 'the refused credit note left nothing behind');

  const rest = ok(await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-04-07', lines: [line('Bàn gỗ', '2', '1500000', '10'), line('Ghế', '3', '250000', '8')] }));
  t.equal(rest.creditNote.total, '4110000');
  t.equal(rest.invoice.paymentState, 'reversed');
  t.equal(rest.invoice.residual, '0');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '0');
});

t.test('a paid invoice reversed: the credit note stays as the customer\'s credit', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const inv = await postedInvoice(h, 'KH001', '1000000', '2026-04-01', '2026-05-01');
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-04-03', amount: '800000', journal: 'cash' }));
  const { invoice, creditNote } = ok(await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-04-04' }));
  t.equal(invoice.residual, '0');
  t.equal(invoice.paymentState, 'reversed');
  t.equal(creditNote.residual, '800000', 'what the payment had settled is still to be refunded or applied');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '-800000');
});

t.test('refused invoices name the field', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const base = { partner: 'KH001', date: '2026-04-01', lines: [line('Hàng', '1', '100000')] };
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['due date before the invoice date', { dueDate: '2026-03-31' }, 'dueDate'],
    ['payment term without the payment-terms module', { paymentTerm: '30 ngày' }, 'paymentTerm'],
    ['both dueDate and paymentTerm', { dueDate: '2026-05-01', paymentTerm: '30 ngày' }, 'paymentTerm'],
    ['no such date', { date: '2026-02-30' }, 'date'],
    ['unknown partner', { partner: 'KH999' }, 'partner'],
    ['no lines', { lines: [] }, 'lines'],
    ['zero quantity', { lines: [line('Hàng', '0', '100000')] }, 'lines[0].quantity'],
    ['7 decimals of quantity', { lines: [line('Hàng', '0.1234567', '100000')] }, 'lines[0].quantity'],
    ['tax rate over 100', { lines: [line('Hàng', '1', '100000', '101')] }, 'lines[0].taxRate'],
    ['a zero total', { lines: [line('Quà tặng', '1', '0')] }, 'lines'],
  ];
  for (const [what, patch, field] of cases) {
    const res = await h.request('POST', '/api/ledger/invoices', { ...base, ...patch });
    t.equal(res.statusCode, 400, what);
    t.equal(res.json().field, field, `${what} → ${field}`);
  }
  t.match((await h.request('POST', '/api/ledger/invoices', { ...base, paymentTerm: '30 ngày' })).json().detail, /payment-terms module/);
  t.equal(await count(h, 'ledger_invoice'), 0, 'nothing was created');
});
