import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';

/** A service account that exchanges its token for an admin JWT. */
@Entity('admin_tokens')
export class AdminTokenEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Index('admin_tokens_service_name_uq', { unique: true })
  @Column('varchar', { length: 128 })
  serviceName: string;

  /** Argon2id of the token. */
  @Column('text')
  tokenHash: string;

  @Column('text', { array: true, default: () => "'{}'" })
  roles: AdminRole[];

  @Column('boolean', { default: true })
  enabled: boolean;

  @Column('timestamptz', { nullable: true })
  expiresAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
