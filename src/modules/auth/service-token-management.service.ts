import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import type { AdminTokenEntity } from '#src/modules/auth/admin-token.entity';
import { AdminTokenRepository } from '#src/modules/auth/admin-token.repository';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';
import { ServiceTokensException } from '#src/modules/auth/auth.exception';
import { hashSecret } from '#src/modules/auth/password-hasher';

/** Service tokens look nothing like API keys (`sk-gw-`), so neither is mistaken for the other in a config file. */
export const SERVICE_TOKEN_PREFIX = 'gwst_';

export interface ServiceTokenInput {
  serviceName: string;
  roles: AdminRole[];
  enabled?: boolean;
  expiresAt?: Date | null;
}

/**
 * Creates, changes and deletes service accounts. The token is random (32 bytes), stored as Argon2id and
 * returned only by create. Every change drops the cached admin records on every pod.
 */
@Injectable()
export class ServiceTokenManagementService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: AdminTokenRepository,
    private readonly invalidation: CacheInvalidationService,
  ) {}

  async create(input: ServiceTokenInput): Promise<{ token: AdminTokenEntity; plaintext: string }> {
    const plaintext = `${SERVICE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const tokenHash = await hashSecret(plaintext);
    const token = await this.dataSource.transaction(async (m) => {
      await this.tokens.lockServiceNames(m);
      await this.requireFreeName(input.serviceName, m);
      return this.tokens.create({ ...input, tokenHash }, m);
    });
    await this.invalidation.invalidate('admins');
    return { token, plaintext };
  }

  async update(id: string, patch: Partial<ServiceTokenInput>): Promise<AdminTokenEntity> {
    const token = await this.dataSource.transaction(async (m) => {
      await this.tokens.lockServiceNames(m);
      const token = await this.existing(id, m);
      if (patch.serviceName !== undefined && patch.serviceName !== token.serviceName) {
        await this.requireFreeName(patch.serviceName, m);
        token.serviceName = patch.serviceName;
      }
      if (patch.roles !== undefined) token.roles = patch.roles;
      if (patch.enabled !== undefined) token.enabled = patch.enabled;
      if (patch.expiresAt !== undefined) token.expiresAt = patch.expiresAt;
      return this.tokens.save(token, m);
    });
    await this.invalidation.invalidate('admins');
    return token;
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.existing(id, m);
      await this.tokens.delete(id, m);
    });
    await this.invalidation.invalidate('admins');
  }

  private async existing(id: string, m: EntityManager): Promise<AdminTokenEntity> {
    const token = await this.tokens.findById(id, m);
    if (!token) throw ServiceTokensException.notFound(id);
    return token;
  }

  private async requireFreeName(serviceName: string, m: EntityManager): Promise<void> {
    if (await this.tokens.findByServiceName(serviceName, m)) throw ServiceTokensException.nameTaken(serviceName);
  }
}
