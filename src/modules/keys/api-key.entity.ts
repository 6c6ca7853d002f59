import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import type { PeriodKind } from '#src/modules/billing/budget-period';
import type { TeamEntity } from '#src/modules/teams/team.entity';
import type { KeyMetadataEntity } from '#src/modules/keys/key-metadata.entity';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('varchar', { length: 256 })
  name: string;

  /** SHA-256 hex of the plaintext key; the plaintext is never stored. */
  @Index('api_keys_key_hash_uq', { unique: true })
  @Column('char', { length: 64 })
  keyHash: string;

  /** First characters of the key, for display. */
  @Column('varchar', { length: 32 })
  keyPrefix: string;

  @Column('boolean', { default: true })
  enabled: boolean;

  /** Alias or model names this key may call; empty means all. */
  @Column('text', { array: true, default: () => "'{}'" })
  allowedModels: string[];

  /** Requests per rolling minute; null = unlimited, 0 = refuse all. */
  @Column('integer', { nullable: true })
  rateLimit: number | null;

  @Column('integer', { nullable: true })
  tokensPerMinute: number | null;

  /** USD per `budgetPeriod` (calendar UTC); null = unlimited. Was `monthly_budget` (a `month` budget). */
  @Column('numeric', { nullable: true })
  budget: string | null;

  @Column('varchar', { length: 8, default: 'month' })
  budgetPeriod: PeriodKind;

  /** Fractions of the budget that send an alert (SPEC §13); null = the default [0.8, 1]. */
  @Column('jsonb', { nullable: true })
  alertThresholds: number[] | null;

  /** The key's team (SPEC §13): its limits, budget and allowlist apply too. */
  @Index('api_keys_team_id_idx')
  @Column('uuid', { nullable: true })
  teamId: string | null;

  @ManyToOne('TeamEntity', { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'team_id', foreignKeyConstraintName: 'FK_api_keys_team_id' })
  team?: Relation<TeamEntity> | null;

  @Column('timestamptz', { nullable: true })
  expiresAt: Date | null;

  /** Response cache (SPEC §14): `{ttl, scope}`; null: the next less specific setting applies. */
  @Column('jsonb', { nullable: true })
  cache: CacheSetting | null;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;

  /** Soft delete: hidden from lists, kept for usage history. */
  @Column('timestamptz', { nullable: true })
  deletedAt: Date | null;

  @OneToMany('KeyMetadataEntity', 'apiKey')
  metadata: Relation<KeyMetadataEntity>[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
