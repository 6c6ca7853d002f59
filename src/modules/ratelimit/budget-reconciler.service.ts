import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { utcMonth } from '#src/modules/billing/month';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';
import { BudgetRebuilder } from '#src/modules/ratelimit/budget-rebuilder.service';

const LOCK_TTL_MS = 5 * 60_000;

/**
 * The periodic reconcile (BUDGET_RECONCILE_INTERVAL): every budgeted key's current month counter that exists is
 * recomputed from PostgreSQL plus the calls settled but not billed yet, so a counter that drifted for any reason
 * (a lost write, a Redis failover that lost the tail of its log) is corrected within one interval. One pod at a
 * time, under a lock; keys without a counter are left to the next admission, which rebuilds them anyway.
 */
@Injectable()
export class BudgetReconciler {
  private readonly logger = new Logger(BudgetReconciler.name);

  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly apiKeys: ApiKeyRepository,
    private readonly rebuilder: BudgetRebuilder,
  ) {}

  /** How many counters were checked (0 when another pod holds the lock). */
  async reconcileAll(): Promise<number> {
    const lock = this.keys.budgetReconcileLock();
    const token = randomBytes(8).toString('hex');
    if ((await this.redis.set(lock, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') return 0;
    try {
      const [seconds] = await this.redis.time();
      const month = utcMonth(new Date(Number(seconds) * 1000));
      const ids = await this.apiKeys.idsWithBudget();
      return await this.reconcile(ids.map((apiKeyId) => ({ apiKeyId, month })));
    } finally {
      if ((await this.redis.get(lock)) === token) await this.redis.del(lock);
    }
  }

  /**
   * The given keys' month counters only: the months whose calls were billed straight to PostgreSQL while Redis
   * was unreachable, so neither their late settlement nor the clearing of their unbilled markers ran. Each
   * rebuild holds that key's own lock, so this needs no global one. Returns how many counters were checked.
   */
  reconcileKeys(keys: { apiKeyId: string; month: string }[]): Promise<number> {
    return this.reconcile(keys);
  }

  /** Counters that do not exist are left to the next admission, which rebuilds them anyway. */
  private async reconcile(keys: { apiKeyId: string; month: string }[]): Promise<number> {
    let checked = 0;
    let corrected = 0;
    for (const { apiKeyId, month } of keys) {
      const spendKey = this.keys.apiKey(apiKeyId).spend(month);
      const before = await this.redis.get(spendKey);
      if (before === null) continue;
      if (await this.rebuilder.rebuild(apiKeyId, month, true)) {
        checked++;
        const after = await this.redis.get(spendKey);
        if (after !== before) {
          corrected++;
          this.logger.warn({ apiKeyId, month, before, after }, 'budget counter corrected from PostgreSQL');
        }
      }
    }
    if (checked > 0) this.logger.log({ checked, corrected }, 'budget counters reconciled');
    return checked;
  }
}
