/**
 * Column mappings for statement exports (CSV/XLSX) of Vietnamese banks. They are built from the
 * headers such exports typically carry ("Ngày giao dịch", "Nội dung", "Số tiền ghi nợ",
 * "Số tiền ghi có", "Số dư", "Số tham chiếu" …), not from a specification: banks change their
 * layouts, so each column accepts several header names (compared without case, diacritics and
 * punctuation; a bilingual header "Số dư/Balance" answers to either half). When a bank's file
 * does not fit, the user saves their own mapping, which overrides the preset field by field.
 */

/** A column: a header name, several accepted names (first found wins), or a 0-based position. */
export type ColumnRef = string | string[] | number;

export interface CsvMapping {
  date: ColumnRef;
  description: ColumnRef;
  valueDate?: ColumnRef;
  /** Signed amount (money out negative) … */
  amount?: ColumnRef;
  /** … or money out and money in in two columns. */
  debit?: ColumnRef;
  credit?: ColumnRef;
  /** Running balance after each line. */
  balance?: ColumnRef;
  reference?: ColumnRef;
  counterparty?: ColumnRef;
  counterpartyAccount?: ColumnRef;
  /** Order of day, month and year: 'DD/MM/YYYY', 'YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YY', 'YYYYMMDD'. Any of / - . separates. */
  dateFormat: string;
  decimalSeparator: '.' | ',';
  /** 'auto': '.', ',' or space in groups of three, the decimal separator being the other mark. */
  thousandsSeparator: '' | '.' | ',' | ' ' | "'" | 'auto';
  /** Detected from the first line when absent. */
  delimiter?: ',' | ';' | '\t' | '|';
  /** Rows above the header row; when absent the header row is found by its names. */
  skipRows?: number;
}

const VN_COLUMNS = {
  date: ['ngay giao dich', 'ngay gd', 'ngay hach toan', 'ngay ghi so', 'ngay thuc hien', 'ngay', 'transaction date', 'trans date', 'txn date', 'posting date', 'booking date', 'date'],
  valueDate: ['ngay hieu luc', 'ngay gia tri', 'value date', 'effective date'],
  description: ['noi dung', 'noi dung giao dich', 'noi dung chi tiet', 'mo ta', 'mo ta giao dich', 'dien giai', 'chi tiet giao dich', 'chi tiet', 'description', 'transaction description', 'transactions in detail', 'details', 'narrative', 'remarks', 'remark'],
  debit: ['so tien ghi no', 'ghi no', 'phat sinh no', 'so tien no', 'tien ra', 'debit', 'debit amount', 'withdrawal', 'withdrawals'],
  credit: ['so tien ghi co', 'ghi co', 'phat sinh co', 'so tien co', 'tien vao', 'credit', 'credit amount', 'deposit', 'deposits'],
  balance: ['so du', 'so du cuoi', 'so du sau giao dich', 'balance', 'running balance'],
  reference: ['so tham chieu', 'ma giao dich', 'so giao dich', 'so but toan', 'so ct', 'so chung tu', 'ma gd', 'reference', 'reference no', 'ref no', 'transaction no', 'transaction id'],
  counterparty: ['ten doi ung', 'ten tai khoan doi ung', 'ten tk doi ung', 'doi tac', 'ten nguoi chuyen', 'ten nguoi nhan', 'ben doi ung', 'counterparty', 'counterparty name', 'beneficiary', 'remitter'],
  counterpartyAccount: ['so tai khoan doi ung', 'tai khoan doi ung', 'so tk doi ung', 'tk doi ung', 'counterparty account', 'beneficiary account'],
};

const VN: CsvMapping = { ...VN_COLUMNS, dateFormat: 'DD/MM/YYYY', decimalSeparator: ',', thousandsSeparator: 'auto' };

export interface Preset { label: string; currency?: string; mapping: CsvMapping }

/**
 * Vietnamese presets share the header names above and read amounts written either way
 * ("1.234.567" or "1,234,567"); they differ only where a bank's export is known to differ.
 */
export const PRESETS = {
  vietcombank: { label: 'Vietcombank', currency: 'VND', mapping: { ...VN, decimalSeparator: '.' } },
  techcombank: { label: 'Techcombank', currency: 'VND', mapping: { ...VN, decimalSeparator: '.' } },
  vietinbank: { label: 'VietinBank', currency: 'VND', mapping: VN },
  bidv: { label: 'BIDV', currency: 'VND', mapping: VN },
  mb: { label: 'MB Bank', currency: 'VND', mapping: VN },
  'vn-generic': { label: 'Other Vietnamese bank', currency: 'VND', mapping: VN },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;

export const isPresetName = (name: string): name is PresetName => Object.hasOwn(PRESETS, name);
