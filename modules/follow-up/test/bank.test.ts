/**
 * With bank-reconciliation enabled, a run first checks that the bank statements are fresh and
 * matched, so customers who paid are not chased: it warns, or by setting refuses.
 */
import t from 'tap';
import { BASE, followUpApp, invoice, ok, partner, run } from './helpers.js';

function csv(lines: Array<[string, string, string, string, string, string, string]>): Buffer {
  const rows = [
    'Số tài khoản: 0071000123456,,,,,,,',
    'STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Số tài khoản đối ứng,Nội dung',
    ...lines.map((l, i) => [String(i + 1), ...l].map((c) => `"${c}"`).join(',')),
  ];
  return Buffer.from('\ufeff' + rows.join('\r\n'), 'utf8');
}

t.test('stale or unmatched bank lines: the run warns, or refuses by setting; a customer who paid is not chased', async (t) => {
  const h = await followUpApp(t, { modules: ['follow-up', 'bank-reconciliation'] });
  await partner(h, 'KH01');
  await partner(h, 'KH02');
  const paid = await invoice(h, 'KH01', '1100000', '2026-03-01', '2026-03-31');
  await invoice(h, 'KH02', '2000000', '2026-03-01', '2026-03-31');

  const none = await run(h, '2026-04-20', true);
  t.match(none.bank, { stale: true, refused: false, accounts: [], statementsStale: true, reasons: ['no_statement'], warnings: ['No bank statement has been imported: payments received by bank transfer may be missing, so customers who paid could be reminded.'] });

  const file = csv([
    ['15/04/2026', 'FT001', '', '1.100.000', '11.100.000', '', `CTY KH01 TT ${paid.paymentReference}`],
    ['16/04/2026', 'FT002', '', '123.456', '11.223.456', '', 'khong ro noi dung'],
  ]);
  const imported = await h.app.inject({ method: 'POST', url: '/api/bank-reconciliation/statements?format=csv', payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/csv' } });
  t.equal(imported.statusCode, 201, imported.body);
  t.match(imported.json(), { imported: 2, autoMatched: 1 });

  // The day after the statement: recent statements, only the unmatched line makes it stale — and it says which.
  const nextDay = await run(h, '2026-04-17', true);
  t.match(nextDay.bank, {
    stale: true, statementsStale: false, reasons: ['unmatched_lines'], unmatchedLines: 1,
    accounts: [{ account: '0071000123456', lastStatementDate: '2026-04-16', statement: 'recent' }],
  });
  t.same(nextDay.bank.warnings, [
    '1 bank line received (123456 VND) is not matched to invoices yet: some customers may already have paid.',
    'The bank statements are recent (each account has one ending within 7 days of 2026-04-17); only the unmatched lines make the bank check stale.',
  ]);

  const warned = await run(h, '2026-04-30');
  t.same(warned.actions.map((a: any) => a.ref), ['KH02'], 'KH01 paid by bank transfer: not chased');
  t.match(warned.bank, {
    stale: true, refused: false, accounts: [{ account: '0071000123456', lastStatementDate: '2026-04-16', statement: 'old' }], unmatchedLines: 1, unmatchedAmount: '123456',
    statementsStale: true, reasons: ['old_statement', 'unmatched_lines'],
    warnings: [
      'The last statement of bank account 0071000123456 ends on 2026-04-16, more than 7 days before 2026-04-30: payments received since may be missing.',
      '1 bank line received (123456 VND) is not matched to invoices yet: some customers may already have paid.',
    ],
  });
  const stored = await h.db.selectFrom('followup_run').select('bank').where('id', '=', warned.id).executeTakeFirstOrThrow();
  t.match(stored.bank, { stale: true, unmatchedLines: 1 }, 'kept with the run');

  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { bankFreshness: { onStale: 'refuse' } } }, { token: h.adminToken }));
  const refused = await h.request('POST', `${BASE}/runs`, { date: '2026-06-01' });
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), { type: 'urn:congno:problem:bank-not-fresh', detail: /^The follow-up run of 2026-06-01 is refused \(setting bankFreshness.onStale = 'refuse'\): The last statement of bank account 0071000123456 ends on 2026-04-16/ });
  const dry = ok(await h.request('POST', `${BASE}/runs`, { date: '2026-06-01', dryRun: true }));
  t.match(dry, { dryRun: true, bank: { stale: true, refused: false } }, 'a dry run shows what a run would do and the warnings');
  t.equal(dry.actions.length, 1);
  t.equal((await h.db.selectFrom('followup_action').selectAll().execute()).length, 1, 'the refused run recorded nothing');
  // The daily run is refused the same way, and says so in its record.
  await h.db.updateTable('core_tenant_module').set({ enabled_at: new Date('2026-01-01T00:00:00Z') }).execute();
  await h.app.congno.scheduler.tick(new Date('2026-06-01T02:10:00Z'));
  while (await h.app.congno.relay.deliverOne());
  const daily = await h.db.selectFrom('followup_run').select(['trigger', 'actions', 'bank']).where('trigger', '=', 'scheduled').execute();
  t.match(daily, [{ trigger: 'scheduled', actions: 0, bank: { refused: true, stale: true } }]);
  const refusal = await h.db.selectFrom('core_audit').select(['action', 'after']).where('action', '=', 'followup.run_refused').executeTakeFirstOrThrow();
  t.match(refusal.after, { date: '2026-06-01', reason: /refused/ });
  t.equal((await h.db.selectFrom('followup_action').selectAll().execute()).length, 1, 'and sent nothing');

  // Fresh and matched: no warning.
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { bankFreshness: { maxAgeDays: 60 } } }, { token: h.adminToken }));
  const lines = ok<any[]>(await h.request('GET', `/api/bank-reconciliation/statements/${imported.json().id}/lines`));
  const loose = lines.find((l) => l.matchState !== 'matched');
  await h.request('POST', '/api/ledger/partners', { ref: 'KH03', name: 'Khách lẻ' });
  const inv3 = await invoice(h, 'KH03', '123456', '2026-04-01', '2026-04-30');
  ok(await h.request('POST', `/api/bank-reconciliation/lines/${loose.id}/match`, { invoices: [inv3.id] }));
  const clean = await run(h, '2026-06-01');
  t.match(clean.bank, { stale: false, refused: false, unmatchedLines: 0, warnings: [], statementsStale: false, reasons: [] });
});
