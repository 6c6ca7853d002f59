import Decimal from 'decimal.js';
import { ResourceErrorCode, ResourceException } from '#src/core/errors/resource.exception';
import type { LimitRedisKeys } from '#src/core/redis/redis-keys';
import { isPeriodKind, PERIOD_KINDS, type PeriodKind, periodCandidates } from '#src/modules/billing/budget-period';

/** A bad limit field of a key or a team: 400 in the admin API's shape. */
export class LimitFieldException extends ResourceException {
  constructor(message: string) {
    super(ResourceErrorCode.Invalid, message);
  }
}

/** Limits: null = none, 0 = refuse every call, negative = 400 (SPEC §4). */
export function limit(field: string, v: number | null | undefined): number | null | undefined {
  if (v === undefined || v === null) return v;
  if (!Number.isInteger(v) || v < 0) throw new LimitFieldException(`${field} must be null or a non-negative integer`);
  return v;
}

/** A budget amount: USD as a number or decimal string, exact; null = none. */
export function budgetAmount(field: string, v: number | string | null | undefined): string | null | undefined {
  if (v === undefined || v === null) return v;
  let d: Decimal;
  try {
    d = new Decimal(typeof v === 'number' ? v.toString() : v.trim());
  } catch {
    throw new LimitFieldException(`${field} must be null, a number or a decimal string`);
  }
  if (!d.isFinite() || d.isNegative()) throw new LimitFieldException(`${field} must be null or a non-negative amount`);
  return d.toFixed();
}

export function budgetPeriod(v: string | undefined): PeriodKind | undefined {
  if (v === undefined) return undefined;
  if (!isPeriodKind(v)) throw new LimitFieldException(`budget_period must be one of ${PERIOD_KINDS.join(', ')}`);
  return v;
}

/** Alert thresholds: 1 to 10 fractions of the budget in (0, 1], kept sorted and unique; null = the default. */
export function alertThresholds(v: number[] | null | undefined): number[] | null | undefined {
  if (v === undefined || v === null) return v;
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.length > 10 ||
    v.some((t) => typeof t !== 'number' || !(t > 0 && t <= 1))
  )
    throw new LimitFieldException(
      'alert_thresholds must be 1 to 10 fractions of the budget, each above 0 and at most 1',
    );
  return [...new Set(v)].sort((a, b) => a - b);
}

export function sameAmount(before: string | null, after: string | null): boolean {
  return before === null || after === null ? before === after : new Decimal(before).eq(after);
}

/**
 * The spend counters a budget change must drop (every period kind, both candidates around now), so the next
 * admission rebuilds them from PostgreSQL rather than reusing a counter kept under the old budget or period.
 */
export function currentSpendCounters(keys: LimitRedisKeys, now = Date.now()): string[] {
  return [
    ...new Set(
      PERIOD_KINDS.flatMap((kind) => {
        const { a, b } = periodCandidates(kind, now);
        return [keys.spend(a), keys.spend(b)];
      }),
    ),
  ];
}
