import { Injectable, Logger } from '@nestjs/common';
import type { LimitSubject } from '#src/modules/ratelimit/limit-subjects';

/** A budget threshold a settle found reached for the first time in its period (exactly once across all pods). */
export interface BudgetCrossing {
  subject: Pick<LimitSubject, 'type' | 'id' | 'name'>;
  threshold: number;
  budgetNanos: number;
  spentNanos: number;
  /** Budget period id (budget-period.ts). */
  period: string;
}

/**
 * Where reached budget thresholds go (SPEC §13): the alert webhooks when the alerts module is loaded, else the log.
 * Never throws into the settle that found them.
 */
@Injectable()
export class BudgetAlerts {
  private readonly logger = new Logger(BudgetAlerts.name);

  crossed(crossing: BudgetCrossing): void {
    this.logger.log(
      { subject: crossing.subject, threshold: crossing.threshold, period: crossing.period },
      'budget threshold reached',
    );
  }
}
