import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PeriodKind } from '#src/modules/billing/budget-period';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';

/** A team (SPEC §13): limits, a budget and an allowlist its API keys share, on top of their own. */
@Entity('teams')
export class TeamEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Index('teams_name_uq', { unique: true })
  @Column('varchar', { length: 256 })
  name: string;

  /** A disabled team's keys are refused on every pod. */
  @Column('boolean', { default: true })
  enabled: boolean;

  /** Alias or model names the team's keys may call; empty means all. */
  @Column('text', { array: true, default: () => "'{}'" })
  allowedModels: string[];

  @Column('integer', { nullable: true })
  rateLimit: number | null;

  @Column('integer', { nullable: true })
  tokensPerMinute: number | null;

  /** USD per `budgetPeriod`; null = unlimited. */
  @Column('numeric', { nullable: true })
  budget: string | null;

  @Column('varchar', { length: 8, default: 'month' })
  budgetPeriod: PeriodKind;

  /** Fractions of the budget that send an alert; null = the default [0.8, 1]. */
  @Column('jsonb', { nullable: true })
  alertThresholds: number[] | null;

  @Column('jsonb', { default: () => "'{}'" })
  tags: Record<string, string>;

  /** Response cache (SPEC §14) for the team's keys: `{ttl, scope}`; a key's own setting wins. */
  @Column('jsonb', { nullable: true })
  cache: CacheSetting | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
