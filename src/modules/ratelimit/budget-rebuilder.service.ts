import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import type { LimitRedisKeys } from '#src/core/redis/redis-keys';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import { UsageRecordRepository } from '#src/modules/billing/usage-record.repository';
import { REBUILD_LUA } from '#src/modules/ratelimit/admission.lua';

const LOCK_TTL_MS = 10_000;
/** A key's or a team's budget counters: which subject, and its Redis keys (a team's keys share its hash tag). */
export interface BudgetSubjectRef {
  type: 'key' | 'team';
  id: string;
  keys: LimitRedisKeys;
}
/** Period counters outlive a month by a few days, then are rebuilt from PostgreSQL if ever needed. */
export const SPEND_COUNTER_TTL_MS = 40 * 86_400_000;
/** Unbilled markers live as long as the counters they feed. */
export const UNBILLED_TTL_MS = SPEND_COUNTER_TTL_MS;

/**
 * Rebuilds a key's or a team's missing period spend counter (after a Redis restart or flush, its expiry, a budget
 * change) from the PostgreSQL period aggregate (`budget_spend`) plus the calls settled in Redis whose billing rows are not written yet (the
 * unbilled markers), by one pod under a lock, so neither a Redis restart nor a lagging worker resets a budget.
 */
@Injectable()
export class BudgetRebuilder {
  private readonly logger = new Logger(BudgetRebuilder.name);

  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly aggregates: UsageAggregateRepository,
    private readonly records: UsageRecordRepository,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Resolves once the counter exists (rebuilt here, or by another pod holding the lock). With `force` (the
   * periodic reconcile) the counter is recomputed even when it exists; returns whether this call rebuilt it.
   */
  async rebuild(subject: BudgetSubjectRef, period: string, force = false): Promise<boolean> {
    const k = subject.keys;
    const token = randomBytes(8).toString('hex');
    const locked = await this.redis.set(k.rebuildLock(period), token, 'PX', LOCK_TTL_MS, 'NX');
    if (locked !== 'OK') {
      if (!force) await this.waitForCounter(k.spend(period));
      return false;
    }
    try {
      const { spendUsd, markers, billed } = await this.snapshot(subject, period);
      const spendNanos = new Decimal(spendUsd).mul(1e9).toDecimalPlaces(0, Decimal.ROUND_UP).toFixed();
      const total = await this.redis.eval(
        REBUILD_LUA,
        2,
        k.spend(period),
        k.unbilled(period),
        spendNanos,
        SPEND_COUNTER_TTL_MS,
        force ? 1 : 0,
        ...billed,
      );
      if (!force)
        this.logger.log('budget counter rebuilt', {
          subject: `${subject.type}:${subject.id}`,
          period,
          spendNanos: total,
          unbilled: Object.keys(markers).length - billed.length,
        });
      return true;
    } finally {
      if ((await this.redis.get(k.rebuildLock(period))) === token) await this.redis.del(k.rebuildLock(period));
    }
  }

  /**
   * PostgreSQL's spend and which unbilled markers it already contains, from one snapshot taken *before* the
   * markers are read (REPEATABLE READ: the first query fixes it). With two independent reads, a row committed
   * between them was missing from the sum yet excluded as billed (lost), and a marker written after the
   * markers were read could be for a row already in the sum (counted twice). Markers are not cleared while
   * the lock is held (billing.lua), so every call settled before the rebuild is in the sum or in the markers.
   */
  private snapshot(
    subject: BudgetSubjectRef,
    period: string,
  ): Promise<{ spendUsd: string; markers: Record<string, string>; billed: string[] }> {
    const k = subject.keys;
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const spendUsd = await this.aggregates.periodSpend(subject.type, subject.id, period, m);
      const markers = await this.redis.hgetall(k.unbilled(period));
      const billed = await this.records.existingCallIds(Object.keys(markers), m);
      return { spendUsd, markers, billed };
    });
  }

  private async waitForCounter(spendKey: string): Promise<void> {
    const until = Date.now() + LOCK_TTL_MS;
    while (Date.now() < until) {
      if ((await this.redis.exists(spendKey)) === 1) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
