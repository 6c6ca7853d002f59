import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row per call admitted past the limits (upstream errors and client aborts included).
 * Names are copied so history survives renames and deletes.
 */
@Entity('usage_records')
@Index('usage_records_api_key_id_created_at_idx', ['apiKeyId', 'createdAt'])
@Index('usage_records_created_at_idx', ['createdAt'])
@Index('usage_records_team_id_created_at_idx', ['teamId', 'createdAt'])
export class UsageRecordEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Index('usage_records_call_id_uq', { unique: true })
  @Column('uuid')
  callId: string;

  @Column('varchar', { length: 128, nullable: true })
  clientRequestId: string | null;

  @Column('uuid', { nullable: true })
  apiKeyId: string | null;

  @Column('varchar', { length: 256, nullable: true })
  apiKeyName: string | null;

  /** The key's team when the call was made (SPEC §13). */
  @Column('uuid', { nullable: true })
  teamId: string | null;

  /** The application's end user: OpenAI's `user`, Anthropic's `metadata.user_id` (SPEC §13). */
  @Column('varchar', { length: 256, nullable: true })
  endUser: string | null;

  @Column('uuid', { nullable: true })
  modelId: string | null;

  @Column('varchar', { length: 256, nullable: true })
  modelName: string | null;

  /** The alias the client called, when it called one. */
  @Column('varchar', { length: 256, nullable: true })
  alias: string | null;

  @Column('uuid', { nullable: true })
  providerId: string | null;

  @Column('varchar', { length: 128, nullable: true })
  providerName: string | null;

  @Column('varchar', { length: 32, default: 'chat' })
  endpoint: string;

  @Column('integer', { default: 0 })
  promptTokens: number;

  @Column('integer', { default: 0 })
  completionTokens: number;

  @Column('integer', { default: 0 })
  cacheReadTokens: number;

  @Column('integer', { default: 0 })
  cacheWriteTokens: number;

  @Column('integer', { default: 0 })
  reasoningTokens: number;

  @Column('numeric', { default: 0 })
  costUsd: string;

  @Column('boolean', { default: false })
  estimated: boolean;

  @Column('boolean', { default: false })
  unpriced: boolean;

  @Column('integer')
  status: number;

  @Column('varchar', { length: 64, nullable: true })
  errorCode: string | null;

  @Column('boolean', { default: false })
  stream: boolean;

  @Column('integer', { default: 0 })
  latencyMs: number;

  @Column('integer', { nullable: true })
  ttftMs: number | null;

  @Column('integer', { default: 0 })
  overheadMs: number;

  /** Upstream attempts the call took (more than one when a routed alias retried or fell back). */
  @Column('smallint', { default: 1 })
  attempts: number;

  /** Answered from the response cache (SPEC §14): cost 0, no provider tokens. */
  @Column('boolean', { default: false })
  cacheHit: boolean;

  /** What a cache hit saved: the cost of the answer it replayed (USD). */
  @Column('numeric', { default: 0 })
  savedUsd: string;

  /** When the call was admitted; the call belongs to this UTC month. */
  @Column('timestamptz')
  createdAt: Date;
}
