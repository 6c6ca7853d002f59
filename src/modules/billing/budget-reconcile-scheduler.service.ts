import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { BillingJob, QueueName } from '#src/core/queue/queue.constants';

const SCHEDULER_ID = 'budget-reconcile';

/** BUDGET_RECONCILE_INTERVAL: one reconcile job per interval across all workers (a BullMQ job scheduler). */
@Injectable()
export class BudgetReconcileScheduler implements OnModuleInit {
  private readonly logger = new Logger(BudgetReconcileScheduler.name);

  constructor(
    private readonly config: AppConfig,
    @InjectQueue(QueueName.Billing) private readonly queue: Queue,
  ) {}

  /** Not awaited: start-up must not wait for Redis (readiness reports it), the scheduler lands once Redis answers. */
  onModuleInit(): void {
    this.schedule().catch((error: unknown) =>
      this.logger.warn(`budget reconcile scheduler not updated: ${String(error)}`),
    );
  }

  private async schedule(): Promise<void> {
    const every = this.config.env.BUDGET_RECONCILE_INTERVAL;
    if (every > 0) {
      await this.queue.upsertJobScheduler(
        SCHEDULER_ID,
        { every },
        { name: BillingJob.ReconcileBudgets, data: {}, opts: { attempts: 1, removeOnFail: { count: 100 } } },
      );
    } else {
      await this.queue.removeJobScheduler(SCHEDULER_ID);
    }
  }
}
