import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { ResourceErrorCode, ResourceException } from '#src/core/errors/resource.exception';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import type { PeriodKind } from '#src/modules/billing/budget-period';
import {
  alertThresholds,
  budgetAmount,
  budgetPeriod,
  currentSpendCounters,
  limit,
  sameAmount,
} from '#src/modules/keys/limit-fields';
import { TeamRepository } from '#src/modules/teams/team.repository';
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
  /** USD per `budgetPeriod`, a number or decimal string; null = no budget. */
  budget?: number | string | null;
  budgetPeriod?: PeriodKind;
  /** The budget of a `month` period (the name before budget periods); never together with `budget`. */
  monthlyBudget?: number | string | null;
  /** Fractions of the budget that send an alert; null = the default. */
  alertThresholds?: number[] | null;
  /** The key's team; null = none. */
  teamId?: string | null;
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
    private readonly teams: TeamRepository,
  ) {}

  /** The budget fields of a create or PATCH: `monthly_budget` is a `month` budget; both names at once is a 400. */
  private budgetFields(input: Partial<ApiKeyInput>): { budget?: string | null; period?: PeriodKind } {
    if (input.monthlyBudget !== undefined && input.budget !== undefined)
      throw ApiKeysException.invalid('give either budget (with budget_period) or monthly_budget, not both');
    if (input.monthlyBudget !== undefined && input.budgetPeriod !== undefined && input.budgetPeriod !== 'month')
      throw ApiKeysException.invalid("monthly_budget is a budget of the 'month' period; use budget with budget_period");
    if (input.monthlyBudget !== undefined)
      return { budget: budgetAmount('monthly_budget', input.monthlyBudget), period: 'month' };
    return { budget: budgetAmount('budget', input.budget), period: budgetPeriod(input.budgetPeriod) };
  }

  /** The team exists, and the key's allowlist is within the team's (SPEC §13). */
  private async checkTeam(teamId: string | null, allowedModels: string[], m: EntityManager): Promise<void> {
    if (teamId === null) return;
    const team = await this.teams.findById(teamId, m);
    if (!team) throw ApiKeysException.invalid(`team ${teamId} does not exist`);
    if (team.allowedModels.length === 0) return;
    if (allowedModels.length === 0)
      throw ApiKeysException.invalid(
        `team '${team.name}' allows only some models: the key's allowed_models must list models within them`,
      );
    const outside = allowedModels.filter((name) => !team.allowedModels.includes(name));
    if (outside.length > 0)
      throw ApiKeysException.invalid(
        `allowed_models must be within team '${team.name}''s: ${outside.slice(0, 5).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not`,
      );
  }

  async create(input: ApiKeyInput): Promise<{ key: ApiKeyEntity; plaintext: string }> {
    const secret = generateApiKey();
    const { budget, period } = this.budgetFields(input);
    const rateLimit = limit('rate_limit', input.rateLimit);
    const tokensPerMinute = limit('tokens_per_minute', input.tokensPerMinute);
    const thresholds = alertThresholds(input.alertThresholds);
    const key = await this.dataSource.transaction(async (m) => {
      await this.checkTeam(input.teamId ?? null, input.allowedModels ?? [], m);
      return this.keys.create(
        {
          name: input.name,
          keyHash: secret.hash,
          keyPrefix: secret.displayPrefix,
          enabled: input.enabled,
          allowedModels: input.allowedModels,
          rateLimit,
          tokensPerMinute,
          budget,
          budgetPeriod: period,
          alertThresholds: thresholds,
          teamId: input.teamId,
          expiresAt: input.expiresAt,
          tags: input.tags,
          cache: input.cache,
        },
        m,
      );
    });
    await this.invalidation.invalidate('api_keys');
    return { key, plaintext: secret.plaintext };
  }

  async update(id: string, patch: Partial<ApiKeyInput>): Promise<ApiKeyEntity> {
    const rateLimit = limit('rate_limit', patch.rateLimit);
    const tokensPerMinute = limit('tokens_per_minute', patch.tokensPerMinute);
    const { budget, period } = this.budgetFields(patch);
    const thresholds = alertThresholds(patch.alertThresholds);
    let budgetChanged = false;
    const key = await this.dataSource.transaction(async (m) => {
      const key = await this.live(id, m);
      budgetChanged =
        (budget !== undefined && !sameAmount(key.budget, budget)) ||
        (period !== undefined && period !== key.budgetPeriod);
      if (patch.teamId !== undefined || patch.allowedModels !== undefined)
        await this.checkTeam(
          patch.teamId !== undefined ? patch.teamId : key.teamId,
          patch.allowedModels ?? key.allowedModels,
          m,
        );
      if (patch.name !== undefined) key.name = patch.name;
      if (patch.enabled !== undefined) key.enabled = patch.enabled;
      if (patch.allowedModels !== undefined) key.allowedModels = patch.allowedModels;
      if (rateLimit !== undefined) key.rateLimit = rateLimit;
      if (tokensPerMinute !== undefined) key.tokensPerMinute = tokensPerMinute;
      if (budget !== undefined) key.budget = budget;
      if (period !== undefined) key.budgetPeriod = period;
      if (thresholds !== undefined) key.alertThresholds = thresholds;
      if (patch.teamId !== undefined) key.teamId = patch.teamId;
      if (patch.expiresAt !== undefined) key.expiresAt = patch.expiresAt;
      if (patch.cache !== undefined) key.cache = patch.cache;
      const { metadata: _tags, team: _team, ...row } = key;
      await this.keys.save(row as ApiKeyEntity, m);
      if (patch.tags !== undefined) await this.keys.replaceTags(id, patch.tags, m);
      return (await this.keys.findById(id, m))!;
    });
    if (budgetChanged) await this.dropSpendCounters(id, key.teamId);
    await this.invalidation.invalidate('api_keys');
    return key;
  }

  /**
   * A changed or cleared budget (or period) starts from PostgreSQL: the key's period counters are dropped, and the next
   * admission (or `/gateway/key`) rebuilds it from the usage rows plus the calls not billed yet, so a counter
   * kept from before the budget was removed is never reused. Should Redis be unreachable, the periodic
   * reconcile corrects the counter within BUDGET_RECONCILE_INTERVAL.
   */
  private async dropSpendCounters(id: string, teamId: string | null): Promise<void> {
    try {
      await this.redis.del(...currentSpendCounters(this.redisKeys.apiKey(id, teamId)));
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
