import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { type BudgetPeriodRef, budgetPeriodsOf, type UsageJobData } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { CLEAR_UNBILLED_LUA } from '#src/modules/billing/billing.lua';
import { LATE_SETTLE_LUA } from '#src/modules/ratelimit/admission.lua';
import { UNBILLED_TTL_MS } from '#src/modules/ratelimit/budget-rebuilder.service';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import { UsageRecordRepository } from '#src/modules/billing/usage-record.repository';

type ClearUnbilled = (unbilled: string, lock: string, ...callIds: string[]) => Promise<number>;
type LateSettle = (...args: (string | number)[]) => Promise<number>;

export interface BatchOutcome {
  /** How many of the calls got their usage row now (the others had one already). */
  inserted: number;
  /** Calls PostgreSQL refused even on their own, with the reason. */
  failed: { event: UsageJobData; error: Error }[];
}

/**
 * Writes billed calls: the usage rows with ON CONFLICT (call_id) DO NOTHING, and only for the rows inserted,
 * the daily rollups and the budget period aggregates, all in one transaction — so a duplicate delivery never bills
 * twice. Then clears the calls' unbilled markers in Redis.
 */
@Injectable()
export class BillingService implements OnModuleInit {
  private readonly logger = new Logger(BillingService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly records: UsageRecordRepository,
    private readonly aggregates: UsageAggregateRepository,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  onModuleInit(): void {
    this.redis.defineCommand('llmgwClearUnbilled', { numberOfKeys: 2, lua: CLEAR_UNBILLED_LUA });
    this.redis.defineCommand('llmgwLateSettle', { numberOfKeys: 5, lua: LATE_SETTLE_LUA });
  }

  /** One call; true when this delivery inserted its row. */
  async record(usage: UsageJobData): Promise<boolean> {
    const inserted = await this.write([usage]);
    await this.clearUnbilled([usage]);
    return inserted.size > 0;
  }

  /**
   * Many calls in one transaction: three statements for the whole batch instead of three per call. When
   * PostgreSQL refuses the batch (a constraint, a deadlock), each call is written on its own, so a bad event
   * holds back only itself; the calls that still fail come back for the caller to retry one by one. Any other
   * error (PostgreSQL unreachable) is thrown: the batch is retried whole. `redisDown` (the caller knows Redis
   * does not answer) skips the Redis steps instead of waiting on each: the reconcile corrects what they missed.
   */
  async recordBatch(events: readonly UsageJobData[], opts: { redisDown?: boolean } = {}): Promise<BatchOutcome> {
    const unique = [...new Map(events.map((e) => [e.callId, e])).values()];
    if (unique.length === 0) return { inserted: 0, failed: [] };
    const redis = !opts.redisDown;
    try {
      const inserted = await this.write(unique, redis);
      if (redis) await this.clearUnbilled(unique);
      return { inserted: inserted.size, failed: [] };
    } catch (err) {
      if (!(err instanceof QueryFailedError)) throw err;
      this.logger.warn(
        { err: { message: err.message }, events: unique.length },
        'billing batch refused; writing its calls one by one',
      );
    }
    const outcome: BatchOutcome = { inserted: 0, failed: [] };
    const written: UsageJobData[] = [];
    for (const event of unique) {
      try {
        if ((await this.write([event], redis)).size > 0) outcome.inserted++;
        written.push(event);
      } catch (error) {
        outcome.failed.push({ event, error: error as Error });
      }
    }
    if (redis) await this.clearUnbilled(written);
    return outcome;
  }

  private write(events: UsageJobData[], redis = true): Promise<Set<string>> {
    return this.dataSource.transaction(async (m) => {
      const fresh = await this.records.insertManyIfAbsent(events, m);
      const inserted = events.filter((e) => fresh.has(e.callId));
      await this.aggregates.addMany(inserted, m);
      // before commit, like a settle before its billing job: a rebuild meanwhile counts each call once
      if (redis) await this.settleLate(inserted.filter((e) => e.spendSettled === false));
      return fresh;
    });
  }

  /**
   * Adds to the Redis period counters (key and team) the calls whose cost did not reach them at settlement (a failed settle,
   * fail-open admission, no budget at the time, a lapsed reservation), with the same unbilled marker a
   * settle sets. Best effort: a counter missed here (Redis unreachable) is corrected by the periodic
   * reconcile (BUDGET_RECONCILE_INTERVAL), and billing never waits on it.
   */
  private async settleLate(events: UsageJobData[]): Promise<void> {
    if (events.length === 0) return;
    const late = (this.redis as unknown as { llmgwLateSettle: LateSettle }).llmgwLateSettle.bind(this.redis);
    await Promise.all(
      [...groupByPeriod(events).values()].map(async ({ ref, events: group }) => {
        const k = this.keys.forPeriod(ref);
        try {
          await late(
            k.spend(ref.period),
            k.unbilled(ref.period),
            k.reservations(ref.period),
            k.reservationExpiry(ref.period),
            k.reservedTotal(ref.period),
            UNBILLED_TTL_MS,
            ...group.flatMap((e) => [e.callId, e.costNanos]),
          );
        } catch (err) {
          this.logger.warn(
            { err: { message: (err as Error).message }, subject: `${ref.type}:${ref.id}`, calls: group.length },
            'could not add unsettled calls to the budget counter; the periodic reconcile will',
          );
        }
      }),
    );
  }

  /** Best effort, one script per key or team and period: a marker left behind is checked by the next rebuild. */
  private async clearUnbilled(events: UsageJobData[]): Promise<void> {
    const groups = groupByPeriod(events);
    const clear = (this.redis as unknown as { llmgwClearUnbilled: ClearUnbilled }).llmgwClearUnbilled.bind(this.redis);
    await Promise.all(
      [...groups.values()].map(async ({ ref, events: group }) => {
        const callIds = group.map((e) => e.callId);
        const k = this.keys.forPeriod(ref);
        try {
          await clear(k.unbilled(ref.period), k.rebuildLock(ref.period), ...callIds);
        } catch (err) {
          this.logger.warn({ err, callIds: callIds.length }, 'could not clear unbilled markers');
        }
      }),
    );
  }
}

/** The calls of each budget counter (key or team, period) they count in. */
function groupByPeriod(events: UsageJobData[]): Map<string, { ref: BudgetPeriodRef; events: UsageJobData[] }> {
  const groups = new Map<string, { ref: BudgetPeriodRef; events: UsageJobData[] }>();
  for (const e of events)
    for (const ref of budgetPeriodsOf(e)) {
      const id = `${ref.type}/${ref.id}/${ref.teamId ?? ''}/${ref.period}`;
      const group = groups.get(id) ?? { ref, events: [] };
      group.events.push(e);
      groups.set(id, group);
    }
  return groups;
}
