import { InjectQueue, OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { GatewayWorkerHost } from '#src/core/queue/gateway-worker-host';
import { jobBackoffStrategy } from '#src/core/queue/job-backoff';
import { BillingJob, type JobPayloads, QueueName } from '#src/core/queue/queue.constants';
import { BillingService } from '#src/modules/billing/billing.service';
import { UsageRetentionService } from '#src/modules/billing/usage-retention.service';
import { BudgetReconciler } from '#src/modules/ratelimit/budget-reconciler.service';

type BillingJobs =
  | Job<JobPayloads[BillingJob.RecordUsage], boolean, BillingJob.RecordUsage>
  | Job<JobPayloads[BillingJob.RecordUsageBatch], number, BillingJob.RecordUsageBatch>
  | Job<JobPayloads[BillingJob.PruneUsage], number, BillingJob.PruneUsage>
  | Job<JobPayloads[BillingJob.ReconcileBudgets], number, BillingJob.ReconcileBudgets>;

/**
 * Thin: one service call per job; errors propagate so BullMQ retries with backoff, then keeps the job in the
 * failed set. A batch's calls that PostgreSQL refuses become jobs of their own (job id = call id), so each one
 * is retried, dead-lettered and replayed on its own, and the rest of the batch is billed at once.
 */
// the strategy of BILLING_JOB_OPTIONS' capped backoff: a worker without it could not retry billing jobs
@Processor(QueueName.Billing, { concurrency: 16, settings: { backoffStrategy: jobBackoffStrategy } })
export class BillingProcessor extends GatewayWorkerHost {
  protected readonly logger = new Logger(BillingProcessor.name);

  constructor(
    private readonly billing: BillingService,
    private readonly retention: UsageRetentionService,
    private readonly reconciler: BudgetReconciler,
    @InjectQueue(QueueName.Billing) private readonly queue: Queue,
  ) {
    super();
  }

  async process(job: BillingJobs): Promise<boolean | number> {
    switch (job.name) {
      case BillingJob.RecordUsage:
        return this.billing.record(job.data);
      case BillingJob.RecordUsageBatch: {
        const { inserted, failed } = await this.billing.recordBatch(job.data.events);
        if (failed.length > 0) {
          await this.queue.addBulk(
            failed.map(({ event }) => ({ name: BillingJob.RecordUsage, data: event, opts: { jobId: event.callId } })),
          );
          this.logger.warn(
            { jobId: job.id, failed: failed.length, err: { message: failed[0].error.message } },
            'billing events refused in a batch; each is retried as its own job',
          );
        }
        return inserted;
      }
      case BillingJob.PruneUsage: {
        const deleted = await this.retention.prune();
        if (deleted > 0) this.logger.log({ jobId: job.id, deleted }, 'old usage records pruned');
        return deleted;
      }
      case BillingJob.ReconcileBudgets:
        return job.data.keys ? this.reconciler.reconcileKeys(job.data.keys) : this.reconciler.reconcileAll();
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
