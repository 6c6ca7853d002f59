import { formatReset } from '#src/modules/ratelimit/rate-limit-headers';

describe('formatReset', () => {
  it.each([
    [0, '0s'],
    [17, '17ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1001, '2s'],
    [59_500, '1m0s'],
    [360_000, '6m0s'],
    [3_723_000, '1h2m3s'],
  ])('%i ms → %s', (ms, expected) => {
    expect(formatReset(ms)).toBe(expected);
  });
});
