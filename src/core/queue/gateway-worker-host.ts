import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';

/**
 * What every gateway processor needs besides its `process()`:
 * - a BullMQ worker that never reached Redis waits forever in a graceful close; when Redis is unreachable
 *   there is no job in flight to wait for, so it is closed by force (before Nest's own close, which then
 *   returns the same promise);
 * - without an `error` listener BullMQ prints every Redis connection error to stderr: at most one log line
 *   every 10 s instead.
 */
export abstract class GatewayWorkerHost extends WorkerHost implements OnModuleDestroy {
  protected abstract readonly logger: Logger;
  private lastErrorLog = 0;

  @Inject(HOT_REDIS) private readonly hotRedis!: RedisClient;

  async onModuleDestroy(): Promise<void> {
    if (this.hotRedis.status !== 'ready') await this.worker.close(true);
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    if (Date.now() - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = Date.now();
    this.logger.warn({ err: { message: error.message } }, 'queue worker error');
  }
}
