import {
  alertsBackoffStrategy,
  WEBHOOK_BACKOFF,
  webhookAttempts,
  webhookRetryDelay,
} from '#src/modules/alerts/webhook-backoff';

describe('webhook delivery backoff', () => {
  it.each([
    [1, 10_000],
    [2, 20_000],
    [9, 2_560_000],
    [10, 3_600_000],
    [30, 3_600_000],
  ])('waits base x 2^(n-1), capped at 1 h, after failed attempt %i', (attemptsMade, expected) => {
    expect(webhookRetryDelay(attemptsMade, 10_000)).toBe(expected);
    expect(
      alertsBackoffStrategy(attemptsMade, WEBHOOK_BACKOFF, undefined, {
        opts: { backoff: { type: WEBHOOK_BACKOFF, delay: 10_000 } },
      }),
    ).toBe(expected);
  });

  it('retries for 24 h: 33 attempts with the default 10 s base, and the waits cover a day but not a day and an hour more', () => {
    for (const base of [10_000, 100, 60_000]) {
      const sut = webhookAttempts(base);
      const waits = Array.from({ length: sut - 1 }, (_, i) => webhookRetryDelay(i + 1, base));
      const total = waits.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(86_400_000);
      expect(total - waits[waits.length - 1]).toBeLessThan(86_400_000);
    }
    expect(webhookAttempts(10_000)).toBe(33);
  });

  it('leaves other backoff types to the shared strategy', () => {
    expect(
      alertsBackoffStrategy(1, 'capped-exponential', undefined, { opts: { backoff: { type: 'x', delay: 1000 } } }),
    ).toBe(1000);
    expect(() => alertsBackoffStrategy(1, 'nope')).toThrow(/unknown backoff type/);
  });
});
