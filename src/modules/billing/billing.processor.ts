import { InjectQueue, OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { SpanKind } from '@opentelemetry/api';
import { GatewayWorkerHost } from '#src/core/queue/gateway-worker-host';
import { Tracing } from '#src/core/tracing/tracing';
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
    private readonly tracing: Tracing,
  ) {
    super();
  }

  async process(job: BillingJobs): Promise<boolean | number> {
    switch (job.name) {
      case BillingJob.RecordUsage:
        return this.billing.record(job.data);
      case BillingJob.RecordUsageBatch:
        return this.tracing.on ? this.traced(job) : this.recordBatch(job);
      case BillingJob.PruneUsage: {
        const deleted = await this.retention.prune();
        if (deleted > 0) this.logger.log({ jobId: job.id, deleted }, 'old usage records pruned');
        return deleted;
      }
      case BillingJob.ReconcileBudgets:
        if (job.data.subjects) return this.reconciler.reconcileSome(job.data.subjects);
        // a job enqueued before teams: key months
        if (job.data.keys)
          return this.reconciler.reconcileSome(
            job.data.keys.map((k) => ({ type: 'key', id: k.apiKeyId, period: `month:${k.month}` })),
          );
        return this.reconciler.reconcileAll();
    }
  }

  private async recordBatch(job: Job<JobPayloads[BillingJob.RecordUsageBatch]>): Promise<number> {
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

  /** The batch as a span linked to the calls it bills (SPEC §16). */
  private async traced(job: Job<JobPayloads[BillingJob.RecordUsageBatch]>): Promise<number> {
    const events = job.data.events;
    const options = {
      kind: SpanKind.CONSUMER,
      attributes: { 'llmgw.job_id': String(job.id), 'llmgw.billing.events': events.length },
      links: Tracing.links(events.map((e) => e.trace)),
    };
    return this.tracing.inSpan('llmgw.billing.record_usage_batch', options, async (span) => {
      const inserted = await this.recordBatch(job);
      span.setAttribute('llmgw.billing.inserted', inserted);
      return inserted;
    });
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.error(
      { jobId: job?.id, attempts: job?.attemptsMade, err: { message: error.message } },
      'billing job failed',
    );
  }
}
