import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import type { AdminRole, AdminUserEntity } from '#src/modules/auth/admin-user.entity';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { AdminUsersException } from '#src/modules/auth/auth.exception';
import { hashSecret } from '#src/modules/auth/password-hasher';

export interface AdminUserInput {
  email: string;
  password: string;
  displayName?: string | null;
  roles: AdminRole[];
  enabled?: boolean;
}

const isEnabledAdmin = (u: Pick<AdminUserEntity, 'roles' | 'enabled'>): boolean =>
  u.enabled && u.roles.includes('admin');

/**
 * Creates, changes and deletes admin users. Passwords are hashed (Argon2id) before the roster lock is taken;
 * the last enabled admin can be neither disabled, downgraded nor deleted. Every change drops the cached admin
 * records on every pod.
 */
@Injectable()
export class AdminUserManagementService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: AdminUserRepository,
    private readonly invalidation: CacheInvalidationService,
  ) {}

  async create(input: AdminUserInput): Promise<AdminUserEntity> {
    const passwordHash = await hashSecret(input.password);
    const user = await this.dataSource.transaction(async (m) => {
      await this.users.lockRoster(m);
      await this.requireFreeEmail(input.email, m);
      return this.users.create({ ...input, passwordHash }, m);
    });
    await this.invalidation.invalidate('admins');
    return user;
  }

  async update(id: string, patch: Partial<AdminUserInput>): Promise<AdminUserEntity> {
    const passwordHash = patch.password !== undefined ? await hashSecret(patch.password) : undefined;
    const user = await this.dataSource.transaction(async (m) => {
      await this.users.lockRoster(m);
      const user = await this.existing(id, m);
      if (patch.email !== undefined && patch.email.toLowerCase() !== user.email) {
        await this.requireFreeEmail(patch.email, m);
        user.email = patch.email.toLowerCase();
      }
      const next = { roles: patch.roles ?? user.roles, enabled: patch.enabled ?? user.enabled };
      if (isEnabledAdmin(user) && !isEnabledAdmin(next)) await this.requireAnotherAdmin(m);
      // a new password or a disable ends every JWT issued before (their `cv` no longer matches)
      if (passwordHash !== undefined || (user.enabled && !next.enabled)) user.credentialVersion++;
      user.roles = next.roles;
      user.enabled = next.enabled;
      if (patch.displayName !== undefined) user.displayName = patch.displayName;
      if (passwordHash !== undefined) user.passwordHash = passwordHash;
      return this.users.save(user, m);
    });
    await this.invalidation.invalidate('admins');
    return user;
  }

  /**
   * Sets a new password for the user with this email (the CLI's reset-admin-password), raising their
   * credential version so every JWT issued before stops working.
   */
  async resetPassword(email: string, password: string): Promise<AdminUserEntity> {
    const passwordHash = await hashSecret(password);
    const user = await this.dataSource.transaction(async (m) => {
      await this.users.lockRoster(m);
      const user = await this.users.findByEmail(email, m);
      if (!user) throw AdminUsersException.emailNotFound(email.toLowerCase());
      user.passwordHash = passwordHash;
      user.credentialVersion++;
      return this.users.save(user, m);
    });
    await this.invalidation.invalidate('admins');
    return user;
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.users.lockRoster(m);
      const user = await this.existing(id, m);
      if (isEnabledAdmin(user)) await this.requireAnotherAdmin(m);
      await this.users.delete(id, m);
    });
    await this.invalidation.invalidate('admins');
  }

  private async existing(id: string, m: EntityManager): Promise<AdminUserEntity> {
    const user = await this.users.findById(id, m);
    if (!user) throw AdminUsersException.notFound(id);
    return user;
  }

  private async requireFreeEmail(email: string, m: EntityManager): Promise<void> {
    if (await this.users.findByEmail(email, m)) throw AdminUsersException.emailTaken(email.toLowerCase());
  }

  private async requireAnotherAdmin(m: EntityManager): Promise<void> {
    if ((await this.users.countEnabledAdmins(m)) <= 1) throw AdminUsersException.lastAdmin();
  }
}
