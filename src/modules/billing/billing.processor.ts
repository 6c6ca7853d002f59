import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { GatewayWorkerHost } from '#src/core/queue/gateway-worker-host';
import { BillingJob, type JobPayloads, QueueName } from '#src/core/queue/queue.constants';
import { BillingService } from '#src/modules/billing/billing.service';
import { UsageRetentionService } from '#src/modules/billing/usage-retention.service';

type BillingJobs =
  | Job<JobPayloads[BillingJob.RecordUsage], boolean, BillingJob.RecordUsage>
  | Job<JobPayloads[BillingJob.PruneUsage], number, BillingJob.PruneUsage>;

/** Thin: one service call per job; errors propagate so BullMQ retries with backoff, then keeps the job in the failed set. */
@Processor(QueueName.Billing, { concurrency: 16 })
export class BillingProcessor extends GatewayWorkerHost {
  protected readonly logger = new Logger(BillingProcessor.name);

  constructor(
    private readonly billing: BillingService,
    private readonly retention: UsageRetentionService,
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

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.error(
      { jobId: job?.id, attempts: job?.attemptsMade, err: { message: error.message } },
      'billing job failed',
    );
  }
}
