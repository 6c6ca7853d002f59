import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { PeriodKind } from '#src/modules/billing/budget-period';
import { newId } from '#src/core/database/ids';
import { ApiKeyEntity } from '#src/modules/keys/api-key.entity';
import { KeyMetadataEntity } from '#src/modules/keys/key-metadata.entity';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';

export interface ApiKeyCreate {
  name: string;
  keyHash: string;
  keyPrefix: string;
  enabled?: boolean;
  allowedModels?: string[];
  rateLimit?: number | null;
  tokensPerMinute?: number | null;
  budget?: string | null;
  budgetPeriod?: PeriodKind;
  alertThresholds?: number[] | null;
  teamId?: string | null;
  expiresAt?: Date | null;
  tags?: Record<string, string>;
  cache?: CacheSetting | null;
}

export interface ApiKeyListFilter {
  name?: string;
  enabled?: boolean;
  tags?: Record<string, string>;
  includeDeleted?: boolean;
}

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>) {}

  private r(manager?: EntityManager): Repository<ApiKeyEntity> {
    return manager ? manager.getRepository(ApiKeyEntity) : this.repo;
  }

  /** The proxy's lookup (on a cache miss): by SHA-256 hex, with tags. */
  findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOne({ where: { keyHash }, relations: { metadata: true, team: true } });
  }

  /** The keys that have a budget and can still be used (not revoked or deleted), with their period and team. */
  withBudget(): Promise<{ id: string; teamId: string | null; budgetPeriod: PeriodKind }[]> {
    return this.repo
      .createQueryBuilder('k')
      .select('k.id', 'id')
      .addSelect('k.team_id', 'teamId')
      .addSelect('k.budget_period', 'budgetPeriod')
      .where('k.budget IS NOT NULL AND k.revoked_at IS NULL AND k.deleted_at IS NULL')
      .getRawMany();
  }

  /** Usable keys (enabled, not revoked or deleted) whose expiry falls in (from, to]: the key.expiring scan. */
  findExpiringBetween(from: Date, to: Date): Promise<ApiKeyEntity[]> {
    return this.repo
      .createQueryBuilder('k')
      .where('k.enabled = true AND k.revoked_at IS NULL AND k.deleted_at IS NULL')
      .andWhere('k.expires_at > :from AND k.expires_at <= :to', { from, to })
      .orderBy('k.expires_at')
      .getMany();
  }

  findById(id: string, manager?: EntityManager): Promise<ApiKeyEntity | null> {
    return this.r(manager).findOne({ where: { id }, relations: { metadata: true } });
  }

  async list(filter: ApiKeyListFilter, limit: number, offset: number): Promise<[ApiKeyEntity[], number]> {
    const qb = this.repo
      .createQueryBuilder('k')
      .leftJoinAndSelect('k.metadata', 'm')
      .orderBy('k.created_at', 'ASC')
      .addOrderBy('k.id', 'ASC');
    if (!filter.includeDeleted) qb.andWhere('k.deleted_at IS NULL');
    if (filter.name !== undefined)
      qb.andWhere('k.name ILIKE :name', { name: `%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    if (filter.enabled !== undefined) qb.andWhere('k.enabled = :enabled', { enabled: filter.enabled });
    Object.entries(filter.tags ?? {}).forEach(([key, value], i) => {
      qb.andWhere(
        `EXISTS (SELECT 1 FROM key_metadata t${i} WHERE t${i}.api_key_id = k.id AND t${i}.key = :tk${i} AND t${i}.value = :tv${i})`,
        {
          [`tk${i}`]: key,
          [`tv${i}`]: value,
        },
      );
    });
    return qb.take(limit).skip(offset).getManyAndCount();
  }

  async create(input: ApiKeyCreate, manager: EntityManager): Promise<ApiKeyEntity> {
    const r = this.r(manager);
    const key = await r.save(
      r.create({
        id: newId(),
        name: input.name,
        keyHash: input.keyHash,
        keyPrefix: input.keyPrefix,
        enabled: input.enabled ?? true,
        allowedModels: input.allowedModels ?? [],
        rateLimit: input.rateLimit ?? null,
        tokensPerMinute: input.tokensPerMinute ?? null,
        budget: input.budget ?? null,
        budgetPeriod: input.budgetPeriod ?? 'month',
        alertThresholds: input.alertThresholds ?? null,
        teamId: input.teamId ?? null,
        expiresAt: input.expiresAt ?? null,
        cache: input.cache ?? null,
      }),
    );
    await this.replaceTags(key.id, input.tags ?? {}, manager);
    return (await this.findById(key.id, manager)) as ApiKeyEntity;
  }

  save(key: ApiKeyEntity, manager?: EntityManager): Promise<ApiKeyEntity> {
    return this.r(manager).save(key);
  }

  async replaceTags(apiKeyId: string, tags: Record<string, string>, manager: EntityManager): Promise<void> {
    const repo = manager.getRepository(KeyMetadataEntity);
    await repo.delete({ apiKeyId });
    const rows = Object.entries(tags).map(([key, value]) => ({ apiKeyId, key, value }));
    if (rows.length > 0) await repo.insert(rows);
  }
}
