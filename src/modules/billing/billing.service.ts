import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UsageJobData } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { CLEAR_UNBILLED_LUA } from '#src/modules/billing/billing.lua';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import { UsageRecordRepository } from '#src/modules/billing/usage-record.repository';

type ClearUnbilled = (unbilled: string, lock: string, callId: string) => Promise<number>;

/**
 * Writes one billed call: the usage row with ON CONFLICT (call_id) DO NOTHING, and only when it inserted,
 * the daily rollup and the monthly aggregate, all in one transaction — so a duplicate delivery never bills
 * twice. Then clears the call's unbilled marker in Redis.
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
  }

  async record(usage: UsageJobData): Promise<boolean> {
    const inserted = await this.dataSource.transaction(async (m) => {
      const fresh = await this.records.insertIfAbsent(usage, m);
      if (fresh) await this.aggregates.add(usage, m);
      return fresh;
    });
    await this.clearUnbilled(usage);
    return inserted;
  }

  /** Best effort: a marker left behind is checked against PostgreSQL by the next rebuild. */
  private async clearUnbilled(usage: UsageJobData): Promise<void> {
    const k = this.keys.apiKey(usage.apiKeyId);
    try {
      await (this.redis as unknown as { llmgwClearUnbilled: ClearUnbilled }).llmgwClearUnbilled(
        k.unbilled(usage.month),
        k.rebuildLock(usage.month),
        usage.callId,
      );
    } catch (err) {
      this.logger.warn({ err, callId: usage.callId }, 'could not clear the unbilled marker');
    }
  }
}
