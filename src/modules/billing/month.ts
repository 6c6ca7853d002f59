/** The UTC calendar month (`YYYY-MM`) an instant belongs to. */
export function utcMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}

const DAY_MS = 86_400_000;

/** Start of the UTC month `offset` months after the one `at` falls in, in epoch ms. */
function monthStart(at: number, offset: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1);
}

/**
 * The two months a call admitted around `nowMs` (this process's clock) may count in, for the admission script
 * to choose from by Redis server time: within a day of a month boundary, the months on both sides of it;
 * otherwise the current month twice. `startA` ≤ Redis time < `endB` must hold, else the script asks again.
 */
export interface MonthCandidates {
  a: string;
  b: string;
  startA: number;
  startB: number;
  endB: number;
}

export function monthCandidates(nowMs: number): MonthCandidates {
  const start = monthStart(nowMs, 0);
  const next = monthStart(nowMs, 1);
  const month = (ms: number): string => utcMonth(new Date(ms));
  if (nowMs >= next - DAY_MS) {
    return { a: month(start), b: month(next), startA: start, startB: next, endB: monthStart(nowMs, 2) };
  }
  if (nowMs < start + DAY_MS) {
    const prev = monthStart(nowMs, -1);
    return { a: month(prev), b: month(start), startA: prev, startB: start, endB: next };
  }
  return { a: month(start), b: month(start), startA: start, startB: start, endB: next };
}
