/**
 * Deterministic data for benchmarks: a seeded generator (mulberry32), so a size always means
 * the same rows, run after run and machine after machine.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  /** A version-4-shaped UUID drawn from this generator. */
  uuid(): string;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const hex = (digits: number): string => {
    let s = '';
    for (let i = 0; i < digits; i++) s += int(16).toString(16);
    return s;
  };
  return {
    next,
    int,
    pick: (items) => items[int(items.length)],
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + int(4)).toString(16)}${hex(3)}-${hex(12)}`,
  };
}

const ACTIONS = ['Gọi lại cho', 'Gửi email nhắc', 'Hẹn gặp', 'Xác nhận với', 'Nhắn Zalo cho', 'Call back', 'Email reminder to'] as const;
const PEOPLE = ['anh Minh', 'chị Lan', 'kế toán trưởng', 'bộ phận mua hàng', 'giám đốc tài chính', 'Ms. Hoa', 'Mr. Tuan'] as const;
const TOPICS = ['về hoá đơn', 'về công nợ quá hạn', 'về đối chiếu công nợ', 'về lịch thanh toán', 'about invoice', 'about the overdue balance'] as const;

/** `count` notes of a tenant, newest last: ids, texts and creation times fixed by `seed`. */
export function generateNotes(rng: Rng, count: number, start = Date.UTC(2025, 0, 2, 1, 0, 0)): Array<{ id: string; text: string; createdAt: string }> {
  const notes = new Array<{ id: string; text: string; createdAt: string }>(count);
  let at = start;
  for (let i = 0; i < count; i++) {
    at += 1000 * (5 + rng.int(600)); // 5 s – 10 min apart
    const invoice = String(1 + rng.int(99_999)).padStart(7, '0');
    notes[i] = { id: rng.uuid(), text: `${rng.pick(ACTIONS)} ${rng.pick(PEOPLE)} ${rng.pick(TOPICS)} ${invoice}`, createdAt: new Date(at).toISOString() };
  }
  return notes;
}
