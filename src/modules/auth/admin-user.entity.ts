import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const ADMIN_ROLES = ['viewer', 'editor', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

@Entity('admin_users')
export class AdminUserEntity {
  @PrimaryColumn('uuid')
  id: string;

  /** Stored lower-case. */
  @Index('admin_users_email_uq', { unique: true })
  @Column('varchar', { length: 320 })
  email: string;

  /** Argon2id. */
  @Column('text')
  passwordHash: string;

  @Column('varchar', { length: 256, nullable: true })
  displayName: string | null;

  @Column('text', { array: true, default: () => "'{}'" })
  roles: AdminRole[];

  @Column('boolean', { default: true })
  enabled: boolean;

  /** Raised when the password changes or the user is disabled; JWTs carry it (`cv`) and must match. */
  @Column('integer', { default: 1 })
  credentialVersion: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
