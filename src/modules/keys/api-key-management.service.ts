import { Inject, Injectable, Logger } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { ResourceErrorCode, ResourceException } from '#src/core/errors/resource.exception';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { monthCandidates } from '#src/modules/billing/month';
import type { ApiKeyEntity } from '#src/modules/keys/api-key.entity';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';
import { generateApiKey } from '#src/modules/keys/api-key-secret';
import { ApiKeyRepository } from '#src/modules/keys/api-key.repository';

export interface ApiKeyInput {
  name: string;
  enabled?: boolean;
  allowedModels?: string[];
  rateLimit?: number | null;
  tokensPerMinute?: number | null;
  /** USD as a number or decimal string; null = no budget. */
  monthlyBudget?: number | string | null;
  expiresAt?: Date | null;
  tags?: Record<string, string>;
  /** Response cache (SPEC §14); null clears it. */
  cache?: CacheSetting | null;
}

export class ApiKeysException extends ResourceException {
  static notFound(id: string): ApiKeysException {
    return new ApiKeysException(ResourceErrorCode.NotFound, `API key ${id} not found`);
  }

  static invalid(message: string): ApiKeysException {
    return new ApiKeysException(ResourceErrorCode.Invalid, message);
  }
}

/** Limits: null = none, 0 = refuse every call, negative = 400 (SPEC §4). */
function limit(field: string, v: number | null | undefined): number | null | undefined {
  if (v === undefined || v === null) return v;
  if (!Number.isInteger(v) || v < 0) throw ApiKeysException.invalid(`${field} must be null or a non-negative integer`);
  return v;
}

function sameBudget(before: string | null, after: string | null): boolean {
  return before === null || after === null ? before === after : new Decimal(before).eq(after);
}

function budget(v: number | string | null | undefined): string | null | undefined {
  if (v === undefined || v === null) return v;
  let d: Decimal;
  try {
    d = new Decimal(typeof v === 'number' ? v.toString() : v.trim());
  } catch {
    throw ApiKeysException.invalid('monthly_budget must be null, a number or a decimal string');
  }
  if (!d.isFinite() || d.isNegative())
    throw ApiKeysException.invalid('monthly_budget must be null or a non-negative amount');
  return d.toFixed();
}

/** Creates and changes API keys; the plaintext exists only in the answers of create and regenerate. */
@Injectable()
export class ApiKeyManagementService {
  private readonly logger = new Logger(ApiKeyManagementService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ApiKeyRepository,
    private readonly invalidation: CacheInvalidationService,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly redisKeys: RedisKeys,
  ) {}

  async create(input: ApiKeyInput): Promise<{ key: ApiKeyEntity; plaintext: string }> {
    const secret = generateApiKey();
    const key = await this.dataSource.transaction((m) =>
      this.keys.create(
        {
          name: input.name,
          keyHash: secret.hash,
          keyPrefix: secret.displayPrefix,
          enabled: input.enabled,
          allowedModels: input.allowedModels,
          rateLimit: limit('rate_limit', input.rateLimit),
          tokensPerMinute: limit('tokens_per_minute', input.tokensPerMinute),
          monthlyBudget: budget(input.monthlyBudget),
          expiresAt: input.expiresAt,
          tags: input.tags,
          cache: input.cache,
        },
        m,
      ),
    );
    await this.invalidation.invalidate('api_keys');
    return { key, plaintext: secret.plaintext };
  }

  async update(id: string, patch: Partial<ApiKeyInput>): Promise<ApiKeyEntity> {
    const rateLimit = limit('rate_limit', patch.rateLimit);
    const tokensPerMinute = limit('tokens_per_minute', patch.tokensPerMinute);
    const monthlyBudget = budget(patch.monthlyBudget);
    let budgetChanged = false;
    const key = await this.dataSource.transaction(async (m) => {
      const key = await this.live(id, m);
      budgetChanged = monthlyBudget !== undefined && !sameBudget(key.monthlyBudget, monthlyBudget);
      if (patch.name !== undefined) key.name = patch.name;
      if (patch.enabled !== undefined) key.enabled = patch.enabled;
      if (patch.allowedModels !== undefined) key.allowedModels = patch.allowedModels;
      if (rateLimit !== undefined) key.rateLimit = rateLimit;
      if (tokensPerMinute !== undefined) key.tokensPerMinute = tokensPerMinute;
      if (monthlyBudget !== undefined) key.monthlyBudget = monthlyBudget;
      if (patch.expiresAt !== undefined) key.expiresAt = patch.expiresAt;
      if (patch.cache !== undefined) key.cache = patch.cache;
      const { metadata: _tags, ...row } = key;
      await this.keys.save(row as ApiKeyEntity, m);
      if (patch.tags !== undefined) await this.keys.replaceTags(id, patch.tags, m);
      return (await this.keys.findById(id, m))!;
    });
    if (budgetChanged) await this.dropSpendCounters(id);
    await this.invalidation.invalidate('api_keys');
    return key;
  }

  /**
   * A changed or cleared budget starts from PostgreSQL: the key's month counter is dropped, and the next
   * admission (or `/gateway/key`) rebuilds it from the usage rows plus the calls not billed yet, so a counter
   * kept from before the budget was removed is never reused. Should Redis be unreachable, the periodic
   * reconcile corrects the counter within BUDGET_RECONCILE_INTERVAL.
   */
  private async dropSpendCounters(id: string): Promise<void> {
    const k = this.redisKeys.apiKey(id);
    const { a, b } = monthCandidates(Date.now());
    try {
      await this.redis.del(...new Set([k.spend(a), k.spend(b)]));
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, apiKeyId: id }, 'could not drop the spend counter');
    }
  }

  /** A new secret; the old one stops working at once, on every pod. */
  async regenerate(id: string): Promise<{ key: ApiKeyEntity; plaintext: string }> {
    const secret = generateApiKey();
    const key = await this.dataSource.transaction(async (m) => {
      const key = await this.live(id, m);
      const { metadata: _tags, ...row } = key;
      await this.keys.save({ ...row, keyHash: secret.hash, keyPrefix: secret.displayPrefix } as ApiKeyEntity, m);
      return (await this.keys.findById(id, m))!;
    });
    await this.invalidation.invalidate('api_keys');
    return { key, plaintext: secret.plaintext };
  }

  async revoke(id: string): Promise<ApiKeyEntity> {
    const key = await this.dataSource.transaction(async (m) => {
      const key = await this.live(id, m);
      const { metadata: _tags, ...row } = key;
      await this.keys.save({ ...row, revokedAt: key.revokedAt ?? new Date() } as ApiKeyEntity, m);
      return (await this.keys.findById(id, m))!;
    });
    await this.invalidation.invalidate('api_keys');
    return key;
  }

  /** Soft delete: revoked and hidden from lists; usage history keeps it. */
  async delete(id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const key = await this.live(id, m);
      const now = new Date();
      const { metadata: _tags, ...row } = key;
      await this.keys.save({ ...row, revokedAt: key.revokedAt ?? now, deletedAt: now } as ApiKeyEntity, m);
    });
    await this.invalidation.invalidate('api_keys');
  }

  private async live(id: string, m: Parameters<ApiKeyRepository['findById']>[1]): Promise<ApiKeyEntity> {
    const key = await this.keys.findById(id, m);
    if (!key || key.deletedAt) throw ApiKeysException.notFound(id);
    return key;
  }
}
