import t from 'tap';
import { sql } from 'kysely';
import { withTenant } from '../../../core/db/kysely.js';
import { setBankMatched } from '../payments.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { ok, onBooks } from './fixtures.js';

interface AuditRow { action: string; entity: string; entity_id: string; actor_user_id: string | null; before: any; after: any }

t.test('every money movement and its undo is in the audit log with who did it', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const accountant = await h.tokenFor('accountant');
  const as = { token: accountant.token };
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/ledger`, { settings: { writeOffLimit: '5000' } }, { token: h.adminToken }));
  const rowsSince = async (id: bigint) => (await sql<AuditRow & { id: bigint }>`
    select id, action, entity, entity_id, actor_user_id, before, after from core_audit
    where tenant_id = ${h.tenant.id} and module = 'ledger' and id > ${id} order by id`.execute(h.db)).rows;
  let mark = 0n;
  /** The audit rows written since the last call. */
  const newRows = async () => {
    const rows = await rowsSince(mark);
    if (rows.length) mark = rows.at(-1)!.id;
    return rows;
  };
  const actions = (rows: AuditRow[]) => rows.map((r) => r.action);

  const partner = ok(await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Công ty TNHH An Khang' }, as));
  t.same(actions(await newRows()), ['partner.created']);

  const inv = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-10-01', dueDate: '2026-10-31', post: true, lines: [{ description: 'Thuốc', quantity: '10', unitPrice: '100000' }] }, as));
  let rows = await newRows();
  t.same(actions(rows), ['invoice.created', 'invoice.posted']);
  t.ok(rows.every((r) => r.entity_id === inv.id));
  t.same(rows[1].after, { number: 'INV/2026/00001', total: '1000000', installments: [{ dueDate: '2026-10-31', amount: '1000000' }] });

  const payment = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-10-05', amount: '1200000', allocations: [{ invoice: inv.id, amount: '996000' }] }, as));
  rows = await newRows();
  t.same(actions(rows).sort(), ['invoice.payment_state_changed', 'payment.allocated', 'payment.registered']);
  const allocated = rows.find((r) => r.action === 'payment.allocated')!;
  t.equal(allocated.after.amount, '996000');
  t.equal(allocated.after.invoiceId, inv.id);
  t.equal(rows.find((r) => r.action === 'payment.registered')!.entity_id, payment.id);
  t.same(rows.find((r) => r.action === 'invoice.payment_state_changed')!.after, { paymentState: 'partial', residual: '4000' });

  ok(await h.request('POST', `/api/ledger/invoices/${inv.id}/write-off`, { date: '2026-10-06' }, as));
  rows = await newRows();
  t.ok(actions(rows).includes('invoice.written_off'));
  t.equal(rows.find((r) => r.action === 'payment.allocated')!.after.amount, '4000', 'the write-off is allocated, and that is audited');

  ok(await h.request('POST', `/api/ledger/payments/${payment.id}/unallocate`, { date: '2026-10-07' }, as));
  rows = await newRows();
  t.same(actions(rows), ['payment.unallocated', 'invoice.payment_state_changed']);
  t.same(rows[0].before, { partnerId: partner.id, debitLineId: allocated.after.debitLineId, creditLineId: allocated.after.creditLineId, invoiceId: inv.id, amount: '996000', date: '2026-10-07' });

  ok(await h.request('POST', '/api/ledger/allocations', { payment: payment.id, invoice: inv.id, amount: '500000', date: '2026-10-08' }, as));
  t.same(actions(await newRows()), ['payment.allocated'], 'still partial (the write-off stayed): no state change to record');

  const { creditNote } = ok(await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-10-09' }, as));
  rows = await newRows();
  t.ok(['credit_note.created', 'credit_note.posted', 'invoice.reversed'].every((a) => actions(rows).includes(a)), actions(rows).join(', '));
  t.same(rows.find((r) => r.action === 'invoice.reversed')!.after, { creditNote: creditNote.number, amount: '1000000' });

  await onBooks(h, (books) => setBankMatched(books, payment.id, true), { userId: accountant.userId, tokenId: null, requestId: null });
  t.same(actions(await newRows()).filter((a) => a.startsWith('payment.')), ['payment.bank_matched']);

  const draft = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-10-10', lines: [{ description: 'Thuốc', quantity: '1', unitPrice: '1000' }] }, as));
  ok(await h.request('DELETE', `/api/ledger/invoices/${draft.id}`, undefined, as));
  t.same(actions(await newRows()), ['invoice.created', 'invoice.draft_deleted']);

  const all = await rowsSince(0n);
  t.ok(all.length >= 20);
  t.same(all.filter((r) => r.actor_user_id !== accountant.userId).map((r) => r.action), [], 'every row names the accountant');

  // The log is append-only for the application.
  await t.rejects(withTenant(h.db, h.tenant.id, (trx) => sql`update core_audit set action = 'nothing' where tenant_id = ${h.tenant.id}`.execute(trx)), /permission denied/);
  await t.rejects(withTenant(h.db, h.tenant.id, (trx) => sql`delete from core_audit where tenant_id = ${h.tenant.id}`.execute(trx)), /permission denied/);
});
