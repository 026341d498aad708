/**
 * A company works in its language: the levels seeded on enable are named in the tenant's language
 * (vi-VN, zh, ar; English otherwise), and a partner's status gives its reasons in the language
 * asked for (Accept-Language), else the company's. Machine-readable fields do not change.
 */
import t from 'tap';
import { BASE, followUpApp, invoice, levels, ok, partner } from './helpers.js';

const seeded = (ls: any[]) => ls.map((l) => [l.name, l.delay, l.activity?.note ?? null]);

t.test("the seeded levels and the call's note are in the company's language", async (t) => {
  const vi = await followUpApp(t);
  t.same(seeded(await levels(vi)), [
    ['Nhắc trước hạn thanh toán', -3, null],
    ['Đến hạn hôm nay', 0, null],
    ['Quá hạn 15 ngày', 15, 'Gọi điện cho khách hàng về các hóa đơn quá hạn'],
    ['Quá hạn 60 ngày: thông báo lần cuối', 60, null],
  ], 'vi-VN');
  const zh = await followUpApp(t, { tenant: { slug: 'huanan', locale: 'zh-CN' } });
  t.same(seeded(await levels(zh)), [
    ['到期前提醒', -3, null], ['今日到期', 0, null], ['逾期15天', 15, '致电客户催收逾期发票'], ['逾期60天：最后通知', 60, null],
  ], 'zh-CN');
  const ar = await followUpApp(t, { tenant: { slug: 'gulf', locale: 'ar-AE' } });
  t.same(seeded(await levels(ar)), [
    ['تذكير قبل تاريخ الاستحقاق', -3, null], ['مستحق اليوم', 0, null], ['متأخر 15 يومًا', 15, 'الاتصال بالعميل بشأن الفواتير المتأخرة'], ['متأخر 60 يومًا: إشعار نهائي', 60, null],
  ], 'ar-AE');
  const en = await followUpApp(t, { tenant: { slug: 'saigon-imports', locale: 'en-US' } });
  t.same(seeded(await levels(en)), [
    ['Reminder before the due date', -3, null], ['Due today', 0, null], ['15 days overdue', 15, 'Call the customer about the overdue invoices'], ['60 days overdue: final notice', 60, null],
  ], 'en-US');
  const fr = await followUpApp(t, { tenant: { slug: 'paris', locale: 'fr-FR' } });
  t.equal((await levels(fr))[0].name, 'Reminder before the due date', 'a language without a catalogue: English');
});

t.test('the reasons follow Accept-Language, else the company\'s language; the codes do not change', async (t) => {
  const h = await followUpApp(t);
  const p = await partner(h, 'KH01');
  const inv = await invoice(h, 'KH01', '1100000', '2026-03-01', '2026-03-31');
  const get = (language?: string) => h.request('GET', `${BASE}/partners/${p.id}?date=2026-04-20`, undefined, language ? { headers: { 'accept-language': language } } : {});

  const asCompany = await get();
  t.equal(asCompany.headers['content-language'], 'vi');
  t.same(asCompany.json().reasons, [
    '1 khoản còn mở, tổng cộng 1100000 VND; 1 khoản quá hạn vào ngày 2026-04-20 (1100000 VND).',
    `${inv.number}: còn phải trả 1100000 VND, hạn 2026-03-31 (quá hạn 20 ngày).`,
    `Khoản cũ nhất đang theo dõi là ${inv.number}, hạn 2026-03-31: quá hạn 20 ngày vào ngày 2026-04-20.`,
    "Quy tắc cấp: cấp cao nhất của kế hoạch 'default' có số ngày không quá 20 là 'Quá hạn 15 ngày' (15 ngày).",
    "Cấp 'Quá hạn 15 ngày' đến lúc thực hiện (email, việc cần làm: gọi điện): lần chạy tới sẽ gửi.",
  ], 'no Accept-Language: the company\'s language (vi-VN)');

  const english = await get('en-GB,en;q=0.9');
  t.equal(english.headers['content-language'], 'en');
  t.same(english.json().reasons, [
    '1 open item, 1100000 VND in all; 1 overdue on 2026-04-20 (1100000 VND).',
    `${inv.number}: 1100000 VND open, due 2026-03-31 (20 days overdue).`,
    `The oldest item followed up is ${inv.number}, due 2026-03-31: 20 days overdue on 2026-04-20.`,
    "Level rule: the highest level of plan 'default' whose delay is at most 20 is 'Quá hạn 15 ngày' (15 days).",
    "Level 'Quá hạn 15 ngày' is due now (email, call activity): the next run sends it.",
  ], 'the level names are the company\'s data, as stored');

  const chinese = await get('zh-CN,zh;q=0.9,en;q=0.8');
  t.equal(chinese.headers['content-language'], 'zh');
  t.match(chinese.json().reasons, [
    /^1 笔未结款项，合计 1100000 VND；截至 2026-04-20 有 1 笔逾期（1100000 VND）。$/,
    /（逾期 20 天）。$/,
    /^正在催收的最早款项是 /,
    /^级别规则：/,
    /^级别“Quá hạn 15 ngày”现在到期（电子邮件，电话任务）：下一次运行将发送。$/,
  ]);
  const arabic = await get('ar');
  t.equal(arabic.headers['content-language'], 'ar');
  t.match(arabic.json().reasons[1], /متأخر 20 يومًا/);
  t.match(arabic.json().reasons[0], /^بند مفتوح واحد، بإجمالي 1100000 VND/);

  t.equal((await get('fr-FR, en;q=0.5')).json().reasons[0], '1 open item, 1100000 VND in all; 1 overdue on 2026-04-20 (1100000 VND).', 'the first language a catalogue has');
  t.equal((await get('fr-FR')).headers['content-language'], 'vi', 'none: the company\'s');
  for (const res of [asCompany, english, chinese, arabic]) {
    t.match(res.json(), { status: 'in_need_of_action', level: { name: 'Quá hạn 15 ngày', delay: 15 }, nextActionDate: '2026-04-20' }, 'the same codes in every language');
  }

  const put = await h.request('PUT', `${BASE}/partners/KH01`, { plan: null }, { headers: { 'accept-language': 'en' } });
  t.equal(put.headers['content-language'], 'en');
  t.match(put.json().reasons[0], /^1 open item/, 'setting the plan answers in the language asked for too');
});

t.test('plural forms: Arabic and English count days and items by their rules', async (t) => {
  const h = await followUpApp(t, { tenant: { slug: 'gulf', locale: 'ar' } });
  const p = await partner(h, 'AR01', { lang: 'ar' });
  await invoice(h, 'AR01', '100000', '2026-03-01', '2026-04-19');
  await invoice(h, 'AR01', '200000', '2026-03-01', '2026-04-18');
  const reasons = ok(await h.request('GET', `${BASE}/partners/${p.id}?date=2026-04-20`)).reasons as string[];
  t.match(reasons[0], /^بندان مفتوحان، بإجمالي 300000 VND/, 'two: the dual');
  t.match(reasons.join('\n'), /متأخر يومان/, 'two days');
  t.match(reasons.join('\n'), /متأخر يوم واحد/, 'one day');
  const en = ok(await h.request('GET', `${BASE}/partners/${p.id}?date=2026-04-20`, undefined, { headers: { 'accept-language': 'en' } })).reasons as string[];
  t.match(en[0], /^2 open items, 300000 VND in all/);
  t.match(en.join('\n'), /\(1 day overdue\)/);
});
