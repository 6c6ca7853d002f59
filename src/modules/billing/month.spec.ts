import { monthCandidates, utcMonth } from '#src/modules/billing/month';

describe('monthCandidates', () => {
  it('offers only the current month away from a boundary', () => {
    const c = monthCandidates(Date.parse('2026-12-05T12:00:00Z'));
    expect(c).toEqual({
      a: '2026-12',
      b: '2026-12',
      startA: Date.parse('2026-12-01T00:00:00Z'),
      startB: Date.parse('2026-12-01T00:00:00Z'),
      endB: Date.parse('2027-01-01T00:00:00Z'),
    });
  });

  it('offers both sides of the boundary on the last day and on the first day of a month', () => {
    const last = monthCandidates(Date.parse('2026-12-31T23:59:59.900Z'));
    expect([last.a, last.b]).toEqual(['2026-12', '2027-01']);
    expect(last.startB).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(last.endB).toBe(Date.parse('2027-02-01T00:00:00Z'));
    const first = monthCandidates(Date.parse('2027-01-01T00:00:00.100Z'));
    expect([first.a, first.b]).toEqual(['2026-12', '2027-01']);
    expect(first.startA).toBe(Date.parse('2026-12-01T00:00:00Z'));
  });

  it('chooses by the instant: the boundary belongs to the later month', () => {
    const c = monthCandidates(Date.parse('2026-02-28T20:00:00Z'));
    expect(utcMonth(new Date(c.startB))).toBe(c.b);
    expect(utcMonth(new Date(c.startB - 1))).toBe(c.a);
  });
});
