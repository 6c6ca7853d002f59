import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Daily rollup per key, model and provider (UTC days). Kept when usage records are pruned. */
@Entity('usage_daily')
@Index('usage_daily_api_key_id_day_idx', ['apiKeyId', 'day'])
export class UsageDailyEntity {
  @PrimaryColumn('date')
  day: string;

  @PrimaryColumn('uuid')
  apiKeyId: string;

  @PrimaryColumn('varchar', { length: 256 })
  modelName: string;

  @PrimaryColumn('varchar', { length: 128 })
  providerName: string;

  @Column('bigint', { default: 0 })
  requests: string;

  @Column('bigint', { default: 0 })
  promptTokens: string;

  @Column('bigint', { default: 0 })
  completionTokens: string;

  @Column('bigint', { default: 0 })
  cacheReadTokens: string;

  @Column('bigint', { default: 0 })
  cacheWriteTokens: string;

  @Column('bigint', { default: 0 })
  reasoningTokens: string;

  @Column('numeric', { default: 0 })
  costUsd: string;

  @Column('bigint', { default: 0 })
  estimatedRequests: string;

  @Column('bigint', { default: 0 })
  unpricedRequests: string;

  /** Calls answered from the response cache. */
  @Column('bigint', { default: 0 })
  cacheHits: string;

  /** What those hits saved (USD). */
  @Column('numeric', { default: 0 })
  savedUsd: string;
}
