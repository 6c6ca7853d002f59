import {
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
import { ModelEntity } from '#src/modules/models/model.entity';

@Entity('model_aliases')
export class ModelAliasEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Index('model_aliases_name_uq', { unique: true })
  @Column('varchar', { length: 256 })
  name: string;

  @Index('model_aliases_model_id_idx')
  @Column('uuid')
  modelId: string;

  @ManyToOne(() => ModelEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'model_aliases_model_id_fk' })
  model: Relation<ModelEntity>;

  /** Default request parameters; the client's own values override them. */
  @Column('jsonb', { default: () => "'{}'" })
  config: Record<string, unknown>;

  @Column('jsonb', { default: () => "'{}'" })
  tags: Record<string, string>;

  @Column('boolean', { default: true })
  enabled: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
