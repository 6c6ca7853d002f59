import Decimal from 'decimal.js';
import {
  FIXED_ZERO,
  fixedCeilNanos,
  fixedMax,
  fixedShift,
  fixedTimes,
  fixedToString,
} from '#src/modules/billing/fixed-point';

describe('fixed-point', () => {
  it('prints like decimal.js toFixed(): no exponent, no trailing zeros, leading zero for fractions', () => {
    expect(fixedToString(FIXED_ZERO)).toBe('0');
    expect(fixedToString({ units: 0n, scale: 12 })).toBe('0');
    expect(fixedToString({ units: 1500n, scale: 4 })).toBe('0.15');
    expect(fixedToString({ units: 1n, scale: 30 })).toBe(`0.${'0'.repeat(29)}1`);
    expect(fixedToString({ units: 1_200_000n, scale: 5 })).toBe('12');
    expect(fixedToString({ units: 123_456_789n, scale: 3 })).toBe('123456.789');
    for (const [units, scale] of [
      [7n, 9],
      [10n ** 20n + 3n, 18],
      [5n, 0],
    ] as const)
      expect(fixedToString({ units, scale })).toBe(new Decimal(`${units}e-${scale}`).toFixed());
  });

  it('rounds USD up to a whole nano-dollar, exactly at the boundary', () => {
    expect(fixedCeilNanos({ units: 1n, scale: 9 })).toBe(1);
    expect(fixedCeilNanos({ units: 1n, scale: 30 })).toBe(1);
    expect(fixedCeilNanos({ units: 10n ** 21n, scale: 30 })).toBe(1);
    expect(fixedCeilNanos({ units: 10n ** 21n + 1n, scale: 30 })).toBe(2);
    expect(fixedCeilNanos({ units: 3n, scale: 0 })).toBe(3_000_000_000);
    expect(fixedCeilNanos(FIXED_ZERO)).toBe(0);
  });

  it('compares across scales, multiplies and shifts exactly', () => {
    expect(fixedMax({ units: 15n, scale: 2 }, { units: 1_499n, scale: 4 })).toEqual({ units: 15n, scale: 2 });
    expect(fixedMax({ units: 15n, scale: 2 }, { units: 1_501n, scale: 4 })).toEqual({ units: 1_501n, scale: 4 });
    expect(fixedToString(fixedTimes({ units: 375n, scale: 4 }, 3))).toBe('0.1125');
    expect(fixedToString(fixedShift({ units: 15n, scale: 10 }, 9))).toBe('1.5');
    expect(fixedToString(fixedShift({ units: 15n, scale: 8 }, 9))).toBe('150');
    expect(fixedToString(fixedShift({ units: 15n, scale: 2 }, 9))).toBe('150000000');
  });
});
