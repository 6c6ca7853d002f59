import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import type { ModelAliasEntity } from '#src/modules/models/model-alias.entity';
import { ModelAliasRepository } from '#src/modules/models/model-alias.repository';
import type { ModelEntity } from '#src/modules/models/model.entity';
import { type ModelCreate, ModelRepository } from '#src/modules/models/model.repository';
import { ModelsException } from '#src/modules/models/models.exception';
import { normalisePricing, type PricingComponentInput } from '#src/modules/models/pricing-validation';
import { ProviderRepository } from '#src/modules/providers/provider.repository';
import { ProvidersException } from '#src/modules/providers/providers.exception';

/** Serialises name changes of models and aliases, whose names are unique across both tables. */
const NAMES_LOCK_KEY = 7_240_531_102;

export interface ModelInput extends ModelCreate {
  pricing?: PricingComponentInput[];
}

export interface AliasInput {
  name: string;
  modelId: string;
  config?: Record<string, unknown>;
  tags?: Record<string, string>;
  enabled?: boolean;
}

/** Creates, changes and deletes models (with their prices) and aliases. */
@Injectable()
export class ModelManagementService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: ModelRepository,
    private readonly aliases: ModelAliasRepository,
    private readonly providers: ProviderRepository,
    private readonly invalidation: CacheInvalidationService,
  ) {}

  async createModel(input: ModelInput): Promise<ModelEntity> {
    const pricing = normalisePricing(input.pricing ?? []);
    const model = await this.dataSource.transaction(async (m) => {
      await this.claimName(input.name, m);
      await this.requireProvider(input.providerId, m);
      const created = await this.models.create(input, pricing, m);
      return (await this.models.findByIdWithPricing(created.id, m))!;
    });
    await this.invalidation.invalidate('models');
    return model;
  }

  async updateModel(id: string, patch: Partial<ModelInput>): Promise<ModelEntity> {
    const pricing = patch.pricing !== undefined ? normalisePricing(patch.pricing) : undefined;
    const model = await this.dataSource.transaction(async (m) => {
      const model = await this.models.findByIdWithPricing(id, m);
      if (!model) throw ModelsException.modelNotFound(id);
      if (patch.name !== undefined && patch.name !== model.name) await this.claimName(patch.name, m);
      if (patch.providerId !== undefined) await this.requireProvider(patch.providerId, m);
      for (const k of [
        'name',
        'providerId',
        'providerModelId',
        'contextWindow',
        'maxOutputTokens',
        'capabilities',
        'metadata',
        'enabled',
      ] as const) {
        if (patch[k] !== undefined) (model as unknown as Record<string, unknown>)[k] = patch[k];
      }
      const { pricing: _omit, ...row } = model;
      await this.models.save(row as ModelEntity, m);
      if (pricing) await this.models.replacePricing(id, pricing, m);
      return (await this.models.findByIdWithPricing(id, m))!;
    });
    await this.invalidation.invalidate('models');
    return model;
  }

  async deleteModel(id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const model = await this.models.findByIdWithPricing(id, m);
      if (!model) throw ModelsException.modelNotFound(id);
      const users = await this.aliases.namesByModel(id, 10, m);
      if (users.length > 0) throw ModelsException.modelInUse(model.name, users);
      await this.models.delete(id, m);
    });
    await this.invalidation.invalidate('models');
  }

  async createAlias(input: AliasInput): Promise<ModelAliasEntity> {
    const alias = await this.dataSource.transaction(async (m) => {
      await this.claimName(input.name, m);
      if (!(await this.models.findByIdWithPricing(input.modelId, m)))
        throw ModelsException.invalid(`model_id ${input.modelId} does not exist`);
      return this.aliases.create(input, m);
    });
    await this.invalidation.invalidate('models');
    return alias;
  }

  async updateAlias(id: string, patch: Partial<AliasInput>): Promise<ModelAliasEntity> {
    const alias = await this.dataSource.transaction(async (m) => {
      const alias = await this.aliases.findById(id, m);
      if (!alias) throw ModelsException.aliasNotFound(id);
      if (patch.name !== undefined && patch.name !== alias.name) await this.claimName(patch.name, m);
      if (patch.modelId !== undefined && !(await this.models.findByIdWithPricing(patch.modelId, m))) {
        throw ModelsException.invalid(`model_id ${patch.modelId} does not exist`);
      }
      for (const k of ['name', 'modelId', 'config', 'tags', 'enabled'] as const) {
        if (patch[k] !== undefined) (alias as unknown as Record<string, unknown>)[k] = patch[k];
      }
      return this.aliases.save(alias, m);
    });
    await this.invalidation.invalidate('models');
    return alias;
  }

  async deleteAlias(id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      if (!(await this.aliases.findById(id, m))) throw ModelsException.aliasNotFound(id);
      await this.aliases.delete(id, m);
    });
    await this.invalidation.invalidate('models');
  }

  /** Names are unique across models and aliases: checked under a transaction-scoped advisory lock. */
  private async claimName(name: string, m: EntityManager): Promise<void> {
    if (!name || name.length > 256) throw ModelsException.invalid('name must be 1-256 characters');
    await m.query('SELECT pg_advisory_xact_lock($1)', [NAMES_LOCK_KEY]);
    if ((await this.models.findByName(name, m)) || (await this.aliases.findByName(name, m)))
      throw ModelsException.nameTaken(name);
  }

  private async requireProvider(providerId: string | null, m: EntityManager): Promise<void> {
    if (providerId && !(await this.providers.findById(providerId, m)))
      throw ProvidersException.invalid(`provider_id ${providerId} does not exist`);
  }
}
