import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who changed what and when through the admin API. Never holds secrets. */
@Entity('admin_audit_log')
@Index('admin_audit_log_created_at_idx', ['createdAt'])
export class AdminAuditLogEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('uuid', { nullable: true })
  adminId: string | null;

  /** `user` or `service`. */
  @Column('varchar', { length: 16 })
  adminType: string;

  @Column('varchar', { length: 320, nullable: true })
  adminName: string | null;

  @Column('varchar', { length: 64 })
  action: string;

  @Column('varchar', { length: 64 })
  resource: string;

  @Column('varchar', { length: 64, nullable: true })
  resourceId: string | null;

  /** Names of the fields a change touched (values are not kept, so secrets never land here). */
  @Column('jsonb', { default: () => "'{}'" })
  details: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
