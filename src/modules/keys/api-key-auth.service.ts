import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { AppConfig } from '#src/core/config/app-config';
import { DatabaseUnavailableException } from '#src/core/database/database-unavailable';
import type { ApiKeyEntity } from '#src/modules/keys/api-key.entity';
import { hashApiKey } from '#src/modules/keys/api-key-secret';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';
import { InvalidApiKeyException } from '#src/modules/keys/keys.exception';

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
  private readonly cache: LRUCache<string, AuthenticatedKey | typeof UNUSABLE>;
  private readonly unknown: LRUCache<string, true>;
  private readonly inflight = new Map<string, Promise<AuthenticatedKey | typeof UNUSABLE | null>>();
  /** Bumped on invalidation, so a load that started before a change never caches what it read. */
  private generation = 0;

  constructor(
    config: AppConfig,
    private readonly repository: ApiKeyRepository,
    invalidation: CacheInvalidationService,
  ) {
    this.cache = new LRUCache({ max: config.env.CACHE_API_KEY_SIZE, ttl: config.env.CACHE_TTL });
    this.unknown = new LRUCache({ max: NEGATIVE_MAX, ttl: Math.min(NEGATIVE_TTL_MS, config.env.CACHE_TTL) });
    invalidation.on('api_keys', () => {
      this.generation++;
      this.inflight.clear();
      this.cache.clear();
      this.unknown.clear();
    });
  }

  /** The usable key for this plaintext, or InvalidApiKeyException. */
  async authenticate(plaintext: string | null): Promise<AuthenticatedKey> {
    if (!plaintext) throw new InvalidApiKeyException();
    const hash = hashApiKey(plaintext);
    let entry = this.cache.get(hash);
    if (entry === undefined) {
      if (this.unknown.has(hash)) throw new InvalidApiKeyException();
      const loaded = await this.load(hash).catch((err: unknown) => {
        // a database outage is not a bad key: 503, never 401
        throw DatabaseUnavailableException.wrap(err);
      });
      if (loaded === null) {
        this.unknown.set(hash, true); // a key created later drops this via invalidation
        throw new InvalidApiKeyException();
      }
      entry = loaded;
    }
    if (entry === UNUSABLE) throw new InvalidApiKeyException();
    if (entry.expiresAt && entry.expiresAt.getTime() <= Date.now())
      throw new InvalidApiKeyException('This API key has expired.');
    return entry;
  }

  /** One query per hash even when many requests miss at once. */
  private load(hash: string): Promise<AuthenticatedKey | typeof UNUSABLE | null> {
    let pending = this.inflight.get(hash);
    if (!pending) {
      const generation = this.generation;
      const load = this.repository
        .findByHash(hash)
        .then((row) => {
          if (!row) return null;
          const entry = usable(row) ? toAuthenticated(row) : UNUSABLE;
          if (generation === this.generation) this.cache.set(hash, entry);
          return entry;
        })
        .finally(() => {
          if (this.inflight.get(hash) === load) this.inflight.delete(hash);
        });
      this.inflight.set(hash, load);
      pending = load;
    }
    return pending;
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
  };
}
