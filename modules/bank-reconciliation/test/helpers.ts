/** Shared by the bank tests that import a Vietnamese CSV statement through the API. */
import type { TestApp } from '../../../test/helpers/build-test-app.js';

export const BASE = '/api/bank-reconciliation';

/**
 * A statement of account 0071000123456 in the Vietnamese CSV layout; each line is
 * [date, reference, credit, balance, payer account, description].
 */
export function statementCsv(lines: Array<[string, string, string, string, string, string]>): Buffer {
  const rows = [
    'Số tài khoản: 0071000123456,,,,,,',
    'STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Số tài khoản đối ứng,Nội dung',
    ...lines.map((l, i) => [String(i + 1), l[0], l[1], '', l[2], l[3], l[4], l[5]].map((c) => `"${c}"`).join(',')),
  ];
  return Buffer.from(rows.join('\r\n'), 'utf8');
}

export const importCsv = (h: TestApp, file: Buffer) =>
  h.app.inject({ method: 'POST', url: `${BASE}/statements?format=csv`, payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/csv' } });
