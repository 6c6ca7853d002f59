import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ArrayContains, type EntityManager, Repository } from 'typeorm';
import { newId } from '#src/core/database/ids';
import { type AdminRole, AdminUserEntity } from '#src/modules/auth/admin-user.entity';

export interface AdminUserCreate {
  email: string;
  passwordHash: string | null;
  displayName?: string | null;
  roles: AdminRole[];
  enabled?: boolean;
  /** Set for a user created by SSO sign-in. */
  oidc?: { issuer: string; subject: string };
}

const ADMIN_ROSTER_LOCK_KEY = 7_240_531_200;

@Injectable()
export class AdminUserRepository {
  constructor(@InjectRepository(AdminUserEntity) private readonly repo: Repository<AdminUserEntity>) {}

  private r(manager?: EntityManager): Repository<AdminUserEntity> {
    return manager ? manager.getRepository(AdminUserEntity) : this.repo;
  }

  findById(id: string, manager?: EntityManager): Promise<AdminUserEntity | null> {
    return this.r(manager).findOneBy({ id });
  }

  findByOidcSubject(issuer: string, subject: string, manager?: EntityManager): Promise<AdminUserEntity | null> {
    return this.r(manager).findOneBy({ oidcIssuer: issuer, oidcSubject: subject });
  }

  findByEmail(email: string, manager?: EntityManager): Promise<AdminUserEntity | null> {
    return this.r(manager).findOneBy({ email: email.toLowerCase() });
  }

  /**
   * Holds a transaction-scoped lock over the admin roster until the transaction ends, so two concurrent
   * changes can neither both take one email nor together remove the last enabled admin.
   */
  async lockRoster(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_ROSTER_LOCK_KEY]);
  }

  countAdmins(manager?: EntityManager): Promise<number> {
    return this.r(manager).countBy({ roles: ArrayContains(['admin']) });
  }

  countEnabledAdmins(manager?: EntityManager): Promise<number> {
    return this.r(manager).countBy({ roles: ArrayContains(['admin']), enabled: true });
  }

  list(limit: number, offset: number): Promise<[AdminUserEntity[], number]> {
    return this.repo.findAndCount({ order: { createdAt: 'ASC' }, take: limit, skip: offset });
  }

  create(input: AdminUserCreate, manager?: EntityManager): Promise<AdminUserEntity> {
    const r = this.r(manager);
    return r.save(
      r.create({
        id: newId(),
        email: input.email.toLowerCase(),
        passwordHash: input.passwordHash,
        displayName: input.displayName ?? null,
        roles: input.roles,
        enabled: input.enabled ?? true,
        oidcIssuer: input.oidc?.issuer ?? null,
        oidcSubject: input.oidc?.subject ?? null,
      }),
    );
  }

  save(user: AdminUserEntity, manager?: EntityManager): Promise<AdminUserEntity> {
    return this.r(manager).save(user);
  }

  async delete(id: string, manager?: EntityManager): Promise<void> {
    await this.r(manager).delete({ id });
  }
}
