import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { newId } from '#src/core/database/ids';
import { AdminTokenEntity } from '#src/modules/auth/admin-token.entity';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';

export interface AdminTokenCreate {
  serviceName: string;
  tokenHash: string;
  roles: AdminRole[];
  enabled?: boolean;
  expiresAt?: Date | null;
}

/** Serialises service-name changes so two creates of one name cannot both pass the uniqueness check. */
const SERVICE_NAMES_LOCK_KEY = 7_240_531_201;

@Injectable()
export class AdminTokenRepository {
  constructor(@InjectRepository(AdminTokenEntity) private readonly repo: Repository<AdminTokenEntity>) {}

  private r(manager?: EntityManager): Repository<AdminTokenEntity> {
    return manager ? manager.getRepository(AdminTokenEntity) : this.repo;
  }

  findById(id: string, manager?: EntityManager): Promise<AdminTokenEntity | null> {
    return this.r(manager).findOneBy({ id });
  }

  findByServiceName(serviceName: string, manager?: EntityManager): Promise<AdminTokenEntity | null> {
    return this.r(manager).findOneBy({ serviceName });
  }

  list(limit: number, offset: number): Promise<[AdminTokenEntity[], number]> {
    return this.repo.findAndCount({ order: { createdAt: 'ASC', id: 'ASC' }, take: limit, skip: offset });
  }

  /** Holds a transaction-scoped lock over service names until the transaction ends. */
  async lockServiceNames(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [SERVICE_NAMES_LOCK_KEY]);
  }

  create(input: AdminTokenCreate, manager?: EntityManager): Promise<AdminTokenEntity> {
    const r = this.r(manager);
    return r.save(
      r.create({
        id: newId(),
        serviceName: input.serviceName,
        tokenHash: input.tokenHash,
        roles: input.roles,
        enabled: input.enabled ?? true,
        expiresAt: input.expiresAt ?? null,
      }),
    );
  }

  save(token: AdminTokenEntity, manager?: EntityManager): Promise<AdminTokenEntity> {
    return this.r(manager).save(token);
  }

  async delete(id: string, manager?: EntityManager): Promise<void> {
    await this.r(manager).delete({ id });
  }
}
