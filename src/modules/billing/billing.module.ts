import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingService } from '#src/modules/billing/billing.service';
import { UsageAggregateRepository } from '#src/modules/billing/usage-aggregate.repository';
import { UsageRecordRepository } from '#src/modules/billing/usage-record.repository';
import { UsageOverviewRepository } from '#src/modules/billing/usage-overview.repository';
import { UsageReportRepository } from '#src/modules/billing/usage-report.repository';
import { UsageRecordEntity } from '#src/modules/billing/usage-record.entity';
import { UsageDailyEntity } from '#src/modules/billing/usage-daily.entity';
import { BudgetSpendEntity } from '#src/modules/billing/budget-spend.entity';

/** Usage records and aggregates and the service that writes them, shared by both processes (BillingSinkModule is the proxy side). */
@Module({
  imports: [TypeOrmModule.forFeature([UsageRecordEntity, UsageDailyEntity, BudgetSpendEntity])],
  providers: [
    UsageRecordRepository,
    UsageAggregateRepository,
    UsageReportRepository,
    UsageOverviewRepository,
    BillingService,
  ],
  exports: [
    UsageRecordRepository,
    UsageAggregateRepository,
    UsageReportRepository,
    UsageOverviewRepository,
    BillingService,
  ],
})
export class BillingModule {}
