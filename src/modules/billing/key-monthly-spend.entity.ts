import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a key spent in a UTC calendar month; the durable base of its Redis budget counter. */
@Entity('key_monthly_spend')
export class KeyMonthlySpendEntity {
  @PrimaryColumn('uuid')
  apiKeyId: string;

  /** First day of the month. */
  @PrimaryColumn('date')
  month: string;

  @Column('numeric', { default: 0 })
  costUsd: string;

  @Column('bigint', { default: 0 })
  requests: string;
}
