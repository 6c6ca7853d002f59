import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BudgetPeriodRef } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { periodId } from '#src/modules/billing/budget-period';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';
import { BudgetRebuilder } from '#src/modules/ratelimit/budget-rebuilder.service';
import { TeamRepository } from '#src/modules/teams/team.repository';

const LOCK_TTL_MS = 5 * 60_000;

/**
 * The periodic reconcile (BUDGET_RECONCILE_INTERVAL): every budgeted key's and team's current period counter that
 * exists is recomputed from PostgreSQL plus the calls settled but not billed yet, so a counter that drifted for
 * any reason (a lost write, a Redis failover that lost the tail of its log) is corrected within one interval. One
 * pod at a time, under a lock; counters that do not exist are left to the next admission, which rebuilds them.
 */
@Injectable()
export class BudgetReconciler {
  private readonly logger = new Logger(BudgetReconciler.name);

  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly apiKeys: ApiKeyRepository,
    private readonly teams: TeamRepository,
    private readonly rebuilder: BudgetRebuilder,
  ) {}

  /** How many counters were checked (0 when another pod holds the lock). */
  async reconcileAll(): Promise<number> {
    const lock = this.keys.budgetReconcileLock();
    const token = randomBytes(8).toString('hex');
    if ((await this.redis.set(lock, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') return 0;
    try {
      const [seconds] = await this.redis.time();
      const now = Number(seconds) * 1000;
      const refs: BudgetPeriodRef[] = [
        ...(await this.apiKeys.withBudget()).map((k) => ({
          type: 'key' as const,
          id: k.id,
          teamId: k.teamId,
          period: periodId(k.budgetPeriod, now),
        })),
        ...(await this.teams.withBudget()).map((t) => ({
          type: 'team' as const,
          id: t.id,
          period: periodId(t.budgetPeriod, now),
        })),
      ];
      return await this.reconcile(refs);
    } finally {
      if ((await this.redis.get(lock)) === token) await this.redis.del(lock);
    }
  }

  /**
   * The given counters only: the periods whose calls were billed straight to PostgreSQL while Redis was
   * unreachable, so neither their late settlement nor the clearing of their unbilled markers ran. Each rebuild
   * holds that counter's own lock, so this needs no global one. Returns how many counters were checked.
   */
  reconcileSome(refs: BudgetPeriodRef[]): Promise<number> {
    return this.reconcile(refs);
  }

  private async reconcile(refs: BudgetPeriodRef[]): Promise<number> {
    let checked = 0;
    let corrected = 0;
    for (const ref of refs) {
      const keys = this.keys.forPeriod(ref);
      const spendKey = keys.spend(ref.period);
      const before = await this.redis.get(spendKey);
      if (before === null) continue;
      if (await this.rebuilder.rebuild({ type: ref.type, id: ref.id, keys }, ref.period, true)) {
        checked++;
        const after = await this.redis.get(spendKey);
        if (after !== before) {
          corrected++;
          this.logger.warn(
            { subject: `${ref.type}:${ref.id}`, period: ref.period, before, after },
            'budget counter corrected from PostgreSQL',
          );
        }
      }
    }
    if (checked > 0) this.logger.log({ checked, corrected }, 'budget counters reconciled');
    return checked;
  }
}
