import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { newId } from '#src/core/database/ids';
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
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';
import type { TeamEntity } from '#src/modules/teams/team.entity';
import { TeamRepository } from '#src/modules/teams/team.repository';

export interface TeamInput {
  name: string;
  enabled?: boolean;
  allowedModels?: string[];
  rateLimit?: number | null;
  tokensPerMinute?: number | null;
  budget?: number | string | null;
  budgetPeriod?: PeriodKind;
  alertThresholds?: number[] | null;
  tags?: Record<string, string>;
  /** Response cache (SPEC §14) for the team's keys; null clears it. */
  cache?: CacheSetting | null;
}

export class TeamsException extends ResourceException {
  static notFound(id: string): TeamsException {
    return new TeamsException(ResourceErrorCode.NotFound, `team ${id} not found`);
  }

  static invalid(message: string): TeamsException {
    return new TeamsException(ResourceErrorCode.Invalid, message);
  }

  static conflict(message: string): TeamsException {
    return new TeamsException(ResourceErrorCode.Conflict, message);
  }

  static inUse(message: string): TeamsException {
    return new TeamsException(ResourceErrorCode.InUse, message);
  }
}

/**
 * Creates and changes teams (SPEC §13). Every change drops the proxy's key cache on every pod (a key carries its
 * team's limits), so a disabled team's keys are refused at once, and a changed budget or period starts its counter
 * from PostgreSQL.
 */
@Injectable()
export class TeamManagementService {
  private readonly logger = new Logger(TeamManagementService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly teams: TeamRepository,
    private readonly invalidation: CacheInvalidationService,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly redisKeys: RedisKeys,
  ) {}

  async create(input: TeamInput): Promise<TeamEntity> {
    const fields = this.fields(input);
    const team = await this.dataSource.transaction(async (m) => {
      if (await this.teams.findByName(input.name, m)) throw TeamsException.conflict(`team '${input.name}' exists`);
      return this.teams.save(
        {
          id: newId(),
          name: input.name,
          enabled: input.enabled ?? true,
          allowedModels: input.allowedModels ?? [],
          rateLimit: fields.rateLimit ?? null,
          tokensPerMinute: fields.tokensPerMinute ?? null,
          budget: fields.budget ?? null,
          budgetPeriod: fields.budgetPeriod ?? 'month',
          alertThresholds: fields.alertThresholds ?? null,
          tags: input.tags ?? {},
          cache: input.cache ?? null,
        } as TeamEntity,
        m,
      );
    });
    await this.invalidation.invalidate('api_keys');
    return (await this.teams.findById(team.id))!;
  }

  async update(id: string, patch: Partial<TeamInput>): Promise<TeamEntity> {
    const fields = this.fields(patch);
    let budgetChanged = false;
    const team = await this.dataSource.transaction(async (m) => {
      const team = await this.teams.findById(id, m);
      if (!team) throw TeamsException.notFound(id);
      if (patch.name !== undefined && patch.name !== team.name && (await this.teams.findByName(patch.name, m)))
        throw TeamsException.conflict(`team '${patch.name}' exists`);
      if (patch.allowedModels !== undefined && patch.allowedModels.length > 0) {
        const [{ names }] = await m.query<{ names: string[] | null }[]>(
          `SELECT array_agg(name ORDER BY name) AS names FROM api_keys
           WHERE team_id = $1 AND deleted_at IS NULL AND (cardinality(allowed_models) = 0 OR NOT (allowed_models <@ $2::text[]))`,
          [id, patch.allowedModels],
        );
        if (names)
          throw TeamsException.invalid(
            `keys of this team allow models outside the new allowed_models (their allowlist must be within the team's): ${names.slice(0, 5).join(', ')}`,
          );
      }
      budgetChanged =
        (fields.budget !== undefined && !sameAmount(team.budget, fields.budget)) ||
        (fields.budgetPeriod !== undefined && fields.budgetPeriod !== team.budgetPeriod);
      if (patch.name !== undefined) team.name = patch.name;
      if (patch.enabled !== undefined) team.enabled = patch.enabled;
      if (patch.allowedModels !== undefined) team.allowedModels = patch.allowedModels;
      if (fields.rateLimit !== undefined) team.rateLimit = fields.rateLimit;
      if (fields.tokensPerMinute !== undefined) team.tokensPerMinute = fields.tokensPerMinute;
      if (fields.budget !== undefined) team.budget = fields.budget;
      if (fields.budgetPeriod !== undefined) team.budgetPeriod = fields.budgetPeriod;
      if (fields.alertThresholds !== undefined) team.alertThresholds = fields.alertThresholds;
      if (patch.tags !== undefined) team.tags = patch.tags;
      if (patch.cache !== undefined) team.cache = patch.cache;
      return this.teams.save(team, m);
    });
    if (budgetChanged) await this.dropSpendCounters(id);
    await this.invalidation.invalidate('api_keys');
    return (await this.teams.findById(team.id))!;
  }

  /** Refused (409) while live keys belong to the team; deleted keys let go of it. */
  async delete(id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const team = await this.teams.findById(id, m);
      if (!team) throw TeamsException.notFound(id);
      const keys = await this.teams.keyCount(id, m);
      if (keys > 0) throw TeamsException.inUse(`team '${team.name}' has ${keys} API key(s): move or delete them first`);
      await m.query('UPDATE api_keys SET team_id = NULL WHERE team_id = $1', [id]);
      await this.teams.remove(id, m);
    });
    await this.invalidation.invalidate('api_keys');
  }

  private fields(input: Partial<TeamInput>) {
    return {
      rateLimit: limit('rate_limit', input.rateLimit),
      tokensPerMinute: limit('tokens_per_minute', input.tokensPerMinute),
      budget: budgetAmount('budget', input.budget),
      budgetPeriod: budgetPeriod(input.budgetPeriod),
      alertThresholds: alertThresholds(input.alertThresholds),
    };
  }

  /** See ApiKeyManagementService.dropSpendCounters: the next admission rebuilds the counter from PostgreSQL. */
  private async dropSpendCounters(id: string): Promise<void> {
    try {
      await this.redis.del(...currentSpendCounters(this.redisKeys.team(id)));
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, teamId: id }, 'could not drop the spend counter');
    }
  }
}
