import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { AlertsJob, QueueName } from '#src/core/queue/queue.constants';

const SCHEDULER_ID = 'key-expiry-scan';

/** KEY_EXPIRY_SCAN_INTERVAL: one scan per interval across all workers (a BullMQ job scheduler; the first runs at once). */
@Injectable()
export class KeyExpiryScheduler implements OnModuleInit {
  private readonly logger = new Logger(KeyExpiryScheduler.name);

  constructor(
    private readonly config: AppConfig,
    @InjectQueue(QueueName.Alerts) private readonly queue: Queue,
  ) {}

  /** Not awaited: start-up must not wait for Redis (readiness reports it), the scheduler lands once Redis answers. */
  onModuleInit(): void {
    this.schedule().catch((error: unknown) => this.logger.warn(`key expiry scheduler not updated: ${String(error)}`));
  }

  private async schedule(): Promise<void> {
    const every = this.config.env.KEY_EXPIRY_SCAN_INTERVAL;
    if (every > 0) {
      await this.queue.upsertJobScheduler(
        SCHEDULER_ID,
        { every },
        { name: AlertsJob.ScanKeyExpiry, data: {}, opts: { attempts: 1, removeOnFail: { count: 100 } } },
      );
    } else {
      await this.queue.removeJobScheduler(SCHEDULER_ID);
    }
  }
}
