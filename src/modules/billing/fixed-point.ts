/**
 * Exact non-negative decimals as `units × 10^-scale` with bigint units: the cost engine's per-call arithmetic
 * (SPEC §6). Prices are parsed once (decimal.js) into units of a scale that holds every one of them exactly, so
 * a call's cost is integer multiplication and addition, with no rounding until the nano-dollar ceiling.
 */
export interface Fixed {
  readonly units: bigint;
  readonly scale: number;
}

export const FIXED_ZERO: Fixed = { units: 0n, scale: 0 };

const POWERS: bigint[] = [1n];

/** 10^n as a bigint (n ≥ 0), remembered. */
export function pow10(n: number): bigint {
  for (let i = POWERS.length; i <= n; i++) POWERS.push(POWERS[i - 1] * 10n);
  return POWERS[n];
}

/** `f` in units of 10^-scale (scale ≥ f.scale: exact). */
function unitsAt(f: Fixed, scale: number): bigint {
  return f.units * pow10(scale - f.scale);
}

export function fixedMax(a: Fixed, b: Fixed): Fixed {
  const scale = Math.max(a.scale, b.scale);
  return unitsAt(a, scale) >= unitsAt(b, scale) ? a : b;
}

/** `f × n` for a non-negative integer `n`. */
export function fixedTimes(f: Fixed, n: number | bigint): Fixed {
  return { units: f.units * BigInt(n), scale: f.scale };
}

/** `f × 10^digits`. */
export function fixedShift(f: Fixed, digits: number): Fixed {
  return digits <= f.scale
    ? { units: f.units, scale: f.scale - digits }
    : { units: f.units * pow10(digits - f.scale), scale: 0 };
}

/** Plain decimal notation, no exponent and no trailing zeros: what decimal.js's `toFixed()` prints. */
export function fixedToString(f: Fixed): string {
  if (f.units === 0n) return '0';
  const digits = f.units.toString();
  if (f.scale === 0) return digits;
  const padded = digits.padStart(f.scale + 1, '0');
  const whole = padded.slice(0, padded.length - f.scale);
  const fraction = padded.slice(padded.length - f.scale).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** `f` in nano-dollars (f in USD), rounded up to a whole nano-dollar. */
export function fixedCeilNanos(f: Fixed): number {
  const nanos = fixedShift(f, 9);
  const unit = pow10(nanos.scale);
  return Number((nanos.units + unit - 1n) / unit);
}
