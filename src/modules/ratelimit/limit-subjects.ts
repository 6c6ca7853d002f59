import type { LimitRedisKeys, RedisKeys } from '#src/core/redis/redis-keys';
import type { PeriodKind } from '#src/modules/billing/budget-period';
import type { AuthenticatedKey } from '#src/modules/keys/api-key-auth.service';

/**
 * One set of limits a call is admitted against (SPEC §7, §13): its API key's, or its team's. A team's Redis keys
 * and its keys' share one hash tag, so one script checks both.
 */
export interface LimitSubject {
  type: 'key' | 'team';
  id: string;
  name: string;
  rateLimit: number | null;
  tokensPerMinute: number | null;
  /** USD per `period`, or null. */
  budget: string | null;
  period: PeriodKind;
  thresholds: number[];
  keys: LimitRedisKeys;
}

export const hasLimits = (s: { rateLimit: number | null; tokensPerMinute: number | null; budget: string | null }) =>
  s.rateLimit !== null || s.tokensPerMinute !== null || s.budget !== null;

/** Subject as a refusal names it: "this API key" or "team 'search'". */
export const subjectLabel = (s: Pick<LimitSubject, 'type' | 'name'>): string =>
  s.type === 'key' ? 'this API key' : `team '${s.name}'`;

const memo = new WeakMap<AuthenticatedKey, { key: LimitSubject; team: LimitSubject | null }>();

/**
 * The key's and its team's limit subjects, built once per cached key object (the auth cache hands out the same
 * object until a change drops it).
 */
export function limitSubjects(
  key: AuthenticatedKey,
  redisKeys: RedisKeys,
): { key: LimitSubject; team: LimitSubject | null } {
  let subjects = memo.get(key);
  if (!subjects) {
    const team = key.team;
    subjects = {
      key: {
        type: 'key',
        id: key.id,
        name: key.name,
        rateLimit: key.rateLimit,
        tokensPerMinute: key.tokensPerMinute,
        budget: key.budget,
        period: key.budgetPeriod,
        thresholds: key.alertThresholds,
        keys: redisKeys.apiKey(key.id, team?.id),
      },
      team: team
        ? {
            type: 'team',
            id: team.id,
            name: team.name,
            rateLimit: team.rateLimit,
            tokensPerMinute: team.tokensPerMinute,
            budget: team.budget,
            period: team.budgetPeriod,
            thresholds: team.alertThresholds,
            keys: redisKeys.team(team.id),
          }
        : null,
    };
    memo.set(key, subjects);
  }
  return subjects;
}
