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
import { ProviderEntity } from '#src/modules/providers/provider.entity';
import type { PricingComponentEntity } from '#src/modules/models/pricing-component.entity';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';

@Entity('models')
export class ModelEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Index('models_name_uq', { unique: true })
  @Column('varchar', { length: 256 })
  name: string;

  @Index('models_provider_id_idx')
  @Column('uuid', { nullable: true })
  providerId: string | null;

  @ManyToOne(() => ProviderEntity, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'provider_id', foreignKeyConstraintName: 'models_provider_id_fk' })
  provider: Relation<ProviderEntity> | null;

  /** The id the provider knows the model by; the model's name when null. */
  @Column('varchar', { length: 256, nullable: true })
  providerModelId: string | null;

  @Column('integer', { nullable: true })
  contextWindow: number | null;

  @Column('integer', { nullable: true })
  maxOutputTokens: number | null;

  @Column('text', { array: true, default: () => "'{}'" })
  capabilities: string[];

  /** The provider account's requests per minute for this deployment (SPEC §11), counted across pods. */
  @Column('integer', { nullable: true })
  rpmLimit: number | null;

  /** The provider account's tokens per minute for this deployment. */
  @Column('integer', { nullable: true })
  tpmLimit: number | null;

  @Column('jsonb', { default: () => "'{}'" })
  metadata: Record<string, unknown>;

  /** Response cache (SPEC §14): `{ttl, scope}`; null: the next less specific setting applies. */
  @Column('jsonb', { nullable: true })
  cache: CacheSetting | null;

  @Column('boolean', { default: true })
  enabled: boolean;

  @OneToMany('PricingComponentEntity', 'model')
  pricing: Relation<PricingComponentEntity>[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
