import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { PINO_LOGGER } from '#src/core/logging/logger.module';
import { QueueName } from '#src/core/queue/queue.constants';

/** Queues emit `error` on connection trouble; log it (at most every 10 s per queue) instead of console.error. */
@Injectable()
export class QueueErrorLogger {
  constructor(
    @InjectQueue(QueueName.Billing) private readonly billing: Queue,
    @InjectQueue(QueueName.LogFlush) private readonly logFlush: Queue,
    @InjectQueue(QueueName.Alerts) private readonly alerts: Queue,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {
    this.attach();
  }

  /** Attached at construction: connection errors can fire before module init when Redis is down at boot. */
  private attach(): void {
    for (const queue of [this.billing, this.logFlush, this.alerts]) {
      let last = 0;
      queue.on('error', (err: Error) => {
        if (Date.now() - last < 10_000) return;
        last = Date.now();
        this.logger.warn({ err: { message: err.message }, queue: queue.name }, 'queue connection error');
      });
    }
  }
}
