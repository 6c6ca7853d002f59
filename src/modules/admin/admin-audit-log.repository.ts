import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { AdminAuditLogEntity } from '#src/modules/admin/admin-audit-log.entity';

export interface AdminAuditEntry {
  adminId: string | null;
  adminType: string;
  adminName: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  /** Names of the fields the change touched; never their values. */
  fields: string[];
}

export interface AdminAuditFilter {
  resource?: string;
  adminId?: string;
}

@Injectable()
export class AdminAuditLogRepository {
  constructor(@InjectRepository(AdminAuditLogEntity) private readonly repo: Repository<AdminAuditLogEntity>) {}

  private r(manager?: EntityManager): Repository<AdminAuditLogEntity> {
    return manager ? manager.getRepository(AdminAuditLogEntity) : this.repo;
  }

  async record(entry: AdminAuditEntry, manager?: EntityManager): Promise<void> {
    const { fields, ...row } = entry;
    await this.r(manager).insert({ ...row, details: { fields } });
  }

  /** Newest first. */
  list(filter: AdminAuditFilter, limit: number, offset: number): Promise<[AdminAuditLogEntity[], number]> {
    return this.repo.findAndCount({
      where: {
        ...(filter.resource !== undefined ? { resource: filter.resource } : {}),
        ...(filter.adminId !== undefined ? { adminId: filter.adminId } : {}),
      },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }
}
