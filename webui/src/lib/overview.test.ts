import { describe, expect, it } from 'vitest';
import type { UsageOverview } from '../api/types';
import {
  bucketStarts,
  customRange,
  errorRate,
  overviewCharts,
  overviewRange,
  overviewRows,
  rangeDays,
} from './overview';

const stats = { requests: 0, errors: 0, cost_usd: '0', p50_latency_ms: null, p95_latency_ms: null };

const overview = (patch: Partial<UsageOverview>): UsageOverview => ({
  from: '2026-12-05T08:00:00.000Z',
  to: '2026-12-05T12:00:00.000Z',
  bucket: 'hour',
  series: [],
  totals: stats,
  top_keys: [],
  top_models: [],
  top_teams: [],
  ...patch,
});

describe('overview ranges', () => {
  const now = Date.parse('2026-12-06T07:25:10Z');

  it('ends the last 24 hours at the next whole hour, per hour', () => {
    expect(overviewRange('24h', now)).toMatchObject({
      from: '2026-12-05T08:00:00.000Z',
      to: '2026-12-06T08:00:00.000Z',
      bucket: 'hour',
      label: 'Last 24 hours',
    });
  });

  it('charts seven days per hour and thirty per whole UTC day', () => {
    expect(overviewRange('7d', now)).toMatchObject({ from: '2026-11-29T08:00:00.000Z', bucket: 'hour' });
    expect(overviewRange('30d', now)).toMatchObject({
      from: '2026-11-07T00:00:00.000Z',
      to: '2026-12-07T00:00:00.000Z',
      bucket: 'day',
    });
  });

  it('charts ninety days per whole UTC day', () => {
    expect(overviewRange('90d', now)).toMatchObject({
      from: '2026-09-08T00:00:00.000Z',
      to: '2026-12-07T00:00:00.000Z',
      bucket: 'day',
      label: 'Last 90 days',
    });
  });

  it('stays the same query within the hour', () => {
    expect(overviewRange('24h', now)).toEqual(overviewRange('24h', Date.parse('2026-12-06T07:59:59Z')));
  });

  it('lists every bucket of [from, to)', () => {
    expect(
      bucketStarts('2026-12-05T08:00:00Z', '2026-12-05T11:00:00Z', 'hour').map((t) => new Date(t).toISOString()),
    ).toEqual(['2026-12-05T08:00:00.000Z', '2026-12-05T09:00:00.000Z', '2026-12-05T10:00:00.000Z']);
    expect(bucketStarts('2026-11-07T00:00:00Z', '2026-12-07T00:00:00Z', 'day')).toHaveLength(30);
  });
});

