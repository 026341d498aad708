/**
 * Quiet hours: messages go only inside the tenant's window (default 08:00–20:00, its time zone).
 * A window may pass midnight ("21:00"–"06:00"). What falls outside waits for the next opening.
 */

/** Minutes since midnight of an instant in a time zone, and that day's date. */
function clock(instant: Date, timeZone: string): { minutes: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(instant);
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  const minute = Number(parts.find((p) => p.type === 'minute')!.value);
  return { minutes: hour * 60 + minute };
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function insideWindow(instant: Date, timeZone: string, window: { from: string; to: string }): boolean {
  const now = clock(instant, timeZone).minutes;
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from === to) return true; // the same time twice: no quiet hours
  return from < to ? now >= from && now < to : now >= from || now < to;
}

/** `instant` if it is inside the window, else the window's next opening (to the minute). */
export function nextOpening(instant: Date, timeZone: string, window: { from: string; to: string }): Date {
  if (insideWindow(instant, timeZone, window)) return instant;
  const from = minutesOf(window.from);
  const now = clock(instant, timeZone).minutes;
  const wait = (from - now + 24 * 60) % (24 * 60);
  const start = new Date(Math.floor(instant.getTime() / 60_000) * 60_000 + wait * 60_000);
  // A time-zone change (none in Vietnam, but elsewhere) can shift the wall clock: walk to the opening.
  let at = start;
  for (let i = 0; i < 180 && !insideWindow(at, timeZone, window); i++) at = new Date(at.getTime() + 60_000);
  return at;
}
