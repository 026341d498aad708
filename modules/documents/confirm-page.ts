/**
 * The page a customer answers a balance confirmation on (pages/confirm.ts): in the language the
 * confirmation was asked in, right to left in Arabic, no script, every text escaped. A link that
 * is unknown, used or expired gets a page that names nothing of anyone's books.
 */
import Handlebars from 'handlebars';
import { currencyExponent, parseAmount } from '../../core/money.js';
import type { Confirmation } from './confirmations.js';
import type { Speech } from './content.js';
import { isDocumentLanguage, languageOf, msg, type Lang, type MessageKey } from './i18n/index.js';

const esc = (s: string): string => Handlebars.escapeExpression(s);

const STYLE = `body{margin:0;background:#f3f4f6;font-family:"Noto Sans","Noto Naskh Arabic","Noto Sans SC",system-ui,sans-serif;color:#111;line-height:1.5}
main{max-width:44rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin:0 0 .25rem}.company{color:#444;margin:0 0 1rem}
table{width:100%;border-collapse:collapse;margin:1rem 0}th,td{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:start}
td.n,th.n{text-align:end;white-space:nowrap}tr.total td{font-weight:bold;border-top:2px solid #333}
fieldset{border:1px solid #ccc;border-radius:4px;margin:1rem 0;padding:.75rem 1rem}label{display:block;margin:.5rem 0 .15rem}
input[type=text],textarea{width:100%;box-sizing:border-box;padding:.4rem;font:inherit}textarea{min-height:5rem}
.choice label{display:flex;gap:.5rem;align-items:center;font-weight:normal}
button{font:inherit;padding:.5rem 1.25rem;background:#0b5;border:0;color:#fff;border-radius:4px;cursor:pointer}
.error{color:#b00020;font-weight:bold}.note{color:#555;font-size:.9rem}`;

