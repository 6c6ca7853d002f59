import { Module } from '@nestjs/common';
import { BillingModule } from '#src/modules/billing/billing.module';
import { BillingProcessor } from '#src/modules/billing/billing.processor';
import { BudgetReconcileScheduler } from '#src/modules/billing/budget-reconcile-scheduler.service';
import { UsageRetentionService } from '#src/modules/billing/usage-retention.service';
import { LimitsModule } from '#src/modules/ratelimit/limits.module';

/** The billing processor; registering this module is what runs it (worker, or API with RUN_PROCESSORS). */
@Module({
  imports: [BillingModule, LimitsModule],
  providers: [BillingProcessor, UsageRetentionService, BudgetReconcileScheduler],
})
export class BillingWorkerModule {}
