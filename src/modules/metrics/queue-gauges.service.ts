import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueName } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { setWorkerGaugeCollector, type WorkerGauges, workerGauges } from '#src/modules/metrics/gateway-metrics';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;
/** A scrape never hangs on an unreachable Redis: the gauges keep their last values after this long. */
const COLLECT_TIMEOUT_MS = 1000;

/**
 * The worker role's gauges, read at scrape time: `llmgw_queue_jobs{queue,state}` from BullMQ's own job
 * counts and `llmgw_log_buffer_records` from the audit buffer's length.
 */
@Injectable()
export class QueueGaugesService implements OnModuleInit, OnModuleDestroy {
  private gauges?: WorkerGauges;

  constructor(
    @InjectQueue(QueueName.Billing) private readonly billing: Queue,
    @InjectQueue(QueueName.LogFlush) private readonly logFlush: Queue,
    @InjectQueue(QueueName.Alerts) private readonly alerts: Queue,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  onModuleInit(): void {
    this.gauges = workerGauges();
    setWorkerGaugeCollector(() => this.collect());
  }

  onModuleDestroy(): void {
    setWorkerGaugeCollector(undefined);
  }

  async collect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.read(), timeout]);
    } catch {
      // Redis unreachable: keep the last values; readiness reports the outage
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(): Promise<void> {
    const gauges = (this.gauges ??= workerGauges());
    const [billing, logFlush, alerts, buffered] = await Promise.all([
      this.billing.getJobCounts(...STATES),
      this.logFlush.getJobCounts(...STATES),
      this.alerts.getJobCounts(...STATES),
      this.redis.llen(this.keys.auditBuffer()),
    ]);
    for (const [queue, counts] of [
      [QueueName.Billing, billing],
      [QueueName.LogFlush, logFlush],
      [QueueName.Alerts, alerts],
    ] as const) {
      for (const state of STATES) gauges.queueJobs.set({ queue, state }, counts[state] ?? 0);
    }
    gauges.logBuffer.set(buffered);
  }
}
