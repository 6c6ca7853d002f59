import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What a key or a team spent in one budget period (`day:…`, `week:…`, `month:…`; see budget-period.ts): the
 * durable base of its Redis spend counter. Every billed call adds to all three period kinds of its key and of
 * its team, so a budget switched to another period starts from what was really spent.
 */
@Entity('budget_spend')
export class BudgetSpendEntity {
  @PrimaryColumn('varchar', { length: 8 })
  subjectType: 'key' | 'team';

  @PrimaryColumn('uuid')
  subjectId: string;

  @PrimaryColumn('varchar', { length: 24 })
  period: string;

  @Column('numeric', { default: 0 })
  costUsd: string;

  @Column('bigint', { default: 0 })
  requests: string;
}
