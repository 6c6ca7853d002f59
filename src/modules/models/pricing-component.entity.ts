import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import type { ModelEntity } from '#src/modules/models/model.entity';

export const PRICE_DIRECTIONS = ['input', 'output', 'cache_read', 'cache_write', 'reasoning', 'tool'] as const;
export const PRICE_MODALITIES = ['text', 'image', 'audio', 'video'] as const;
export const PRICE_UNITS = [
  'token',
  '1k_tokens',
  '1m_tokens',
  'character',
  'image',
  'pixel',
  'second',
  'minute',
  'hour',
  'request',
] as const;
export type PriceDirection = (typeof PRICE_DIRECTIONS)[number];
export type PriceModality = (typeof PRICE_MODALITIES)[number];
export type PriceUnit = (typeof PRICE_UNITS)[number];

/** `default`, `above_<N>k` or a service tier. */
export const PRICE_TIER_RE = /^(default|priority|flex|batch|above_[1-9]\d{0,5}k)$/;

@Entity('pricing_components')
@Index('pricing_components_model_key_uq', ['modelId', 'direction', 'modality', 'unit', 'tier'], { unique: true })
export class PricingComponentEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid')
  modelId: string;

  @ManyToOne('ModelEntity', 'pricing', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'pricing_components_model_id_fk' })
  model: Relation<ModelEntity>;

  @Column('varchar', { length: 16 })
  direction: PriceDirection;

  @Column('varchar', { length: 16 })
  modality: PriceModality;

  @Column('varchar', { length: 16 })
  unit: PriceUnit;

  @Column('varchar', { length: 32, default: 'default' })
  tier: string;

  /** USD per unit, exact. */
  @Column('numeric')
  price: string;
}
