import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const ADMIN_ROLES = ['viewer', 'editor', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

@Entity('admin_users')
@Index('admin_users_oidc_uq', ['oidcIssuer', 'oidcSubject'], { unique: true, where: '"oidc_subject" IS NOT NULL' })
export class AdminUserEntity {
  @PrimaryColumn('uuid')
  id: string;

  /** Stored lower-case. */
  @Index('admin_users_email_uq', { unique: true })
  @Column('varchar', { length: 320 })
  email: string;

  /** Argon2id; null for a user created by SSO sign-in (no password until an admin sets one). */
  @Column('text', { nullable: true })
  passwordHash: string | null;

  @Column('varchar', { length: 256, nullable: true })
  displayName: string | null;

  @Column('text', { array: true, default: () => "'{}'" })
  roles: AdminRole[];

  @Column('boolean', { default: true })
  enabled: boolean;

  /** The OIDC issuer and subject (`sub`) of a user who signs in through SSO; null for others. */
  @Column('varchar', { length: 2048, nullable: true })
  oidcIssuer: string | null;

  @Column('varchar', { length: 255, nullable: true })
  oidcSubject: string | null;

  /** Raised when the password changes or the user is disabled; JWTs carry it (`cv`) and must match. */
  @Column('integer', { default: 1 })
  credentialVersion: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
