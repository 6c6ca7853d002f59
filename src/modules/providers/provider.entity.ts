import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const PROVIDER_TYPES = ['openai', 'azure-openai', 'anthropic', 'vertex-ai', 'bedrock'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

@Entity('providers')
export class ProviderEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Index('providers_name_uq', { unique: true })
  @Column('varchar', { length: 128 })
  name: string;

  @Column('varchar', { length: 32 })
  type: ProviderType;

  @Column('text', { nullable: true })
  baseUrl: string | null;

  /** `<key id>:<iv>:<tag>:<ciphertext>` (base64), AES-256-GCM of the credentials JSON. */
  @Column('text', { nullable: true })
  credentialsCiphertext: string | null;

  /** Names of the stored credential fields, so responses can show `credentials_set` without decrypting. */
  @Column('text', { array: true, default: () => "'{}'" })
  credentialsFields: string[];

  @Column('jsonb', { default: () => "'{}'" })
  config: Record<string, unknown>;

  @Column('boolean', { default: true })
  enabled: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
