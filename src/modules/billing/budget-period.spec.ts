import {
  computeCandidates,
  parsePeriod,
  periodCandidates,
  periodId,
  periodStart,
} from '#src/modules/billing/budget-period';

const at = (iso: string): number => Date.parse(iso);

describe('budget periods', () => {
  it('names days, ISO weeks from Monday and months in UTC', () => {
    expect(periodId('day', at('2026-12-06T23:59:59.900Z'))).toBe('day:2026-12-06');
    expect(periodId('day', at('2026-12-07T00:00:00.000Z'))).toBe('day:2026-12-07');
    // 2026-12-06 is a Sunday: its week began on Monday 2026-11-30
    expect(periodId('week', at('2026-12-06T23:59:59.900Z'))).toBe('week:2026-11-30');
    expect(periodId('week', at('2026-12-07T00:00:00.000Z'))).toBe('week:2026-12-07');
    expect(periodId('week', at('2027-01-01T12:00:00Z'))).toBe('week:2026-12-28');
    expect(periodId('month', at('2026-12-31T23:59:59.999Z'))).toBe('month:2026-12');
    expect(periodId('month', at('2027-01-01T00:00:00Z'))).toBe('month:2027-01');
  });

  it('parses a period id back to its kind and start', () => {
    for (const kind of ['day', 'week', 'month'] as const) {
      const now = at('2026-12-06T15:00:00Z');
      const { kind: k, start } = parsePeriod(periodId(kind, now));
      expect(k).toBe(kind);
      expect(start.getTime()).toBe(periodStart(kind, now));
    }
  });

  it('offers the current period twice away from a boundary', () => {
    const c = periodCandidates('month', at('2026-12-05T12:00:00Z'));
    expect(c).toEqual({
      a: 'month:2026-12',
      b: 'month:2026-12',
      startA: at('2026-12-01T00:00:00Z'),
      startB: at('2026-12-01T00:00:00Z'),
      endB: at('2027-01-01T00:00:00Z'),
    });
    const w = periodCandidates('week', at('2026-12-02T12:00:00Z'));
    expect([w.a, w.b]).toEqual(['week:2026-11-30', 'week:2026-11-30']);
  });

  it('offers both sides near a boundary, and the boundary belongs to the later period', () => {
    for (const kind of ['day', 'week', 'month'] as const) {
      const c = periodCandidates(kind, at('2026-12-31T23:59:59.900Z') - (kind === 'week' ? 4 * 86_400_000 : 0));
      expect(c.a).not.toBe(c.b);
      expect(periodId(kind, c.startB)).toBe(c.b);
      expect(periodId(kind, c.startB - 1)).toBe(c.a);
      expect(c.endB).toBe(periodStart(kind, c.startB, 1));
    }
    const morning = periodCandidates('day', at('2026-12-06T03:00:00Z'));
    expect([morning.a, morning.b]).toEqual(['day:2026-12-05', 'day:2026-12-06']);
    const evening = periodCandidates('day', at('2026-12-06T20:00:00Z'));
    expect([evening.a, evening.b]).toEqual(['day:2026-12-06', 'day:2026-12-07']);
  });

  it('remembers periods and candidates per UTC day and hour without changing any answer', () => {
    // every 7 minutes (not a divisor of an hour) over 75 days spanning month, week and year boundaries, asked twice
    const from = at('2026-11-20T00:00:00Z');
    for (let t = from; t < from + 75 * 86_400_000; t += 7 * 60_000) {
      for (const kind of ['day', 'week', 'month'] as const) {
        const start = new Date(periodStart(kind, t)).toISOString();
        const id = `${kind}:${kind === 'month' ? start.slice(0, 7) : start.slice(0, 10)}`;
        expect(periodId(kind, t)).toBe(id);
        expect(periodId(kind, new Date(t))).toBe(id);
        expect(periodCandidates(kind, t)).toEqual(computeCandidates(kind, t));
        expect(periodCandidates(kind, t)).toEqual(computeCandidates(kind, t));
      }
    }
  });
});
