import { Injectable } from '@nestjs/common';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { TtlCache } from '#src/core/cache/ttl-cache';
import { AppConfig } from '#src/core/config/app-config';
import { isUuid } from '#src/core/database/ids';
import { type AdminAuthType } from '#src/modules/auth/admin-roles';
import { AdminTokenRepository } from '#src/modules/auth/admin-token.repository';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';

/** The caller of an admin route, as the guard sees it: current roles, never the JWT's copy. */
export interface AdminPrincipal {
  id: string;
  type: AdminAuthType;
  /** The user's email or the service name (for the audit log). */
  name: string;
  roles: AdminRole[];
}

interface CachedAdmin {
  principal: AdminPrincipal;
  enabled: boolean;
  expiresAt: Date | null;
  /** Users only: the JWT's `cv` must equal it. */
  credentialVersion: number | null;
}

const GONE = Symbol('gone');
const CACHE_MAX = 1000;

/**
 * Admin records behind an LRU cache with CACHE_TTL, dropped on every pod by the `admins` invalidation, so a
 * role downgrade, a disable or a delete applies at once through the admin API and within CACHE_TTL otherwise.
 */
@Injectable()
export class AdminPrincipalService {
  private readonly cache: TtlCache<string, CachedAdmin | typeof GONE>;

  constructor(
    config: AppConfig,
    private readonly users: AdminUserRepository,
    private readonly tokens: AdminTokenRepository,
    invalidation: CacheInvalidationService,
  ) {
    this.cache = new TtlCache<string, CachedAdmin | typeof GONE>({
      max: CACHE_MAX,
      ttl: config.env.CACHE_TTL,
      load: async (key) => {
        const [type, id] = key.split(':') as [AdminAuthType, string];
        return (await this.load(type, id)) ?? GONE;
      },
    });
    invalidation.on('admins', () => this.cache.clear());
  }

  /** The enabled, unexpired admin behind a JWT's subject (a user's at credential version `cv`), or null. */
  async resolve(type: AdminAuthType, id: string, cv?: unknown): Promise<AdminPrincipal | null> {
    if ((type !== 'user' && type !== 'service') || typeof id !== 'string' || !isUuid(id)) return null;
    const entry = await this.cache.get(`${type}:${id}`);
    if (entry === undefined || entry === GONE || !entry.enabled) return null;
    if (entry.credentialVersion !== null && cv !== entry.credentialVersion) return null;
    if (entry.expiresAt && entry.expiresAt.getTime() <= Date.now()) return null;
    return entry.principal;
  }

  private async load(type: AdminAuthType, id: string): Promise<CachedAdmin | null> {
    if (type === 'user') {
      const user = await this.users.findById(id);
      return user
        ? {
            principal: { id, type, name: user.email, roles: user.roles },
            enabled: user.enabled,
            expiresAt: null,
            credentialVersion: user.credentialVersion,
          }
        : null;
    }
    const token = await this.tokens.findById(id);
    return token
      ? {
          principal: { id, type, name: token.serviceName, roles: token.roles },
          enabled: token.enabled,
          expiresAt: token.expiresAt,
          credentialVersion: null,
        }
      : null;
  }
}
