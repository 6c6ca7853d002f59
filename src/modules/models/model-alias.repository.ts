import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, Repository } from 'typeorm';
import { newId } from '#src/core/database/ids';
import type { AliasRouting } from '#src/modules/models/alias-routing';
import { ModelAliasEntity } from '#src/modules/models/model-alias.entity';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';

export interface AliasCreate {
  name: string;
  modelId: string | null;
  routing?: AliasRouting | null;
  config?: Record<string, unknown>;
  tags?: Record<string, string>;
  enabled?: boolean;
  cache?: CacheSetting | null;
}

@Injectable()
export class ModelAliasRepository {
  constructor(@InjectRepository(ModelAliasEntity) private readonly repo: Repository<ModelAliasEntity>) {}

  private r(manager?: EntityManager): Repository<ModelAliasEntity> {
    return manager ? manager.getRepository(ModelAliasEntity) : this.repo;
  }

  findByName(name: string, manager?: EntityManager): Promise<ModelAliasEntity | null> {
    return this.r(manager).findOneBy({ name });
  }

  /** Which of these names are aliases (catalog import skips them). */
  async namesAmong(names: string[], manager?: EntityManager): Promise<string[]> {
    if (names.length === 0) return [];
    const rows = await this.r(manager).find({ where: { name: In(names) }, select: { name: true } });
    return rows.map((r) => r.name);
  }

  findById(id: string, manager?: EntityManager): Promise<ModelAliasEntity | null> {
    return this.r(manager).findOneBy({ id });
  }

  /** Enabled aliases with their models (for /v1/models). */
  findEnabledWithModels(): Promise<ModelAliasEntity[]> {
    return this.repo.find({ where: { enabled: true }, relations: { model: true }, order: { name: 'ASC' } });
  }

  list(limit: number, offset: number): Promise<[ModelAliasEntity[], number]> {
    return this.repo.findAndCount({ order: { name: 'ASC' }, take: limit, skip: offset });
  }

  namesByModel(modelId: string, limit = 10, manager?: EntityManager): Promise<string[]> {
    return this.r(manager)
      .find({ where: { modelId }, select: { name: true }, take: limit, order: { name: 'ASC' } })
      .then((rows) => rows.map((r) => r.name));
  }

  /** Aliases whose routing has this model among its targets. */
  namesRoutingTo(modelId: string, limit = 10, manager?: EntityManager): Promise<string[]> {
    return this.r(manager)
      .query(
        `SELECT name FROM model_aliases
          WHERE routing IS NOT NULL AND routing->'targets' @> jsonb_build_array(jsonb_build_object('modelId', $1::text))
          ORDER BY name LIMIT ${Math.max(1, Math.floor(limit))}`,
        [modelId],
      )
      .then((rows: { name: string }[]) => rows.map((r) => r.name));
  }

  create(input: AliasCreate, manager?: EntityManager): Promise<ModelAliasEntity> {
    const r = this.r(manager);
    return r.save(
      r.create({
        id: newId(),
        name: input.name,
        modelId: input.modelId,
        routing: input.routing ?? null,
        config: input.config ?? {},
        tags: input.tags ?? {},
        enabled: input.enabled ?? true,
        cache: input.cache ?? null,
      }),
    );
  }

  save(alias: ModelAliasEntity, manager?: EntityManager): Promise<ModelAliasEntity> {
    return this.r(manager).save(alias);
  }

  async delete(id: string, manager?: EntityManager): Promise<void> {
    await this.r(manager).delete({ id });
  }
}
