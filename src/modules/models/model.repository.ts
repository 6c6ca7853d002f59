import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, IsNull, Not, Repository } from 'typeorm';
import { newId } from '#src/core/database/ids';
import { ModelEntity } from '#src/modules/models/model.entity';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';
import { PricingComponentEntity } from '#src/modules/models/pricing-component.entity';

export interface ModelCreate {
  name: string;
  providerId: string | null;
  providerModelId?: string | null;
  contextWindow?: number | null;
  maxOutputTokens?: number | null;
  capabilities?: string[];
  metadata?: Record<string, unknown>;
  enabled?: boolean;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  cache?: CacheSetting | null;
}

export type PricingInput = Pick<PricingComponentEntity, 'direction' | 'modality' | 'unit' | 'tier' | 'price'>;

@Injectable()
export class ModelRepository {
  constructor(@InjectRepository(ModelEntity) private readonly repo: Repository<ModelEntity>) {}

  private r(manager?: EntityManager): Repository<ModelEntity> {
    return manager ? manager.getRepository(ModelEntity) : this.repo;
  }

  /** The model by name with its pricing (the proxy's resolution, on a cache miss). */
  findByNameWithPricing(name: string): Promise<ModelEntity | null> {
    return this.repo.findOne({ where: { name }, relations: { pricing: true } });
  }

  findByIdWithPricing(id: string, manager?: EntityManager): Promise<ModelEntity | null> {
    return this.r(manager).findOne({ where: { id }, relations: { pricing: true } });
  }

  findByName(name: string, manager?: EntityManager): Promise<ModelEntity | null> {
    return this.r(manager).findOneBy({ name });
  }

  findByNames(names: string[], manager?: EntityManager): Promise<ModelEntity[]> {
    return names.length === 0 ? Promise.resolve([]) : this.r(manager).findBy({ name: In(names) });
  }

  /** Enabled models that have a provider (routable). */
  /** Model id → name, for the ids given (routing targets). */
  async namesByIds(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.repo.find({ where: { id: In(ids) }, select: { id: true, name: true } });
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  findRoutable(): Promise<ModelEntity[]> {
    return this.repo.find({ where: { enabled: true, providerId: Not(IsNull()) }, order: { name: 'ASC' } });
  }

  list(filter: { providerId?: string }, limit: number, offset: number): Promise<[ModelEntity[], number]> {
    return this.repo.findAndCount({
      where: filter.providerId ? { providerId: filter.providerId } : {},
      relations: { pricing: true },
      order: { name: 'ASC' },
      take: limit,
      skip: offset,
    });
  }

  async create(input: ModelCreate, pricing: PricingInput[], manager: EntityManager): Promise<ModelEntity> {
    const r = this.r(manager);
    const model = await r.save(
      r.create({
        id: newId(),
        name: input.name,
        providerId: input.providerId,
        providerModelId: input.providerModelId ?? null,
        contextWindow: input.contextWindow ?? null,
        maxOutputTokens: input.maxOutputTokens ?? null,
        capabilities: input.capabilities ?? [],
        metadata: input.metadata ?? {},
        enabled: input.enabled ?? true,
        rpmLimit: input.rpmLimit ?? null,
        tpmLimit: input.tpmLimit ?? null,
        cache: input.cache ?? null,
      }),
    );
    await this.replacePricing(model.id, pricing, manager);
    return model;
  }

  /** Sets these columns of one model (one UPDATE, no read first). */
  async updateColumns(
    id: string,
    columns: Pick<ModelEntity, 'providerId' | 'contextWindow' | 'maxOutputTokens' | 'capabilities' | 'metadata'>,
    manager: EntityManager,
  ): Promise<void> {
    await this.r(manager).update({ id }, columns as Parameters<Repository<ModelEntity>['update']>[1]);
  }

  save(model: ModelEntity, manager?: EntityManager): Promise<ModelEntity> {
    return this.r(manager).save(model);
  }

  /** Inserts many models at once (catalog import); their prices go through replacePricingMany. */
  async insertMany(inputs: ModelCreate[], manager: EntityManager): Promise<ModelEntity[]> {
    const r = this.r(manager);
    const rows = inputs.map((input) =>
      r.create({
        id: newId(),
        name: input.name,
        providerId: input.providerId,
        providerModelId: input.providerModelId ?? null,
        contextWindow: input.contextWindow ?? null,
        maxOutputTokens: input.maxOutputTokens ?? null,
        capabilities: input.capabilities ?? [],
        metadata: input.metadata ?? {},
        enabled: input.enabled ?? true,
      }),
    );
    // plain column values: the relation typing of insert() does not accept whole entities
    type Values = Parameters<typeof r.insert>[0];
    for (let i = 0; i < rows.length; i += 500) await r.insert(rows.slice(i, i + 500) as unknown as Values);
    return rows;
  }

  /** Replaces the price lists of many models at once. */
  async replacePricingMany(
    lists: { modelId: string; pricing: PricingInput[] }[],
    manager: EntityManager,
  ): Promise<void> {
    const repo = manager.getRepository(PricingComponentEntity);
    const rows = lists.flatMap((l) => l.pricing.map((p) => ({ ...p, id: newId(), modelId: l.modelId })));
    for (let i = 0; i < lists.length; i += 1000)
      await repo.delete({ modelId: In(lists.slice(i, i + 1000).map((l) => l.modelId)) });
    for (let i = 0; i < rows.length; i += 1000) await repo.insert(rows.slice(i, i + 1000));
  }

  /** Replaces a model's price list as a whole. */
  async replacePricing(modelId: string, pricing: PricingInput[], manager: EntityManager): Promise<void> {
    const repo = manager.getRepository(PricingComponentEntity);
    await repo.delete({ modelId });
    if (pricing.length > 0) await repo.insert(pricing.map((p) => ({ ...p, id: newId(), modelId })));
  }

  async delete(id: string, manager?: EntityManager): Promise<void> {
    await this.r(manager).delete({ id });
  }
}
