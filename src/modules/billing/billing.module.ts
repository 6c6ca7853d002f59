import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingEnqueuer } from '#src/modules/billing/billing-enqueuer.service';
import { BillingService } from '#src/modules/billing/billing.service';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import { UsageRecordRepository } from '#src/modules/billing/usage-record.repository';
import { UsageReportRepository } from '#src/modules/billing/usage-report.repository';
import { UsageRecordEntity } from '#src/modules/billing/usage-record.entity';
import { UsageDailyEntity } from '#src/modules/billing/usage-daily.entity';
import { KeyMonthlySpendEntity } from '#src/modules/billing/key-monthly-spend.entity';

/** Usage records and aggregates, and the proxy side of billing (enqueueing call events). */
@Module({
  imports: [TypeOrmModule.forFeature([UsageRecordEntity, UsageDailyEntity, KeyMonthlySpendEntity])],
  providers: [UsageRecordRepository, UsageAggregateRepository, UsageReportRepository, BillingService, BillingEnqueuer],
  exports: [UsageRecordRepository, UsageAggregateRepository, UsageReportRepository, BillingService, BillingEnqueuer],
})
export class BillingModule {}
