/**
 * Budget periods (SPEC §13): calendar UTC days, ISO weeks (from Monday) and months. A period is named by an id
 * `<kind>:<first day>` — `day:2026-12-06`, `week:2026-11-30`, `month:2026-12` — used in Redis key names, in
 * the `budget_spend` aggregate and in alert event ids.
 */
export const PERIOD_KINDS = ['day', 'week', 'month'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

const DAY_MS = 86_400_000;

export function isPeriodKind(v: unknown): v is PeriodKind {
  return typeof v === 'string' && (PERIOD_KINDS as readonly string[]).includes(v);
}

/** Start (epoch ms) of the period of `kind` that is `offset` periods after the one `at` falls in. */
export function periodStart(kind: PeriodKind, at: number, offset = 0): number {
  const d = new Date(at);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  if (kind === 'month') return Date.UTC(y, m + offset, 1);
  if (kind === 'day') return Date.UTC(y, m, day + offset);
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return Date.UTC(y, m, day - sinceMonday + 7 * offset);
}

const HOUR_MS = 3_600_000;

/**
 * Results that hold for a whole UTC day or hour, kept for the last few of them: every call asks for its periods
 * (dates and ISO strings cost more than a map lookup), and the answer only changes at a UTC midnight or hour.
 */
class TimeBucketMemo<T> {
  private readonly values = new Map<string, T>();

  get(kind: PeriodKind, bucket: number, compute: () => T): T {
    const id = `${kind}:${bucket}`;
    let value = this.values.get(id);
    if (value === undefined) {
      value = Object.freeze(compute());
      if (this.values.size >= 64) this.values.clear();
      this.values.set(id, value);
    }
    return value;
  }
}

const periodIds = new TimeBucketMemo<string>();

/** The id of the period of `kind` that `at` falls in. */
export function periodId(kind: PeriodKind, at: number | Date): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  // a period starts at a UTC midnight, so its id is the same for every instant of a UTC day
  return periodIds.get(kind, Math.floor(ms / DAY_MS), () => {
    const start = new Date(periodStart(kind, ms)).toISOString();
    return `${kind}:${kind === 'month' ? start.slice(0, 7) : start.slice(0, 10)}`;
  });
}

/** The kind and first instant of a period id. */
export function parsePeriod(id: string): { kind: PeriodKind; start: Date } {
  const [kind, day] = id.split(':') as [PeriodKind, string];
  return { kind, start: new Date(`${kind === 'month' ? `${day}-01` : day}T00:00:00Z`) };
}

/**
 * The two periods a call admitted around `nowMs` (this process's clock) may count in, for the admission script
 * to choose from by Redis server time: within a day of a period boundary, the periods on both sides of it;
 * otherwise the current period twice. `startA` ≤ Redis time < `endB` must hold, else the script asks again
 * around Redis time. (A day period is always next to a boundary: its candidates are today and a neighbour.)
 */
export interface PeriodCandidates {
  a: string;
  b: string;
  startA: number;
  startB: number;
  endB: number;
}

const candidateMemo = new TimeBucketMemo<PeriodCandidates>();

/** The same for every instant of a UTC hour: the choice below changes only at UTC midnights and noons. */
export function periodCandidates(kind: PeriodKind, nowMs: number): PeriodCandidates {
  return candidateMemo.get(kind, Math.floor(nowMs / HOUR_MS), () => computeCandidates(kind, nowMs));
}

/** periodCandidates without the memo (the spec checks the memo against it). */
export function computeCandidates(kind: PeriodKind, nowMs: number): PeriodCandidates {
  const start = periodStart(kind, nowMs);
  const next = periodStart(kind, nowMs, 1);
  const id = (ms: number): string => periodId(kind, ms);
  if (nowMs >= next - DAY_MS / 2 || (kind !== 'day' && nowMs >= next - DAY_MS)) {
    return { a: id(start), b: id(next), startA: start, startB: next, endB: periodStart(kind, nowMs, 2) };
  }
  if (nowMs < start + DAY_MS / 2 || (kind !== 'day' && nowMs < start + DAY_MS)) {
    const prev = periodStart(kind, nowMs, -1);
    return { a: id(prev), b: id(start), startA: prev, startB: start, endB: next };
  }
  return { a: id(start), b: id(start), startA: start, startB: start, endB: next };
}
