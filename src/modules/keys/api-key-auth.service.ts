import { Injectable } from '@nestjs/common';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { TtlCache } from '#src/core/cache/ttl-cache';
import { AppConfig } from '#src/core/config/app-config';
import { DatabaseUnavailableException } from '#src/core/database/database-unavailable';
import type { PeriodKind } from '#src/modules/billing/budget-period';
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
  /** USD per `budgetPeriod`, exact decimal string. */
  budget: string | null;
  budgetPeriod: PeriodKind;
  /** Fractions of the budget that send an alert (SPEC §13). */
  alertThresholds: number[];
  expiresAt: Date | null;
  /** The key's team, whose limits, budget and allowlist apply too; null when it has none. */
  team: AuthenticatedTeam | null;
  tags: Record<string, string>;
  /** The key's response-cache setting (SPEC §14), null when it has none. */
  cache?: ResolvedCacheSetting | null;
}

/** A key's team as the proxy sees it (loaded with the key, dropped from the cache with every team change). */
export interface AuthenticatedTeam {
  id: string;
  name: string;
  enabled: boolean;
  allowedModels: string[];
  rateLimit: number | null;
  tokensPerMinute: number | null;
  budget: string | null;
  budgetPeriod: PeriodKind;
  alertThresholds: number[];
  /** The team's response-cache setting (SPEC §14), null when it has none. */
  cache: ResolvedCacheSetting | null;
}

/** Alert thresholds when a key or team sets none (SPEC §13). */
export const DEFAULT_ALERT_THRESHOLDS: readonly number[] = [0.8, 1];

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
    if (entry.team && !entry.team.enabled) throw new InvalidApiKeyException("This API key's team is disabled.");
    return entry;
  }

  /** undefined for an unknown hash (cached negatively, apart from the keys). */
  private async load(hash: string): Promise<AuthenticatedKey | typeof UNUSABLE | undefined> {
    const row = await this.repository.findByHash(hash);
    if (!row) return undefined;
    return usable(row) ? toAuthenticated(row) : UNUSABLE;
  }
}

/** Whether the key may call this alias or model: within its own allowlist and its team's (empty: all). */
export function modelAllowed(key: AuthenticatedKey, name: string): boolean {
  if (key.allowedModels.length > 0 && !key.allowedModels.includes(name)) return false;
  return !key.team || key.team.allowedModels.length === 0 || key.team.allowedModels.includes(name);
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
    budget: row.budget,
    budgetPeriod: row.budgetPeriod,
    alertThresholds: row.alertThresholds ?? [...DEFAULT_ALERT_THRESHOLDS],
    expiresAt: row.expiresAt,
    team: row.team
      ? {
          id: row.team.id,
          name: row.team.name,
          enabled: row.team.enabled,
          allowedModels: row.team.allowedModels,
          rateLimit: row.team.rateLimit,
          tokensPerMinute: row.team.tokensPerMinute,
          budget: row.team.budget,
          budgetPeriod: row.team.budgetPeriod,
          alertThresholds: row.team.alertThresholds ?? [...DEFAULT_ALERT_THRESHOLDS],
          cache: resolveCacheSetting(row.team.cache),
        }
      : null,
    tags: Object.fromEntries((row.metadata ?? []).map((m) => [m.key, m.value])),
    cache: resolveCacheSetting(row.cache),
  };
}
