/**
 * The words the postal module prints for the office clerk (the print batch's cover sheet), in vi,
 * en and zh. A company whose language is Arabic gets the cover in English: it is a page for the
 * printing desk, and right-to-left shaping lives in the documents module's renderer, not here.
 */
export type Lang = 'vi' | 'en' | 'zh';

const MESSAGES: Record<Lang, Record<string, string>> = {
  vi: {
    'cover.title': 'Thư nhắc nợ cần in và gửi',
    'cover.batch': 'Lô ngày {date}',
    'cover.letters': 'Số thư: {n}',
    'cover.pages': 'Số trang: {n}',
    'cover.sheets': 'Số tờ: {n}',
    'cover.envelopes': 'Phong bì: {dl} DL, {c4} C4',
    'cover.order': 'Thư xếp theo mã bưu chính. Mỗi thư bắt đầu ở một trang mới; địa chỉ nằm trong ô cửa sổ phong bì.',
    'cover.list': 'STT · Mã bưu chính · Khách hàng · Trang',
  },
  en: {
    'cover.title': 'Reminder letters to print and post',
    'cover.batch': 'Batch of {date}',
    'cover.letters': 'Letters: {n}',
    'cover.pages': 'Pages: {n}',
    'cover.sheets': 'Sheets: {n}',
    'cover.envelopes': 'Envelopes: {dl} DL, {c4} C4',
    'cover.order': 'Letters are sorted by postcode. Each letter starts on a new page; the address sits in the envelope window.',
    'cover.list': 'No. · Postcode · Customer · Pages',
  },
  zh: {
    'cover.title': '待打印和邮寄的催款函',
    'cover.batch': '{date} 批次',
    'cover.letters': '信件数：{n}',
    'cover.pages': '页数：{n}',
    'cover.sheets': '纸张数：{n}',
    'cover.envelopes': '信封：{dl} 个 DL，{c4} 个 C4',
    'cover.order': '信件按邮政编码排序。每封信从新的一页开始；地址位于信封窗口内。',
    'cover.list': '序号 · 邮编 · 客户 · 页数',
  },
};

export function languageOf(locale: string | null | undefined): Lang {
  const l = (locale ?? '').slice(0, 2).toLowerCase();
  return l === 'vi' || l === 'zh' ? l : 'en';
}

export function msg(lang: Lang, key: string, values: Record<string, string | number> = {}): string {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? `{${k}}`));
}