function page(lang: Lang, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

/** The language of a page that knows no confirmation: the browser's first of vi, en, zh, ar, else Vietnamese. */
export function browserLanguage(acceptLanguage: string | undefined): Lang {
  for (const part of (acceptLanguage ?? '').slice(0, 200).split(',')) {
    const tag = part.split(';')[0].trim();
    if (tag && isDocumentLanguage(tag)) return languageOf(tag, 'vi').lang;
  }
  return 'vi';
}

/** A page that says only what happened to the link: unknown, already answered or expired. */
export function notice(lang: Lang, key: 'page.unknown' | 'page.used' | 'page.expired'): string {
  return page(lang, msg(lang, 'page.title'), `<h1>${esc(msg(lang, 'page.title'))}</h1><p>${esc(msg(lang, key))}</p>`);
}

export interface AnswerForm { choice?: string; amount?: string; note?: string; name?: string }
export type FormErrors = Partial<Record<'choice' | 'amount' | 'note' | 'name', string>>;

/** The confirmation as asked, and the form to answer it (with what was typed and what is wrong, after a refused post). */
export function answerPage(s: Speech, company: string, timezone: string, c: Confirmation, form: AnswerForm = {}, errors: FormErrors = {}): string {
  const { t } = s;
  const rows = c.items.map((i) => `<tr><td>${esc(i.ref)}</td><td>${esc(s.date(i.dueDate))}</td><td class="n">${esc(s.money(BigInt(i.residual)))}</td></tr>`).join('');
  const error = (field: keyof FormErrors) => (errors[field] ? `<p class="error" id="${field}-error">${esc(errors[field]!)}</p>` : '');
  const checked = (value: string) => (form.choice === value ? ' checked' : '');
  const expires = new Intl.DateTimeFormat('en-CA', { timeZone: timezone }).format(c.expiresAt);
  const body = `<h1>${esc(t('page.title'))}</h1>
<p class="company">${esc(company)}</p>
<p>${esc(t('page.asks', { company, partner: c.partner.name, date: s.date(c.asOf) }))}</p>
<table><thead><tr><th>${esc(t('open.col.document'))}</th><th>${esc(t('open.col.due'))}</th><th class="n">${esc(t('open.col.residual'))}</th></tr></thead>
<tbody>${rows}<tr class="total"><td colspan="2">${esc(t('page.balance', { company }))}</td><td class="n">${esc(s.money(c.balance))}</td></tr></tbody></table>
<form method="post">
<fieldset class="choice"><legend>${esc(t('page.choice'))}</legend>${error('choice')}
<label><input type="radio" name="choice" value="confirmed"${checked('confirmed')}> ${esc(t('page.confirm'))}</label>
<label><input type="radio" name="choice" value="disputed"${checked('disputed')}> ${esc(t('page.dispute'))}</label>
<label for="amount">${esc(t('page.your_amount'))}</label>${error('amount')}
<input type="text" id="amount" name="amount" inputmode="decimal" maxlength="40" value="${esc(form.amount ?? '')}">
<label for="note">${esc(t('page.note'))}</label>${error('note')}
<textarea id="note" name="note" maxlength="2000">${esc(form.note ?? '')}</textarea>
</fieldset>
<label for="name">${esc(t('page.your_name'))}</label>${error('name')}
<input type="text" id="name" name="name" maxlength="200" required value="${esc(form.name ?? '')}">
<p><button type="submit">${esc(t('page.send'))}</button></p>
</form>
<p class="note">${esc(t('page.expires', { date: s.date(expires) }))}</p>`;
  return page(s.lang, t('page.title'), body);
}

/** The thanks after an answer, repeating what was recorded. */
export function thanksPage(s: Speech, company: string, c: Confirmation, state: 'confirmed' | 'disputed', amount: bigint): string {
  const key: MessageKey = state === 'confirmed' ? 'page.thanks_confirmed' : 'page.thanks_disputed';
  return page(s.lang, s.t('page.title'), `<h1>${esc(s.t('page.title'))}</h1><p>${esc(s.t(key, { amount: s.money(amount), date: s.date(c.asOf), company }))}</p>`);
}

const DIGITS: Record<string, string> = Object.fromEntries([...'٠١٢٣٤٥٦٧٨٩'].map((d, i) => [d, String(i)]).concat([...'۰۱۲۳۴۵۶۷۸۹'].map((d, i) => [d, String(i)]), [['٫', '.'], ['٬', ','], ['−', '-']]));

/**
 * An amount as a person types it in their locale — "1.234.567", "1,234,567.50", "1 234 567 ₫",
 * Arabic-Indic digits — in minor units; null when it is not one. Group separators must group
 * by three, so "1.5" in đồng (no decimals) is refused rather than read as 15.
 */
export function typedAmount(text: string, locale: string, currency: string): bigint | null {
  if (text.length > 40) return null;
  const plain = [...text].map((ch) => DIGITS[ch] ?? ch).join('').replace(/[\s\u00A0\u202F]|[^\d.,-]/g, '');
  const m = /^(-?)(\d[\d.,]*)$/.exec(plain);
  if (!m) return null;
  const exponent = currencyExponent(currency);
  const decimal = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value === ',' ? ',' : '.';
  let whole = m[2];
  let fraction = '';
  const at = whole.lastIndexOf(decimal);
  if (exponent > 0 && at >= 0) {
    // In a currency with decimals the locale's decimal sign is one, never a thousands sign.
    if (whole.length - at - 1 > exponent || whole.indexOf(decimal) !== at) return null;
    fraction = whole.slice(at + 1);
    whole = whole.slice(0, at);
  }
  const groups = whole.split(/[.,]/);
  if (groups.some((g, k) => g === '' || (k > 0 && g.length !== 3)) || !/^\d*$/.test(fraction)) return null;
  try {
    return parseAmount(`${m[1]}${groups.join('')}${fraction ? `.${fraction}` : ''}`, currency, { allowZero: true, allowNegative: true });
  } catch {
    return null;
  }
}

/** What is wrong with a posted answer, in the customer's language; none: the answer to record. */
export function readAnswer(s: Speech, currency: string, form: AnswerForm):
  { errors: FormErrors } | { answer: { choice: 'confirmed'; by: string } | { choice: 'disputed'; by: string; amount: bigint; note: string } } {
  const errors: FormErrors = {};
  const name = (form.name ?? '').trim();
  if (!name || name.length > 200) errors.name = s.t('page.error.name');
  if (form.choice !== 'confirmed' && form.choice !== 'disputed') errors.choice = s.t('page.error.choice');
  if (form.choice === 'disputed') {
    const amount = typedAmount(form.amount ?? '', s.locale, currency);
    const note = (form.note ?? '').trim();
    if (amount === null) errors.amount = s.t('page.error.amount', { example: s.money(1234567n * 10n ** BigInt(currencyExponent(currency))).replace(/[^\d.,\s\u00A0\u202F٠-٩٫٬]/g, '').trim() });
    if (!note || note.length > 2000) errors.note = s.t('page.error.note');
    if (Object.keys(errors).length === 0) return { answer: { choice: 'disputed', by: name, amount: amount!, note } };
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { answer: { choice: 'confirmed', by: name } };
}
