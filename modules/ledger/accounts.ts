import type { Trx } from '../../core/db/kysely.js';
import { badRequest } from '../../core/errors.js';
import type { AccountKind } from './tables.js';

/** The default chart (Vietnamese practice, Circular 200/133 numbering), seeded when the module is enabled. */
export const DEFAULT_CHART: Array<{ code: string; name: string; kind: AccountKind }> = [
  { code: '111', name: 'Tiền mặt (Cash)', kind: 'bank' },
  { code: '112', name: 'Tiền gửi ngân hàng (Bank)', kind: 'bank' },
  { code: '1121', name: 'Tiền đang chuyển (Outstanding receipts)', kind: 'outstanding_receipts' },
  { code: '131', name: 'Phải thu của khách hàng (Receivables)', kind: 'receivable' },
  { code: '2293', name: 'Dự phòng phải thu khó đòi (Bad-debt provision)', kind: 'bad_debt_provision' },
  { code: '3331', name: 'Thuế GTGT phải nộp (Output VAT)', kind: 'output_tax' },
  { code: '4211', name: 'Lợi nhuận sau thuế chưa phân phối (Opening balance counterpart)', kind: 'other' },
  { code: '511', name: 'Doanh thu bán hàng (Sales revenue)', kind: 'revenue' },
  { code: '635', name: 'Chi phí tài chính – chiết khấu thanh toán (Payment discounts)', kind: 'payment_discount' },
  { code: '711', name: 'Thu nhập khác (Other income)', kind: 'other_income' },
  { code: '811', name: 'Chi phí khác (Other expenses)', kind: 'other_expense' },
];

/** Where imported opening balances are booked against (seeded lazily by the import for charts that predate it). */
export const OPENING_COUNTERPART = DEFAULT_CHART.find((a) => a.code === '4211')!;

export async function seedChart(trx: Trx, tenantId: string): Promise<void> {
  await trx.insertInto('ledger_account')
    .values(DEFAULT_CHART.map((a) => ({ tenant_id: tenantId, ...a })))
    .onConflict((oc) => oc.columns(['tenant_id', 'code']).doNothing())
    .execute();
}

/**
 * A settings change may only name accounts the tenant's chart has: a posting to any other code
 * would fail. Only the codes that change are checked, so an older chart never blocks other edits.
 */
export async function checkSettingsAccounts(trx: Trx, tenantId: string, settings: { accounts: Record<string, string> }, previous: { accounts: Record<string, string> }): Promise<void> {
  const changed = Object.entries(settings.accounts).filter(([key, code]) => previous.accounts[key] !== code);
  if (changed.length === 0) return;
  const rows = await trx.selectFrom('ledger_account').select('code').where('tenant_id', '=', tenantId).where('code', 'in', changed.map(([, code]) => code)).execute();
  const known = new Set(rows.map((r) => r.code));
  const missing = changed.find(([, code]) => !known.has(code));
  if (missing) throw badRequest(`Account '${missing[1]}' is not in the chart of accounts`, `settings.accounts.${missing[0]}`);
}
