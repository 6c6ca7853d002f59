import { Module } from '@nestjs/common';
import { BillingEnqueuer } from '#src/modules/billing/billing-enqueuer.service';
import { BillingService } from '#src/modules/billing/billing.service';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import { UsageRecordRepository } from '#src/modules/billing/usage-record.repository';
import { UsageReportRepository } from '#src/modules/billing/usage-report.repository';

/** Usage records and aggregates, and the proxy side of billing (enqueueing call events). */
@Module({
  providers: [UsageRecordRepository, UsageAggregateRepository, UsageReportRepository, BillingService, BillingEnqueuer],
  exports: [UsageRecordRepository, UsageAggregateRepository, UsageReportRepository, BillingService, BillingEnqueuer],
})
export class BillingModule {}
