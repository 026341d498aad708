/**
 * Matching quality on a generated statement whose truth is known: ~60 customers, ~420 posted
 * invoices, ~380 statement lines of every kind a Vietnamese bank export carries — the payment
 * reference alone, buried in text (other case, spaces, dashes), with a typing slip; the invoice
 * number in the text; one transfer for the oldest invoices of a customer; a known payer account
 * with an amount equal to one open invoice; an amount alone; and noise (fees, money out, money
 * in that pays no invoice). Auto-applied matches must be right (precision ≥ 99.9 %), and ≥ 90 %
 * of the lines with a true answer must be matched or correctly suggested. The figures per tier
 * are printed as comments.
 *
 * The generator is seeded (no Math.random): the same statement every run. Each line's text is
 * checked against the ledger's own reference and invoice-number readers while it is generated,
 * so its truth is unambiguous (a typing slip is not another valid reference, a noise amount is
 * no invoice's, a payer's amount is one open invoice's only …).
 */
import t from 'tap';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { invoiceNumbersIn } from '../matching.js';

const BASE = '/api/bank-reconciliation';
const PREFIX = 'CN';
const SERIES = 'INV';
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function ok<T = any>(res: { statusCode: number; body: string; json(): unknown }): T {
  if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

/** mulberry32: the same seed, the same statement. */
function seeded(seed: number) {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next, int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)],
    shuffle: <T>(xs: T[]): T[] => {
      for (let i = xs.length - 1; i > 0; i--) { const j = int(i + 1); [xs[i], xs[j]] = [xs[j], xs[i]]; }
      return xs;
    },
  };
}

