import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
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
  private readonly cache: LRUCache<string, CachedAdmin | typeof GONE> | null;
  /** Bumped on invalidation, so a load that started before a change never caches what it read. */
  private generation = 0;

  constructor(
    config: AppConfig,
    private readonly users: AdminUserRepository,
    private readonly tokens: AdminTokenRepository,
    invalidation: CacheInvalidationService,
  ) {
    // lru-cache reads ttl 0 as "never expires": CACHE_TTL=0 means no caching here
    this.cache = config.env.CACHE_TTL > 0 ? new LRUCache({ max: CACHE_MAX, ttl: config.env.CACHE_TTL }) : null;
    invalidation.on('admins', () => {
      this.generation++;
      this.cache?.clear();
    });
  }

  /** The enabled, unexpired admin behind a JWT's subject (a user's at credential version `cv`), or null. */
  async resolve(type: AdminAuthType, id: string, cv?: unknown): Promise<AdminPrincipal | null> {
    if ((type !== 'user' && type !== 'service') || typeof id !== 'string' || !isUuid(id)) return null;
    const key = `${type}:${id}`;
    let entry = this.cache?.get(key);
    if (entry === undefined) {
      const generation = this.generation;
      entry = (await this.load(type, id)) ?? GONE;
      if (generation === this.generation) this.cache?.set(key, entry);
    }
    if (entry === GONE || !entry.enabled) return null;
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
