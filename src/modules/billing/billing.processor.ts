import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { BillingJob, type JobPayloads, QueueName } from '#src/core/queue/queue.constants';
import { BillingService } from '#src/modules/billing/billing.service';
import { UsageRetentionService } from '#src/modules/billing/usage-retention.service';

type BillingJobs =
  | Job<JobPayloads[BillingJob.RecordUsage], boolean, BillingJob.RecordUsage>
  | Job<JobPayloads[BillingJob.PruneUsage], number, BillingJob.PruneUsage>;

/** Thin: one service call per job; errors propagate so BullMQ retries with backoff, then keeps the job in the failed set. */
@Processor(QueueName.Billing, { concurrency: 16 })
export class BillingProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly logger = new Logger(BillingProcessor.name);
  private lastErrorLog = 0;

  constructor(
    private readonly billing: BillingService,
    private readonly retention: UsageRetentionService,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
  ) {
    super();
  }

  async process(job: BillingJobs): Promise<boolean | number> {
    switch (job.name) {
      case BillingJob.RecordUsage:
        return this.billing.record(job.data);
      case BillingJob.PruneUsage: {
        const deleted = await this.retention.prune();
        if (deleted > 0) this.logger.log({ jobId: job.id, deleted }, 'old usage records pruned');
        return deleted;
      }
    }
  }

  /**
   * A BullMQ worker that never reached Redis waits forever in a graceful close; when Redis is unreachable
   * there is no job in flight to wait for, so it is closed by force (before Nest's own close, which then
   * returns the same promise).
   */
  async onModuleDestroy(): Promise<void> {
    if (this.redis.status !== 'ready') await this.worker.close(true);
  }

  /** Without a listener BullMQ prints every Redis connection error to stderr; at most one log line every 10 s instead. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    if (Date.now() - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = Date.now();
    this.logger.warn({ err: { message: error.message } }, 'billing worker error');
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.error(
      { jobId: job?.id, attempts: job?.attemptsMade, err: { message: error.message } },
      'billing job failed',
    );
  }
}
