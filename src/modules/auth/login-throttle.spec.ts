import { lockoutMs } from '#src/modules/auth/login-throttle.service';

describe('lockoutMs', () => {
  it.each([
    [1, 0],
    [4, 0],
    [5, 30_000],
    [6, 60_000],
    [7, 120_000],
    [11, 1_920_000],
    [12, 3_600_000],
    [50, 3_600_000],
  ])('after %i consecutive failures locks for %i ms', (failures, expected) => {
    expect(lockoutMs(failures)).toBe(expected);
  });
});
