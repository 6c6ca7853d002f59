import type { UsageOverview } from '../api/types';

export type OverviewBucket = UsageOverview['bucket'];
export type OverviewRangeId = '24h' | '7d' | '30d';

export interface OverviewRange {
  id: OverviewRangeId;
  label: string;
  /** `[from, to)`, ISO-8601 UTC. */
  from: string;
  to: string;
  bucket: OverviewBucket;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const OVERVIEW_RANGES: readonly { id: OverviewRangeId; label: string }[] = [
  { id: '24h', label: 'Last 24 hours' },
  { id: '7d', label: 'Last 7 days' },
  { id: '30d', label: 'Last 30 days' },
];

/**
 * The range the overview asks for. Its end is rounded up to the next whole hour (hours) or UTC day (days), so the
 * buckets are whole and the query stays the same for the rest of the hour (one cache entry, not one per render).
 * Seven days are charted per hour: per day, seven points would hide a bad hour's latency.
 */
export function overviewRange(id: OverviewRangeId, now = Date.now()): OverviewRange {
  const label = OVERVIEW_RANGES.find((r) => r.id === id)?.label ?? id;
  if (id === '30d') {
    const to = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
    return { id, label, from: iso(to - 30 * DAY_MS), to: iso(to), bucket: 'day' };
  }
  const to = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  const hours = id === '24h' ? 24 : 7 * 24;
  return { id, label, from: iso(to - hours * HOUR_MS), to: iso(to), bucket: 'hour' };
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
