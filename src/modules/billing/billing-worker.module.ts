import { Module } from '@nestjs/common';
import { BillingModule } from '#src/modules/billing/billing.module';
import { BillingProcessor } from '#src/modules/billing/billing.processor';
import { UsageRetentionService } from '#src/modules/billing/usage-retention.service';

/** The billing processor; registering this module is what runs it (worker, or API with RUN_PROCESSORS). */
@Module({
  imports: [BillingModule],
  providers: [BillingProcessor, UsageRetentionService],
})
export class BillingWorkerModule {}
