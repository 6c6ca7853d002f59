import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { AlertPublisher } from '#src/modules/alerts/alert-publisher.service';
import { parsePeriod } from '#src/modules/billing/budget-period';
import { formatUsd } from '#src/modules/billing/cost-calculator';
import type { LimitSubject } from '#src/modules/ratelimit/limit-subjects';

/** A budget threshold reached for the first time in its period (found once across all pods, see SETTLE_LUA). */
export interface BudgetCrossing {
  subject: Pick<LimitSubject, 'type' | 'id' | 'name'>;
  threshold: number;
  budgetNanos: number;
  spentNanos: number;
  /** Budget period id (budget-period.ts). */
  period: string;
}

const usd = (nanos: number): string => formatUsd(new Decimal(nanos).div(1e9));

/**
 * Turns reached budget thresholds into alert events (SPEC §13): `budget.threshold` below 1, `budget.exceeded` at 1,
 * with an id fixed by subject, threshold and period, so the event is delivered once even if it is published again.
 * Off the call's path: publishing never throws and is not awaited by the settle.
 */
@Injectable()
export class BudgetAlerts {
  constructor(private readonly publisher: AlertPublisher) {}

  crossed(c: BudgetCrossing): void {
    const type = c.threshold >= 1 ? 'budget.exceeded' : 'budget.threshold';
    const { kind, start } = parsePeriod(c.period);
    void this.publisher.publish({
      id: `${type}:${c.subject.type}:${c.subject.id}:${c.threshold}:${c.period}`,
      type,
      created_at: new Date().toISOString(),
      data: {
        subject: { type: c.subject.type, id: c.subject.id, name: c.subject.name },
        threshold: c.threshold,
        budget_usd: usd(c.budgetNanos),
        spent_usd: usd(c.spentNanos),
        period: { kind, start: start.toISOString().slice(0, 10) },
      },
    });
  }
}
