import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { type JobPayloads, LogFlushJob, QueueName } from '#src/core/queue/queue.constants';
import { GatewayWorkerHost } from '#src/core/queue/gateway-worker-host';
import { AuditFlushService, type FlushResult } from '#src/modules/audit/audit-flush.service';

type LogFlushJobs = Job<JobPayloads[LogFlushJob.Flush], FlushResult, LogFlushJob.Flush>;

/** Thin: one flush per job; a failed store propagates so BullMQ retries with backoff (the batch waits in Redis). */
@Processor(QueueName.LogFlush, { concurrency: 1 })
export class LogFlushProcessor extends GatewayWorkerHost {
  protected readonly logger = new Logger(LogFlushProcessor.name);

  constructor(private readonly flusher: AuditFlushService) {
    super();
  }

  async process(job: LogFlushJobs): Promise<FlushResult> {
    switch (job.name) {
      case LogFlushJob.Flush: {
        const result = await this.flusher.flush(job.data.reason);
        if (result.records > 0) this.logger.log({ jobId: job.id, reason: job.data.reason, ...result }, 'audit flushed');
        return result;
      }
    }
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn(
      { jobId: job?.id, attempts: job?.attemptsMade, err: { message: error.message } },
      'audit flush failed; the batch stays in Redis and is retried',
    );
  }
}
