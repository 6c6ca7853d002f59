import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import type { AliasRouting } from '#src/modules/models/alias-routing';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';
import { ModelEntity } from '#src/modules/models/model.entity';

@Entity('model_aliases')
@Check('model_aliases_target_ck', '"model_id" IS NOT NULL OR "routing" IS NOT NULL')
export class ModelAliasEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Index('model_aliases_name_uq', { unique: true })
  @Column('varchar', { length: 256 })
  name: string;

  /** The one model of an alias without `routing` (null when routing is set). */
  @Index('model_aliases_model_id_idx')
  @Column('uuid', { nullable: true })
  modelId: string | null;

  @ManyToOne(() => ModelEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'model_aliases_model_id_fk' })
  model: Relation<ModelEntity> | null;

  /** Routing over several models (SPEC §11), targets by model id; null: the alias is its `model_id`. */
  @Column('jsonb', { nullable: true })
  routing: AliasRouting | null;

  /** Default request parameters; the client's own values override them. */
  @Column('jsonb', { default: () => "'{}'" })
  config: Record<string, unknown>;

  @Column('jsonb', { default: () => "'{}'" })
  tags: Record<string, string>;

  /** Response cache (SPEC §14): `{ttl, scope}`; null: the next less specific setting applies. */
  @Column('jsonb', { nullable: true })
  cache: CacheSetting | null;

  @Column('boolean', { default: true })
  enabled: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
