import type { UsageOverview } from '../api/types';

export type OverviewBucket = UsageOverview['bucket'];
export type OverviewRangeId = '24h' | '7d' | '30d' | '90d';

export interface OverviewRange {
  /** A preset, or `custom`: days chosen by hand. */
  id: OverviewRangeId | 'custom';
  label: string;
  /** `[from, to)`, ISO-8601 UTC. */
  from: string;
  to: string;
  bucket: OverviewBucket;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The longest range `GET /admin/usage/overview` answers (OVERVIEW_MAX_DAYS in the API's usage-overview.dto.ts). */
export const OVERVIEW_MAX_DAYS = 93;

/**
 * Spans up to this are charted per hour (at most 168 points), longer ones per day: per day, a week would be seven
 * points that hide a bad hour's latency; per hour, a month would be 720 bars too thin to read.
 */
const HOURLY_MAX_MS = 7 * DAY_MS;

export const bucketFor = (spanMs: number): OverviewBucket => (spanMs <= HOURLY_MAX_MS ? 'hour' : 'day');

export const OVERVIEW_RANGES: readonly { id: OverviewRangeId; label: string; days: number }[] = [
  { id: '24h', label: 'Last 24 hours', days: 1 },
  { id: '7d', label: 'Last 7 days', days: 7 },
  { id: '30d', label: 'Last 30 days', days: 30 },
  { id: '90d', label: 'Last 90 days', days: 90 },
];

/**
 * The range a preset asks for. Its end is rounded up to the next whole hour (hours) or UTC day (days), so the
 * buckets are whole and the query stays the same for the rest of the hour (one cache entry, not one per render).
 */
export function overviewRange(id: OverviewRangeId, now = Date.now()): OverviewRange {
  const preset = OVERVIEW_RANGES.find((r) => r.id === id) ?? OVERVIEW_RANGES[0];
  const span = preset.days * DAY_MS;
  const bucket = bucketFor(span);
  const step = bucket === 'hour' ? HOUR_MS : DAY_MS;
  const to = Math.floor(now / step) * step + step;
  return { id: preset.id, label: preset.label, from: iso(to - span), to: iso(to), bucket };
}

/** `YYYY-MM-DD` as UTC midnight (epoch ms), or null unless it is a real calendar day. */
function parseDay(day: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const t = Date.parse(`${day}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March 2: a day that does not come back unchanged does not exist
  return Number.isNaN(t) || iso(t).slice(0, 10) !== day ? null : t;
}

/** A range of whole UTC days chosen by hand: the range, or what is wrong with the days in plain words. */
export type CustomRangeResult = { range: OverviewRange; error?: undefined } | { error: string; range?: undefined };

/**
 * The days from `fromDay` to `untilDay`, both included (as the date inputs show them). Refused: a missing or
 * impossible day, a start after the end, an end after today (UTC), more than OVERVIEW_MAX_DAYS days. A range that
 * ends today ends at the next whole hour, so no bucket lies in the future.
 */
export function customRange(fromDay: string, untilDay: string, now = Date.now()): CustomRangeResult {
  const from = parseDay(fromDay);
  const until = parseDay(untilDay);
  if (from === null) return { error: 'Choose the first day of the range.' };
  if (until === null) return { error: 'Choose the last day of the range.' };
  if (from > until) return { error: 'The first day is after the last day: choose a start on or before the end.' };
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  if (until > today)
    return { error: `The last day is in the future: choose ${iso(today).slice(0, 10)} (today, UTC) or earlier.` };
  const days = (until - from) / DAY_MS + 1;
  if (days > OVERVIEW_MAX_DAYS)
    return { error: `That is ${days} days; the overview covers at most ${OVERVIEW_MAX_DAYS} days at a time.` };
  const to = Math.min(until + DAY_MS, Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS);
  return {
    range: {
      id: 'custom',
      label: fromDay === untilDay ? fromDay : `${fromDay} to ${untilDay}`,
      from: iso(from),
      to: iso(to),
      bucket: bucketFor(days * DAY_MS),
    },
  };
}

/** The first and last UTC day a range touches, as the custom range's date inputs show them. */
export function rangeDays(range: Pick<OverviewRange, 'from' | 'to'>): { fromDay: string; untilDay: string } {
  return { fromDay: range.from.slice(0, 10), untilDay: iso(Date.parse(range.to) - 1).slice(0, 10) };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Every bucket start in `[from, to)` (epoch ms), so buckets without calls are charted as such, not skipped. */
export function bucketStarts(from: string, to: string, bucket: OverviewBucket): number[] {
  const step = bucket === 'hour' ? HOUR_MS : DAY_MS;
  const start = Math.floor(Date.parse(from) / step) * step;
  const end = Date.parse(to);
  const out: number[] = [];
  for (let t = start; t < end && out.length < 3000; t += step) out.push(t);
  return out;
}

/** "12-06 07:00" per hour, "12-06" per day (UTC, like every date in the console). */
export function bucketLabel(t: number, bucket: OverviewBucket): string {
  const s = iso(t);
  return bucket === 'hour' ? `${s.slice(5, 10)} ${s.slice(11, 16)}` : s.slice(5, 10);
}

/** Errors as a percentage of calls; null without calls (no rate, rather than 0 %). */
export const errorRate = (errors: number, requests: number): number | null =>
  requests > 0 ? Math.round((errors / requests) * 10_000) / 100 : null;

export interface OverviewRow {
  t: number;
  label: string;
  requests: number;
  errors: number;
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  cost: number;
}

/** The API's series (buckets with calls only) over every bucket of the range, empty ones as 0 calls. */
export function overviewRows(overview: UsageOverview): OverviewRow[] {
  const byStart = new Map(overview.series.map((p) => [Date.parse(p.t), p]));
  return bucketStarts(overview.from, overview.to, overview.bucket).map((t) => {
    const p = byStart.get(t);
    return {
      t,
      label: bucketLabel(t, overview.bucket),
      requests: p?.requests ?? 0,
      errors: p?.errors ?? 0,
      errorRate: p ? errorRate(p.errors, p.requests) : null,
      p50: p?.p50_latency_ms ?? null,
      p95: p?.p95_latency_ms ?? null,
      cost: Number(p?.cost_usd ?? 0),
    };
  });
}

/** The series of the three overview charts, from the rows (latency and rate gaps stay null: no line drawn). */
export function overviewCharts(rows: OverviewRow[]) {
  return {
    labels: rows.map((r) => r.label),
    calls: [
      { label: 'Calls', data: rows.map((r) => r.requests), kind: 'bar' as const },
      { label: 'Error rate (%)', data: rows.map((r) => r.errorRate), kind: 'line' as const, right: true },
    ],
    latency: [
      { label: 'p50 latency (ms)', data: rows.map((r) => r.p50) },
      { label: 'p95 latency (ms)', data: rows.map((r) => r.p95) },
    ],
    cost: [{ label: 'Cost (USD)', data: rows.map((r) => r.cost) }],
  };
}

export const formatPercent = (value: number | null): string => (value === null ? '—' : `${value} %`);
export const formatMs = (value: number | null): string =>
  value === null ? '—' : `${new Intl.NumberFormat('en-US').format(value)} ms`;