const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const vnd = (n: bigint): string => (n < 0n ? -n : n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.');
/** What Vietnamese banks do to names: no diacritics, upper case. */
const bankCase = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toUpperCase();

const PREFIXES = ['Công ty TNHH', 'Công ty CP', 'Cửa hàng', 'Tạp hoá', 'Đại lý', 'Nhà phân phối'];
const CORES = ['Minh Phát', 'Ánh Dương', 'Thành Đạt', 'Hoàng Long', 'An Khang', 'Đức Nam', 'Phú Quý', 'Hưng Thịnh', 'Bình Minh', 'Kim Ngân',
  'Tân Tiến', 'Hải Âu', 'Sao Mai', 'Trường Sơn', 'Bảo Châu', 'Việt Hưng', 'Quang Vinh', 'Thiên Phúc', 'Hồng Hà', 'Nam Việt'];
const COMMON_PRICES = [1_100_000, 2_200_000, 550_000, 3_300_000, 880_000, 1_650_000, 4_400_000, 275_000];

type Kind = 'reference' | 'reference-buried' | 'reference-typo' | 'invoice-number' | 'several-invoices' | 'payer-account' | 'amount' | 'noise';
/** The rule each kind is meant to exercise (`none`: nothing should be matched). */
const EXPECTED_RULE: Record<Kind, string> = {
  reference: 'payment-reference', 'reference-buried': 'payment-reference', 'reference-typo': 'payment-reference-typo', 'invoice-number': 'invoice-number',
  'several-invoices': 'payer-account', 'payer-account': 'payer-account', amount: 'amount', noise: 'none',
};
const RULES = ['payment-reference', 'invoice-number', 'payer-account', 'payment-reference-typo', 'amount', 'none'];

interface Partner { ref: string; name: string; accounts: string[]; group: 'payer' | 'text' }
interface Invoice { id: string; number: string; ref: string; partner: Partner; total: bigint; date: string; due: string }
interface Spec {
  kind: Kind; ft: string; date: string; amount: bigint; description: string; counterparty: string; account: string;
  /** The true invoices (sorted ids); null for noise. */
  truth: string[] | null;
  partner?: Partner;
}

t.test('auto-matching precision and coverage on a generated statement with known truth', async (t) => {
  const started = performance.now();
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  // The ledger's own reading of payment references, through its service as this module uses it.
  const { find: findPaymentReferences, near: nearPaymentReferences } = h.app.congno.service('ledger').paymentReferences;
  const rng = seeded(0xb4a1c);

  // Customers: 20 known by their bank account only (paid by transfers without a code), 40 that
  // write codes or numbers (10 of them with a known account too).
  const partners: Partner[] = Array.from({ length: 60 }, (_, i) => ({
    ref: `KH${String(i + 1).padStart(3, '0')}`, name: `${PREFIXES[i % 6]} ${CORES[(7 * i) % 20]}`,
    accounts: i < 30 ? [String(1_002_003_004 + i * 104_729).padStart(13, '0')] : [], group: i < 20 ? 'payer' : 'text',
  }));
  for (const p of partners) ok(await h.request('POST', '/api/ledger/partners', { ref: p.ref, name: p.name, ...(p.accounts.length ? { bankAccounts: p.accounts } : {}) }));

  // Seven invoices each, distinct due dates per customer (oldest first is unambiguous).
  const drafts: Array<{ partner: Partner; date: string; due: string; body: unknown }> = [];
  partners.forEach((p, i) => {
    for (let k = 0; k < 7; k++) {
      const date = addDays('2026-08-01', 9 * k + (i % 9));
      const due = addDays(date, 30);
      const common = rng.next() < 0.25;
      const unitPrice = common ? rng.pick(COMMON_PRICES) : (100 + rng.int(49_900)) * 1000;
      const taxRate = common ? '0' : rng.pick(['0', '8', '10']);
      drafts.push({ partner: p, date, due, body: { partner: p.ref, date, dueDate: due, lines: [{ description: 'Hàng hoá', quantity: '1', unitPrice: String(unitPrice), taxRate }] } });
    }
  });
  const created = ok<{ invoices: Array<{ id: string; number: string; paymentReference: string; total: string }> }>(
    await h.request('POST', '/api/ledger/invoices/bulk', { invoices: drafts.map((d) => d.body) }));
  const invoices: Invoice[] = created.invoices.map((c, i) => ({ id: c.id, number: c.number, ref: c.paymentReference, partner: drafts[i].partner, total: BigInt(c.total), date: drafts[i].date, due: drafts[i].due }));
  const allRefs = new Set(invoices.map((i) => i.ref));
  const allNumbers = new Set(invoices.map((i) => i.number));
  const totals = new Map<bigint, number>();
  for (const i of invoices) totals.set(i.total, (totals.get(i.total) ?? 0) + 1);
  t.equal(invoices.length, 420);

  // ---- The statement's truth ------------------------------------------------------------
  const known = (refs: string[]) => refs.filter((r) => allRefs.has(r));
  const check = (s: Omit<Spec, 'date'>): boolean => {
    const text = [s.ft, s.description, s.counterparty].filter(Boolean).join(' ');
    const refs = known(findPaymentReferences(text, PREFIX));
    const numbers = invoiceNumbersIn(text, SERIES).filter((n) => allNumbers.has(n));
    const near = known(nearPaymentReferences(text, PREFIX));
    const inv = (id: string) => invoices.find((i) => i.id === id)!;
    switch (s.kind) {
      case 'reference': case 'reference-buried': return refs.length === 1 && refs[0] === inv(s.truth![0]).ref;
      case 'invoice-number': return refs.length === 0 && numbers.length === 1 && numbers[0] === inv(s.truth![0]).number;
      case 'reference-typo': return refs.length === 0 && numbers.length === 0 && near.length === 1 && near[0] === inv(s.truth![0]).ref;
      default: return refs.length === 0 && numbers.length === 0 && near.length === 0;
    }
  };
  const generate = (make: (attempt: number) => Omit<Spec, 'date'>): Omit<Spec, 'date'> => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const s = make(attempt);
      if (check(s)) return s;
    }
    throw new Error('the generator found no unambiguous text');
  };
  let ftCounter = 0;
  const ft = () => `FT26${String(310_000 + ++ftCounter * 7)}`;
  const payerName = (p: Partner) => bankCase(p.name);
  const accountAsWritten = (a: string) => rng.pick([a, `${a.slice(0, 4)} ${a.slice(4, 8)} ${a.slice(8)}`, `${a.slice(0, 4)}-${a.slice(4)}`, `${a.slice(0, 3)}.${a.slice(3)}`]);

  const textInvoices = rng.shuffle(invoices.filter((i) => i.partner.group === 'text'));
  const uniqueAmount = textInvoices.filter((i) => totals.get(i.total) === 1).slice(0, 40);
  const rest = textInvoices.filter((i) => !uniqueAmount.includes(i));
  const specs: Array<Omit<Spec, 'date'>> = [];

  const codeForms = [
    (r: string) => r.toLowerCase(),
    (r: string) => `${r.slice(0, 2)} ${r.slice(2, 5)} ${r.slice(5)}`,
    (r: string) => `${r.slice(0, 2)}-${r.slice(2)}`,
    (r: string) => `Cn${r.slice(2, 6).toLowerCase()}.${r.slice(6)}`,
    (r: string) => `${r.slice(0, 4)}-${r.slice(4).toLowerCase()}`,
  ];
  const buriedTexts = [
    (code: string, p: Partner) => `${payerName(p)} thanh toán tiền hàng ${code} tháng 10`,
    (code: string, p: Partner) => `CK TT HD ${code} - ${payerName(p)}`,
    (code: string) => `Thanh toan cong no ma ${code}`,
    (code: string) => `${code} chuyen khoan tien hang dot 2`,
    (code: string) => `Nộp tiền mua hàng, mã thanh toán: ${code}. Cảm ơn!`,
  ];
  // Payment references: the code alone; some pay part of the invoice, some more than is open.
  rest.slice(0, 60).forEach((inv, n) => {
    const amount = n % 12 === 5 ? (inv.total / 2000n) * 1000n : n % 20 === 7 ? inv.total + 100_000n : inv.total;
    specs.push(generate(() => ({ kind: 'reference', ft: ft(), amount, description: inv.ref, counterparty: n % 3 === 0 ? payerName(inv.partner) : '', account: inv.partner.accounts[0] && n % 2 === 0 ? inv.partner.accounts[0] : '', truth: [inv.id], partner: inv.partner })));
  });
  // Buried in Vietnamese text, another case, spaces, dashes, dots.
  rest.slice(60, 120).forEach((inv, n) => {
    const amount = n % 15 === 4 ? (inv.total * 3n / 5000n) * 1000n : inv.total;
    specs.push(generate((a) => ({ kind: 'reference-buried', ft: ft(), amount, description: buriedTexts[(n + a) % buriedTexts.length](codeForms[(n + 2 * a) % codeForms.length](inv.ref), inv.partner), counterparty: '', account: inv.partner.accounts[0] && n % 4 === 1 ? accountAsWritten(inv.partner.accounts[0]) : '', truth: [inv.id], partner: inv.partner })));
  });
  // A typing slip: one character changed, or two neighbours swapped (never a valid code, and one slip from one open invoice only).
  const slip = (ref: string, a: number): string => {
    const chars = [...ref];
    const at = PREFIX.length + ((a * 5 + rng.int(ref.length - PREFIX.length)) % (ref.length - PREFIX.length));
    if (a % 3 === 2 && at + 1 < chars.length && chars[at] !== chars[at + 1]) [chars[at], chars[at + 1]] = [chars[at + 1], chars[at]];
    else chars[at] = ALPHABET[(ALPHABET.indexOf(chars[at]) + 1 + rng.int(ALPHABET.length - 1)) % ALPHABET.length];
    return chars.join('');
  };
  rest.slice(120, 155).forEach((inv, n) => {
    specs.push(generate((a) => {
      const typo = slip(inv.ref, a + n);
      if (findPaymentReferences(typo, PREFIX).length > 0) return { kind: 'reference-typo', ft: '', amount: 0n, description: typo, counterparty: '', account: '', truth: [inv.id] };
      // A slip that makes another valid code is no slip: the check below refuses a text holding a valid reference.
      return { kind: 'reference-typo', ft: ft(), amount: inv.total, description: n % 2 ? `TT ${typo}` : `${payerName(inv.partner)} thanh toan ${typo.toLowerCase()} tien hang`, counterparty: '', account: '', truth: [inv.id], partner: inv.partner };
    }));
  });
  // The invoice number in the text, written the ways people write it.
  const numberForms = [
    (n: string) => n,
    (n: string) => n.replace(/\//g, '-').replace(/-0+(\d)/, '-$1'),
    (n: string) => n.replace(/\//g, ' ').replace(/ 0+(\d)/, ' $1'),
    (n: string) => n.toLowerCase().replace('/', ''),
    (n: string) => n.replace(/\//g, '.'),
  ];
  const numberTexts = [
    (x: string) => `Thanh toán hoá đơn ${x}`,
    (x: string, p: Partner) => `${payerName(p)} TT HD so ${x}`,
    (x: string) => `TRA TIEN ${x} DOT CUOI`,
    (x: string) => `hđ ${x}, cảm ơn quý công ty`,
  ];
  rest.slice(155, 200).forEach((inv, n) => {
    specs.push(generate((a) => ({ kind: 'invoice-number', ft: ft(), amount: inv.total, description: numberTexts[(n + a) % numberTexts.length](numberForms[(n + a) % numberForms.length](inv.number), inv.partner), counterparty: '', account: '', truth: [inv.id], partner: inv.partner })));
  });
  // An amount alone (no code, no payer account): exactly one invoice of the books has it open.
  const plainTexts = ['CK tien hang', 'Chuyen tien', 'NOP TIEN MAT', 'thanh toan', 'IBFT chuyen tien'];
  uniqueAmount.forEach((inv, n) => {
    specs.push(generate((a) => ({ kind: 'amount', ft: ft(), amount: inv.total, description: plainTexts[(n + a) % plainTexts.length], counterparty: n % 2 ? rng.pick(['NGUYEN VAN HUNG', 'TRAN THI MAI', 'LE VAN TAM', 'PHAM THI HOA']) : '', account: '', truth: [inv.id], partner: inv.partner })));
  });
  // Payer-account customers: one transfer for their oldest invoices, then single invoices (the truth is decided in statement order below).
  const payerLines: Array<{ partner: Partner; several: boolean }> = [];
  partners.filter((p) => p.group === 'payer').forEach((p, i) => {
    payerLines.push({ partner: p, several: true }, { partner: p, several: false }, { partner: p, several: false });
    if (i % 2 === 0) payerLines.push({ partner: p, several: false });
  });
  const payerTexts = ['CHUYEN KHOAN', 'TT tien hang', 'thanh toan cong no thang 10', 'IBFT', 'chuyen tien mua hang'];
  // Noise: fees and money out, money in that pays no invoice.
  const notAnInvoiceAmount = (): bigint => {
    for (;;) {
      const x = BigInt((10 + rng.int(9_000)) * 1000 + rng.pick([0, 123, 500]));
      if (!totals.has(x)) return x;
    }
  };
  const noise: Array<Omit<Spec, 'date'>> = [];
  for (let n = 0; n < 70; n++) {
    const kind = n % 7;
    noise.push(generate((a) => {
      if (kind <= 1) return { kind: 'noise', ft: ft(), amount: -BigInt(rng.pick([11_000, 22_000, 5_500, 3_300])), description: ['Phí chuyển tiền', 'Phí quản lý tài khoản', 'Phi SMS banking'][(n + a) % 3], counterparty: '', account: '', truth: null };
      if (kind <= 3) return { kind: 'noise', ft: ft(), amount: -notAnInvoiceAmount(), description: ['Chuyen tien cho NCC Hoa Binh', 'Tra luong thang 10', 'Nop thue GTGT quy 3'][(n + a) % 3], counterparty: '', account: '', truth: null };
      if (kind <= 5) return { kind: 'noise', ft: ft(), amount: notAnInvoiceAmount(), description: ['Lai tien gui thang 10', 'Hoan tien giao dich', 'CK khong ro noi dung'][(n + a) % 3], counterparty: '', account: '', truth: null };
      return { kind: 'noise', ft: ft(), amount: notAnInvoiceAmount(), description: 'CHUYEN KHOAN', counterparty: 'NGUYEN VAN BINH', account: String(9_704_000_000_000 + n * 7_777), truth: null };
    }));
  }

  // Statement order: everything shuffled; payer-account truths follow from what is open when the line comes.
  const order = rng.shuffle([...specs.map((s) => ({ s })), ...noise.map((s) => ({ s })), ...payerLines.map((p) => ({ p }))]);
  const openOf = new Map<Partner, Invoice[]>();
  for (const i of invoices) if (i.partner.group === 'payer') openOf.set(i.partner, [...(openOf.get(i.partner) ?? []), i]);
  for (const list of openOf.values()) list.sort((a, b) => (a.due < b.due ? -1 : 1));
  const lines: Spec[] = [];
  const statementDate = (i: number, n: number) => addDays('2026-11-02', Math.floor((i * 22) / n));
  for (const entry of order) {
    const date = statementDate(lines.length, order.length);
    if ('s' in entry) { lines.push({ ...entry.s, date }); continue; }
    const { partner, several } = entry.p;
    const open = openOf.get(partner)!;
    const unique = (amount: bigint) => open.filter((i) => i.total === amount).length === 1;
    let chosen: Invoice[] | null = null;
    if (several) {
      for (let k = 2; k <= Math.min(4, open.length) && !chosen; k++) {
        const sum = open.slice(0, k).reduce((a, i) => a + i.total, 0n);
        if (!open.some((i) => i.total === sum)) chosen = open.slice(0, k);
      }
    }
    if (!chosen) {
      const candidates = open.filter((i) => unique(i.total));
      if (candidates.length === 0) continue;
      chosen = [rng.pick(candidates)];
    }
    for (const c of chosen) open.splice(open.indexOf(c), 1);
    const amount = chosen.reduce((a, i) => a + i.total, 0n);
    const s = generate((a) => ({ kind: chosen!.length > 1 ? 'several-invoices' : 'payer-account', ft: ft(), amount, description: payerTexts[(lines.length + a) % payerTexts.length], counterparty: lines.length % 3 ? payerName(partner) : '', account: accountAsWritten(partner.accounts[0]), truth: chosen!.map((i) => i.id).sort(), partner }));
    lines.push({ ...s, date });
  }

  // ---- The CSV export ------------------------------------------------------------------
  let balance = 500_000_000n;
  const rows = lines.map((l, i) => {
    balance += l.amount;
    const [day, month, year] = [l.date.slice(8, 10), l.date.slice(5, 7), l.date.slice(0, 4)];
    return [String(i + 1), `${day}/${month}/${year}`, l.ft, l.amount < 0n ? vnd(l.amount) : '', l.amount > 0n ? vnd(l.amount) : '', vnd(balance), l.account, l.counterparty, l.description]
      .map((c) => `"${c}"`).join(',');
  });
  const file = Buffer.from('\ufeff' + [
    'SAO KÊ TÀI KHOẢN,,,,,,,,',
    'Số tài khoản: 0071000123456,,,,,,,,',
    'Loại tiền: VND,,,,,,,,',
    'STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Số tài khoản đối ứng,Tên đối ứng,Nội dung',
    ...rows,
  ].join('\r\n'), 'utf8');

  const t0 = performance.now();
  const res = await h.app.inject({ method: 'POST', url: `${BASE}/statements?format=csv`, payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/csv' } });
  const importMs = performance.now() - t0;
  t.equal(res.statusCode, 201, res.body.slice(0, 500));
  if (res.statusCode !== 201) return;
  const result = res.json();
  t.equal(result.imported, lines.length, 'every line imported');

  const got: any[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = ok<any[]>(await h.request('GET', `${BASE}/statements/${result.id}/lines?limit=1000&offset=${offset}`));
    got.push(...page);
    if (page.length < 1000) break;
  }
  t.equal(got.length, lines.length, 'every line read back');

  // ---- Compare with the truth ------------------------------------------------------------
  const byFt = new Map(lines.map((l) => [l.ft, l]));
  const same = (a: string[], b: string[] | null) => b !== null && a.length === b.length && a.every((x, i) => x === b[i]);
  const perRule = new Map(RULES.map((r) => [r, { lines: 0, matched: 0, matchedRight: 0, suggested: 0, suggestedRight: 0 }]));
  const perKind = new Map<Kind, { lines: number; matched: number; suggested: number; wrong: number; missed: number; asExpected: number }>();
  let matched = 0, matchedRight = 0, covered = 0, answerable = 0, noiseMatched = 0;
  const wrong: string[] = [];
  const allocated = new Map<string, bigint>();
  const paidByPartner = new Map<string, bigint>();
  for (const line of got) {
    const spec = byFt.get(line.reference)!;
    const rule = line.rule ?? 'none';
    const r = perRule.get(rule) ?? { lines: 0, matched: 0, matchedRight: 0, suggested: 0, suggestedRight: 0 };
    perRule.set(rule, r);
    const k = perKind.get(spec.kind) ?? { lines: 0, matched: 0, suggested: 0, wrong: 0, missed: 0, asExpected: 0 };
    perKind.set(spec.kind, k);
    r.lines++; k.lines++;
    if (rule === EXPECTED_RULE[spec.kind]) k.asExpected++;
    if (spec.truth) answerable++;
    if (line.matchState === 'matched') {
      const ids = [...new Set(line.matches.flatMap((m: any) => m.invoices.map((i: any) => i.id as string)))].sort() as string[];
      const right = same(ids, spec.truth);
      matched++; r.matched++;
      if (right) { matchedRight++; r.matchedRight++; covered++; k.matched++; } else { k.wrong++; wrong.push(`${spec.kind} ${spec.ft} '${spec.description}' matched by ${rule} to ${ids.length} invoice(s), truth ${spec.truth?.length ?? 'none'}`); }
      if (spec.kind === 'noise') noiseMatched++;
      for (const m of line.matches) for (const i of m.invoices) allocated.set(i.id, (allocated.get(i.id) ?? 0n) + BigInt(i.amount));
      paidByPartner.set(line.partner.id, (paidByPartner.get(line.partner.id) ?? 0n) + BigInt(line.amount));
    } else if (line.matchState === 'suggested') {
      const ids = (line.suggestions[0]?.invoices ?? []).map((i: any) => i.id as string).sort();
      const right = same(ids, spec.truth);
      r.suggested++;
      if (right) { r.suggestedRight++; covered++; k.suggested++; } else if (spec.truth) k.missed++;
    } else if (spec.truth) k.missed++;
  }
  const precision = matched === 0 ? 1 : matchedRight / matched;
  const coverage = covered / answerable;

  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const pad = (cells: Array<string | number>, widths: number[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  const w1 = [24, 6, 8, 8, 10, 10, 10];
  t.comment(`imported ${lines.length} lines in ${Math.round(importMs)} ms: ${result.autoMatched} auto-matched, ${result.suggested} suggested`);
  t.comment(pad(['rule (tier)', 'lines', 'matched', 'correct', 'precision', 'suggested', 'correct'], w1));
  for (const [rule, r] of perRule) {
    t.comment(pad([rule, r.lines, r.matched, r.matchedRight, r.matched ? pct(r.matchedRight / r.matched) : '-', r.suggested, r.suggestedRight], w1));
  }
  const w2 = [18, 6, 9, 11, 7, 7, 9, 16];
  t.comment(pad(['kind (truth)', 'lines', 'matched✓', 'suggested✓', 'wrong', 'missed', 'recall', 'expected rule'], w2));
  for (const kind of Object.keys(EXPECTED_RULE) as Kind[]) {
    const k = perKind.get(kind);
    if (!k) continue;
    t.comment(pad([kind, k.lines, k.matched, k.suggested, k.wrong, k.missed, kind === 'noise' ? '-' : pct((k.matched + k.suggested) / k.lines), `${EXPECTED_RULE[kind]} ${k.asExpected}/${k.lines}`], w2));
  }
  t.comment(`precision of auto-applied matches ${pct(precision)} (${matchedRight}/${matched}); matched or correctly suggested ${pct(coverage)} (${covered}/${answerable})`);
  for (const w of wrong.slice(0, 10)) t.comment(`wrong: ${w}`);

  t.ok(precision >= 0.999, `precision ${pct(precision)} ≥ 99.9 %`);
  t.ok(coverage >= 0.9, `coverage ${pct(coverage)} ≥ 90 %`);
  t.equal(noiseMatched, 0, 'no noise line is matched');
  t.equal(result.autoMatched, matched, 'the import reports the matched lines');

  // ---- The books --------------------------------------------------------------------------
  const byId = new Map(invoices.map((i) => [i.id, i]));
  const touched = [...allocated.keys()];
  const views = await Promise.all(touched.map(async (id) => ok(await h.request('GET', `/api/ledger/invoices/${id}`))));
  let states = 0;
  const off: string[] = [];
  views.forEach((v, n) => {
    const inv = byId.get(touched[n])!;
    const left = inv.total - allocated.get(inv.id)!;
    const expected = left === 0n ? 'paid' : 'partial';
    if (v.paymentState === expected && BigInt(v.residual) === left) states++;
    else off.push(`${inv.number}: ${v.paymentState} ${v.residual}, expected ${expected} ${left}`);
  });
  t.equal(states, touched.length, `invoices settled by matched lines are paid (partly paid ones partial): ${off.slice(0, 5).join('; ')}`);
  t.ok(views.filter((v) => v.paymentState === 'paid').length > 200, 'most of them paid');
  const balancesOff: string[] = [];
  for (const p of partners) {
    const view = ok(await h.request('GET', `/api/ledger/partners/${p.ref}`));
    const invoiced = invoices.filter((i) => i.partner === p).reduce((a, i) => a + i.total, 0n);
    const expected = invoiced - (paidByPartner.get(view.id) ?? 0n);
    if (BigInt(view.balance) !== expected) balancesOff.push(`${p.ref}: ${view.balance}, expected ${expected}`);
  }
  t.same(balancesOff, [], 'partner balances = invoiced − matched amounts');
  t.comment(`whole test ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
