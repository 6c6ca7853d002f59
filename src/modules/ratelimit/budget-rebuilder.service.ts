import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import Decimal from 'decimal.js';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import { UsageRecordRepository } from '#src/modules/billing/usage-record.repository';
import { REBUILD_LUA } from '#src/modules/ratelimit/admission.lua';

const LOCK_TTL_MS = 10_000;
/** Month counters outlive their month by a few days, then are rebuilt from PostgreSQL if ever needed. */
export const SPEND_COUNTER_TTL_MS = 40 * 86_400_000;

/**
 * Rebuilds a key's missing month spend counter (after a Redis restart or flush, or its expiry) from the
 * PostgreSQL monthly aggregate plus the calls settled in Redis whose billing rows are not written yet (the
 * unbilled markers), by one pod under a lock, so neither a Redis restart nor a lagging worker resets a budget.
 */
@Injectable()
export class BudgetRebuilder {
  private readonly logger = new Logger(BudgetRebuilder.name);

  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly aggregates: UsageAggregateRepository,
    private readonly records: UsageRecordRepository,
  ) {}

  /** Resolves once the counter exists (rebuilt here, or by another pod holding the lock). */
  async rebuild(apiKeyId: string, month: string): Promise<void> {
    const k = this.keys.apiKey(apiKeyId);
    const token = randomBytes(8).toString('hex');
    const locked = await this.redis.set(k.rebuildLock(month), token, 'PX', LOCK_TTL_MS, 'NX');
    if (locked !== 'OK') {
      await this.waitForCounter(k.spend(month));
      return;
    }
    try {
      const markers = await this.redis.hgetall(k.unbilled(month));
      const [spendUsd, billed] = await Promise.all([
        this.aggregates.monthSpend(apiKeyId, month),
        this.records.existingCallIds(Object.keys(markers)),
      ]);
      const spendNanos = new Decimal(spendUsd).mul(1e9).toDecimalPlaces(0, Decimal.ROUND_UP).toFixed();
      const total = await this.redis.eval(
        REBUILD_LUA,
        2,
        k.spend(month),
        k.unbilled(month),
        spendNanos,
        SPEND_COUNTER_TTL_MS,
        ...billed,
      );
      this.logger.log(
        { apiKeyId, month, spendNanos: total, unbilled: Object.keys(markers).length - billed.length },
        'budget counter rebuilt',
      );
    } finally {
      if ((await this.redis.get(k.rebuildLock(month))) === token) await this.redis.del(k.rebuildLock(month));
    }
  }

  private async waitForCounter(spendKey: string): Promise<void> {
    const until = Date.now() + LOCK_TTL_MS;
    while (Date.now() < until) {
      if ((await this.redis.exists(spendKey)) === 1) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
