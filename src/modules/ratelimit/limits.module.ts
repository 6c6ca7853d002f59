import { Module } from '@nestjs/common';
import { BillingModule } from '#src/modules/billing/billing.module';
import { AdmissionService } from '#src/modules/calls/admission';
import { BudgetRebuilder } from '#src/modules/ratelimit/budget-rebuilder.service';
import { RedisAdmissionService } from '#src/modules/ratelimit/redis-admission.service';

/** Admission of proxied calls against rate limits, token limits and budgets (SPEC §7). */
@Module({
  imports: [BillingModule],
  providers: [BudgetRebuilder, { provide: AdmissionService, useClass: RedisAdmissionService }],
  exports: [AdmissionService, BudgetRebuilder],
})
export class LimitsModule {}
