import { Module } from '@nestjs/common';
import { BillingEnqueuer } from '#src/modules/billing/billing-enqueuer.service';
import { BillingModule } from '#src/modules/billing/billing.module';

/**
 * The proxy side of billing: the sink that batches every admitted call into billing jobs. Only the API process
 * imports it; a worker has no calls, and would otherwise hold a second sink on the bus.
 */
@Module({
  imports: [BillingModule],
  providers: [BillingEnqueuer],
  exports: [BillingEnqueuer],
})
export class BillingSinkModule {}
