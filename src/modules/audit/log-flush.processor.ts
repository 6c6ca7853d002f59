import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Job } from 'bullmq';
import { type JobPayloads, LogFlushJob, QueueName } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { AuditFlushService, type FlushResult } from '#src/modules/audit/audit-flush.service';

type LogFlushJobs = Job<JobPayloads[LogFlushJob.Flush], FlushResult, LogFlushJob.Flush>;

/** Thin: one flush per job; a failed store propagates so BullMQ retries with backoff (the batch waits in Redis). */
@Processor(QueueName.LogFlush, { concurrency: 1 })
export class LogFlushProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly logger = new Logger(LogFlushProcessor.name);
  private lastErrorLog = 0;

  constructor(
    private readonly flusher: AuditFlushService,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
  ) {
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

  /** As the billing processor: a worker that never reached Redis is closed by force, or it would wait forever. */
  async onModuleDestroy(): Promise<void> {
    if (this.redis.status !== 'ready') await this.worker.close(true);
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    if (Date.now() - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = Date.now();
    this.logger.warn({ err: { message: error.message } }, 'log-flush worker error');
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn(
      { jobId: job?.id, attempts: job?.attemptsMade, err: { message: error.message } },
      'audit flush failed; the batch stays in Redis and is retried',
    );
  }
}
