import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import type { ApiKeyEntity } from '#src/modules/keys/api-key.entity';

/** An API key's tags, one row per key → value, so keys can be filtered by tag with an index. */
@Entity('key_metadata')
@Index('key_metadata_key_value_idx', ['key', 'value'])
export class KeyMetadataEntity {
  @PrimaryColumn('uuid')
  apiKeyId: string;

  @PrimaryColumn('varchar', { length: 128 })
  key: string;

  @Column('text')
  value: string;

  @ManyToOne('ApiKeyEntity', 'metadata', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'api_key_id', foreignKeyConstraintName: 'key_metadata_api_key_id_fk' })
  apiKey: Relation<ApiKeyEntity>;
}
