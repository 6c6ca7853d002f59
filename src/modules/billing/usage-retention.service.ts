import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { BillingJob, QueueName } from '#src/core/queue/queue.constants';
import { UsageRecordRepository } from '#src/modules/billing/usage-record.repository';

const SCHEDULER_ID = 'usage-retention';

/** USAGE_RETENTION_DAYS: a daily job deletes older usage records; the daily rollups are kept. */
@Injectable()
export class UsageRetentionService implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly records: UsageRecordRepository,
    @InjectQueue(QueueName.Billing) private readonly queue: Queue,
  ) {}

  private readonly logger = new Logger(UsageRetentionService.name);

  /** Not awaited: start-up must not wait for Redis (readiness reports it), the scheduler lands once Redis answers. */
  onModuleInit(): void {
    this.schedule().catch((error: unknown) =>
      this.logger.warn(`usage retention scheduler not updated: ${String(error)}`),
    );
  }

  private async schedule(): Promise<void> {
    if (this.config.env.USAGE_RETENTION_DAYS > 0) {
      await this.queue.upsertJobScheduler(
        SCHEDULER_ID,
        { pattern: '17 3 * * *', tz: 'UTC' },
        { name: BillingJob.PruneUsage, data: {} },
      );
    } else {
      await this.queue.removeJobScheduler(SCHEDULER_ID);
    }
  }

  prune(): Promise<number> {
    const days = this.config.env.USAGE_RETENTION_DAYS;
    if (days <= 0) return Promise.resolve(0);
    return this.records.deleteOlderThan(new Date(Date.now() - days * 86_400_000));
  }
}
