import { Injectable } from '@nestjs/common';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { TtlCache } from '#src/core/cache/ttl-cache';
import { AppConfig } from '#src/core/config/app-config';
import { DatabaseUnavailableException } from '#src/core/database/database-unavailable';
import type { ApiKeyEntity } from '#src/modules/keys/api-key.entity';
import { hashApiKey } from '#src/modules/keys/api-key-secret';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';
import { InvalidApiKeyException } from '#src/modules/keys/keys.exception';
import { type ResolvedCacheSetting, resolveCacheSetting } from '#src/modules/response-cache/cache-setting';

/** The calling key as the proxy sees it (from the cache). */
export interface AuthenticatedKey {
  id: string;
  name: string;
  keyPrefix: string;
  /** Alias or model names; empty means every model. */
  allowedModels: string[];
  rateLimit: number | null;
  tokensPerMinute: number | null;
  /** USD, exact decimal string. */
  monthlyBudget: string | null;
  expiresAt: Date | null;
  tags: Record<string, string>;
  /** The key's response-cache setting (SPEC §14), null when it has none. */
  cache?: ResolvedCacheSetting | null;
}

/** Unknown hashes are remembered this long, so a flood of bad keys costs one query per key per window. */
const NEGATIVE_TTL_MS = 5_000;
const NEGATIVE_MAX = 10_000;
const UNUSABLE = Symbol('unusable');

/**
 * API key authentication for the proxy: SHA-256 of the presented key, looked up behind an LRU cache with
 * TTL (CACHE_API_KEY_SIZE, CACHE_TTL). Disabled, revoked and deleted keys are cached as unusable; unknown
 * hashes are cached negatively for a few seconds. Every admin change to keys drops the cache on every pod.
 */
@Injectable()
export class ApiKeyAuthService {
  private readonly cache: TtlCache<string, AuthenticatedKey | typeof UNUSABLE>;

  constructor(
    config: AppConfig,
    private readonly repository: ApiKeyRepository,
    invalidation: CacheInvalidationService,
  ) {
    const ttl = config.env.CACHE_TTL;
    this.cache = new TtlCache({
      max: config.env.CACHE_API_KEY_SIZE,
      ttl,
      negative: { max: NEGATIVE_MAX, ttl: Math.min(NEGATIVE_TTL_MS, ttl) },
      load: (hash) => this.load(hash),
    });
    // a key created later drops a remembered unknown hash too
    invalidation.on('api_keys', () => this.cache.clear());
  }

  /** The usable key for this plaintext, or InvalidApiKeyException. */
  async authenticate(plaintext: string | null): Promise<AuthenticatedKey> {
    if (!plaintext) throw new InvalidApiKeyException();
    const entry = await this.cache.get(hashApiKey(plaintext)).catch((err: unknown) => {
      // a database outage is not a bad key: 503, never 401
      throw DatabaseUnavailableException.wrap(err);
    });
    if (entry === undefined || entry === UNUSABLE) throw new InvalidApiKeyException();
    if (entry.expiresAt && entry.expiresAt.getTime() <= Date.now())
      throw new InvalidApiKeyException('This API key has expired.');
    return entry;
  }

  /** undefined for an unknown hash (cached negatively, apart from the keys). */
  private async load(hash: string): Promise<AuthenticatedKey | typeof UNUSABLE | undefined> {
    const row = await this.repository.findByHash(hash);
    if (!row) return undefined;
    return usable(row) ? toAuthenticated(row) : UNUSABLE;
  }
}

function usable(row: ApiKeyEntity): boolean {
  return row.enabled && !row.revokedAt && !row.deletedAt;
}

function toAuthenticated(row: ApiKeyEntity): AuthenticatedKey {
  return {
    id: row.id,
    name: row.name,
    keyPrefix: row.keyPrefix,
    allowedModels: row.allowedModels,
    rateLimit: row.rateLimit,
    tokensPerMinute: row.tokensPerMinute,
    monthlyBudget: row.monthlyBudget,
    expiresAt: row.expiresAt,
    tags: Object.fromEntries((row.metadata ?? []).map((m) => [m.key, m.value])),
    cache: resolveCacheSetting(row.cache),
  };
}
