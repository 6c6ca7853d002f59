import { Module } from '@nestjs/common';
import { AlertsModule } from '#src/modules/alerts/alerts.module';
import { BillingModule } from '#src/modules/billing/billing.module';
import { AdmissionService } from '#src/modules/calls/admission';
import { KeysModule } from '#src/modules/keys/keys.module';
import { BudgetAlerts } from '#src/modules/ratelimit/budget-alerts';
import { LimitsClock } from '#src/modules/ratelimit/limits-clock';
import { BudgetReconciler } from '#src/modules/ratelimit/budget-reconciler.service';
import { BudgetRebuilder } from '#src/modules/ratelimit/budget-rebuilder.service';
import { RedisAdmissionService } from '#src/modules/ratelimit/redis-admission.service';

/** Admission of proxied calls against rate limits, token limits and budgets (SPEC §7), for keys and their teams (SPEC §13). */
@Module({
  imports: [BillingModule, KeysModule, AlertsModule],
  providers: [
    BudgetRebuilder,
    BudgetReconciler,
    LimitsClock,
    BudgetAlerts,
    { provide: AdmissionService, useClass: RedisAdmissionService },
  ],
  exports: [AdmissionService, BudgetRebuilder, BudgetReconciler, LimitsClock, BudgetAlerts],
})
export class LimitsModule {}
