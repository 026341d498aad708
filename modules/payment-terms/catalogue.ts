/**
 * The names (and notes) of the payment terms seeded when a company enables the module, in the
 * languages of the company (its locale): vi, en, zh, ar. The terms themselves (lines, discount) are
 * in seeds.ts; only the words change with the language. English is the fallback.
 */
export const LANGUAGES = ['vi', 'en', 'zh', 'ar'] as const;
export type Lang = (typeof LANGUAGES)[number];

export const SEEDED_TERMS = ['immediate', 'days_15', 'days_30', 'days_30_end_of_month', 'advance_30_balance_60', 'discount_2_10_net_30'] as const;
export type SeededTerm = (typeof SEEDED_TERMS)[number];

export const CATALOGUE: Record<Lang, Record<SeededTerm, { name: string; note?: string }>> = {
  en: {
    immediate: { name: 'Immediate' },
    days_15: { name: '15 days' },
    days_30: { name: '30 days' },
    days_30_end_of_month: { name: '30 days end of month', note: 'Invoice date + 30 days, then the end of that month' },
    advance_30_balance_60: { name: '30% now, balance 60 days' },
    discount_2_10_net_30: { name: '2% 10, net 30', note: '2% off when paid in full within 10 days; otherwise due in 30 days' },
  },
  vi: {
    immediate: { name: 'Thanh toán ngay' },
    days_15: { name: 'Thanh toán trong 15 ngày' },
    days_30: { name: 'Thanh toán trong 30 ngày' },
    days_30_end_of_month: { name: '30 ngày, cuối tháng', note: 'Ngày hóa đơn + 30 ngày, rồi đến cuối tháng đó' },
    advance_30_balance_60: { name: 'Trả trước 30%, còn lại sau 60 ngày' },
    discount_2_10_net_30: { name: 'Chiết khấu 2% trong 10 ngày, hạn 30 ngày', note: 'Giảm 2% khi thanh toán đủ trong vòng 10 ngày; nếu không, đến hạn sau 30 ngày' },
  },
  zh: {
    immediate: { name: '立即付款' },
    days_15: { name: '15天' },
    days_30: { name: '30天' },
    days_30_end_of_month: { name: '30天月底', note: '发票日期加30天，再到该月月底' },
    advance_30_balance_60: { name: '预付30%，余款60天' },
    discount_2_10_net_30: { name: '10天内付款折扣2%，30天到期', note: '10天内全额付款可享2%折扣；否则30天内到期' },
  },
  ar: {
    immediate: { name: 'الدفع الفوري' },
    days_15: { name: '15 يومًا' },
    days_30: { name: '30 يومًا' },
    days_30_end_of_month: { name: '30 يومًا نهاية الشهر', note: 'تاريخ الفاتورة + 30 يومًا، ثم نهاية ذلك الشهر' },
    advance_30_balance_60: { name: '30% مقدمًا، والباقي خلال 60 يومًا' },
    discount_2_10_net_30: { name: 'خصم 2% خلال 10 أيام، صافي 30 يومًا', note: 'خصم 2% عند السداد الكامل خلال 10 أيام؛ وإلا يستحق خلال 30 يومًا' },
  },
};

/** The catalogue language of a locale ('vi-VN', 'zh_CN', 'ar'), English when there is none. */
export function languageOf(locale: string | null | undefined): Lang {
  const base = (locale ?? '').trim().replace(/_/g, '-').split('-')[0].toLowerCase();
  return (LANGUAGES as readonly string[]).includes(base) ? base as Lang : 'en';
}

/** A seeded term's name in every language, when `name` is one of them (any language, case-insensitive); else []. */
export function seededTermNames(name: string): string[] {
  const wanted = name.trim().toLowerCase();
  for (const key of SEEDED_TERMS) {
    const names = LANGUAGES.map((l) => CATALOGUE[l][key].name);
    if (names.some((n) => n.toLowerCase() === wanted)) return names;
  }
  return [];
}