describe('custom overview ranges', () => {
  const now = Date.parse('2026-12-06T07:25:10Z');
  const error = (from: string, until: string) => customRange(from, until, now).error;

  it('covers whole UTC days, both included, per hour up to seven days', () => {
    expect(customRange('2026-11-20', '2026-11-26', now).range).toEqual({
      id: 'custom',
      label: '2026-11-20 to 2026-11-26',
      from: '2026-11-20T00:00:00.000Z',
      to: '2026-11-27T00:00:00.000Z',
      bucket: 'hour',
    });
    expect(customRange('2026-11-20', '2026-11-20', now).range).toMatchObject({
      label: '2026-11-20',
      to: '2026-11-21T00:00:00.000Z',
      bucket: 'hour',
    });
  });

  it('charts more than seven days per day, up to the 93 days the API answers', () => {
    expect(customRange('2026-11-19', '2026-11-26', now).range?.bucket).toBe('day');
    expect(customRange('2026-09-05', '2026-12-06', now).range).toMatchObject({
      from: '2026-09-05T00:00:00.000Z',
      bucket: 'day',
    });
  });

  it('ends a range that ends today at the next whole hour: no bucket in the future', () => {
    expect(customRange('2026-12-05', '2026-12-06', now).range).toMatchObject({
      from: '2026-12-05T00:00:00.000Z',
      to: '2026-12-06T08:00:00.000Z',
      bucket: 'hour',
    });
    const rows = bucketStarts('2026-12-05T00:00:00.000Z', '2026-12-06T08:00:00.000Z', 'hour');
    expect(rows).toHaveLength(32);
  });

  it.each([
    ['', '2026-12-01', 'Choose the first day of the range.'],
    ['2026-12-01', '', 'Choose the last day of the range.'],
    ['2026-02-30', '2026-03-02', 'Choose the first day of the range.'],
    ['12/01/2026', '2026-12-02', 'Choose the first day of the range.'],
    ['2026-12-03', '2026-12-02', 'The first day is after the last day: choose a start on or before the end.'],
    ['2026-12-01', '2026-12-07', 'The last day is in the future: choose 2026-12-06 (today, UTC) or earlier.'],
    ['2026-09-04', '2026-12-06', 'That is 94 days; the overview covers at most 93 days at a time.'],
  ])('refuses from %j until %j in plain words', (from, until, message) => {
    expect(error(from, until)).toBe(message);
    expect(customRange(from, until, now).range).toBeUndefined();
  });

  it('shows a range as the first and last day it touches, for the date inputs', () => {
    expect(rangeDays(overviewRange('24h', now))).toEqual({ fromDay: '2026-12-05', untilDay: '2026-12-06' });
    expect(rangeDays(overviewRange('30d', now))).toEqual({ fromDay: '2026-11-07', untilDay: '2026-12-06' });
  });
});

describe('overview series', () => {
  it('computes the error rate as a percentage, and none without calls', () => {
    expect(errorRate(3, 120)).toBe(2.5);
    expect(errorRate(1, 3)).toBe(33.33);
    expect(errorRate(0, 0)).toBeNull();
  });

  it('fills hours without calls with zero calls, no rate and no latency', () => {
    const rows = overviewRows(
      overview({
        series: [
          {
            t: '2026-12-05T09:00:00Z',
            requests: 40,
            errors: 2,
            cost_usd: '0.0421',
            p50_latency_ms: 640,
            p95_latency_ms: 2210,
          },
          { t: '2026-12-05T11:00:00Z', requests: 4, errors: 4, cost_usd: '0', p50_latency_ms: 12, p95_latency_ms: 30 },
        ],
      }),
    );
    expect(rows.map((r) => [r.label, r.requests, r.errors, r.errorRate, r.p50, r.p95, r.cost])).toEqual([
      ['12-05 08:00', 0, 0, null, null, null, 0],
      ['12-05 09:00', 40, 2, 5, 640, 2210, 0.0421],
      ['12-05 10:00', 0, 0, null, null, null, 0],
      ['12-05 11:00', 4, 4, 100, 12, 30, 0],
    ]);
  });

  it('labels day buckets by date', () => {
    const rows = overviewRows(
      overview({ from: '2026-12-04T00:00:00.000Z', to: '2026-12-06T00:00:00.000Z', bucket: 'day' }),
    );
    expect(rows.map((r) => r.label)).toEqual(['12-04', '12-05']);
  });

  it('turns the rows into the calls / error rate, latency and cost charts', () => {
    const rows = overviewRows(
      overview({
        to: '2026-12-05T10:00:00.000Z',
        series: [
          {
            t: '2026-12-05T08:00:00Z',
            requests: 10,
            errors: 1,
            cost_usd: '1.5',
            p50_latency_ms: 100,
            p95_latency_ms: 300,
          },
        ],
      }),
    );
    const charts = overviewCharts(rows);
    expect(charts.labels).toEqual(['12-05 08:00', '12-05 09:00']);
    expect(charts.calls).toEqual([
      { label: 'Calls', data: [10, 0], kind: 'bar' },
      { label: 'Error rate (%)', data: [10, null], kind: 'line', right: true },
    ]);
    expect(charts.latency.map((s) => s.data)).toEqual([
      [100, null],
      [300, null],
    ]);
    expect(charts.cost[0].data).toEqual([1.5, 0]);
  });
});
