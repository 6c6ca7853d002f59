import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import type { AliasRouting, RetryCondition, RoutingStrategy } from '#src/modules/models/alias-routing';
import type { ModelAliasEntity } from '#src/modules/models/model-alias.entity';
import { ModelAliasRepository } from '#src/modules/models/model-alias.repository';
import type { ModelEntity } from '#src/modules/models/model.entity';
import { type ModelCreate, ModelRepository, type PricingInput } from '#src/modules/models/model.repository';
import { ModelsException } from '#src/modules/models/models.exception';
import { normalisePricing, type PricingComponentInput } from '#src/modules/models/pricing-validation';
import { ProviderRepository } from '#src/modules/providers/provider.repository';
import { ProvidersException } from '#src/modules/providers/providers.exception';
import type { CacheSetting } from '#src/modules/response-cache/cache-setting';

/** Serialises name changes of models and aliases, whose names are unique across both tables. */
const NAMES_LOCK_KEY = 7_240_531_102;

export interface ModelInput extends ModelCreate {
  pricing?: PricingComponentInput[];
}

/** One catalog entry to create or update by name (catalog import). */
export interface ModelImportInput {
  name: string;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  capabilities: string[];
  pricing: PricingComponentInput[];
  /** Replaces `metadata.litellm`; the model's other metadata is kept. */
  litellm: Record<string, unknown>;
}

export interface ModelImportOutcome {
  created: string[];
  updated: string[];
  skipped: { name: string; reason: 'name_is_alias' | 'other_provider' }[];
}

/** An alias's routing as an admin writes it: targets by model name. */
export interface RoutingInput {
  strategy: RoutingStrategy;
  targets: { model: string; weight: number; priority: number }[];
  retries: number;
  retryOn: RetryCondition[];
  /** Default: no bound. */
  attemptTimeoutMs?: number | null;
}

export interface AliasInput {
  name: string;
  /** Required unless `routing` is set. */
  modelId: string | null;
  routing?: RoutingInput | null;
  config?: Record<string, unknown>;
  tags?: Record<string, string>;
  enabled?: boolean;
  /** Response cache (SPEC §14); null clears it. */
  cache?: CacheSetting | null;
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
        'rpmLimit',
        'tpmLimit',
        'cache',
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
      const users = [
        ...(await this.aliases.namesByModel(id, 10, m)),
        ...(await this.aliases.namesRoutingTo(id, 10, m)),
      ];
      if (users.length > 0) throw ModelsException.modelInUse(model.name, users);
      await this.models.delete(id, m);
    });
    await this.invalidation.invalidate('models');
  }

  /**
   * Upserts catalog entries by name in one transaction: new names become models of `providerId` (null: price-only),
   * existing models get their prices, limits, capabilities and `metadata.litellm` replaced in place (and are
   * attached to `providerId` when they had no provider). Names used by aliases, and models of another provider
   * when a provider is given, are skipped.
   */
  async importModels(entries: ModelImportInput[], providerId: string | null): Promise<ModelImportOutcome> {
    const pricing = new Map(entries.map((e) => [e.name, normalisePricing(e.pricing)]));
    const outcome = await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [NAMES_LOCK_KEY]);
      await this.requireProvider(providerId, m);
      const { fresh, update, skipped } = await this.planImport(entries, providerId, m);
      const prices: { modelId: string; pricing: PricingInput[] }[] = [];
      for (const [model, e] of update) {
        await this.models.updateColumns(
          model.id,
          {
            providerId: model.providerId ?? providerId,
            contextWindow: e.contextWindow,
            maxOutputTokens: e.maxOutputTokens,
            capabilities: e.capabilities,
            metadata: { ...model.metadata, litellm: e.litellm },
          },
          m,
        );
        prices.push({ modelId: model.id, pricing: pricing.get(e.name)! });
      }
      const created = await this.models.insertMany(
        fresh.map((e) => ({ ...e, providerId, metadata: { litellm: e.litellm } })),
        m,
      );
      for (const model of created) prices.push({ modelId: model.id, pricing: pricing.get(model.name)! });
      await this.models.replacePricingMany(prices, m);
      return { created: created.map((c) => c.name), updated: update.map(([, e]) => e.name), skipped };
    });
    if (outcome.created.length + outcome.updated.length > 0) await this.invalidation.invalidate('models');
    return outcome;
  }

  /** Sorts catalog entries into new models, models to update and skipped names. */
  private async planImport(
    entries: ModelImportInput[],
    providerId: string | null,
    m: EntityManager,
  ): Promise<{
    fresh: ModelImportInput[];
    update: [ModelEntity, ModelImportInput][];
    skipped: ModelImportOutcome['skipped'];
  }> {
    const names = entries.map((e) => e.name);
    const aliasNames = new Set(await this.aliases.namesAmong(names, m));
    const existing = new Map((await this.models.findByNames(names, m)).map((model) => [model.name, model]));
    const plan = {
      fresh: [] as ModelImportInput[],
      update: [] as [ModelEntity, ModelImportInput][],
      skipped: [] as ModelImportOutcome['skipped'],
    };
    for (const e of entries) {
      const model = existing.get(e.name);
      if (aliasNames.has(e.name)) plan.skipped.push({ name: e.name, reason: 'name_is_alias' });
      else if (!model) plan.fresh.push(e);
      else if (providerId && model.providerId && model.providerId !== providerId)
        plan.skipped.push({ name: e.name, reason: 'other_provider' });
      else plan.update.push([model, e]);
    }
    return plan;
  }

  async createAlias(input: AliasInput): Promise<ModelAliasEntity> {
    const alias = await this.dataSource.transaction(async (m) => {
      await this.claimName(input.name, m);
      const routing = input.routing ? await this.routingOf(input.routing, m) : null;
      if (!routing && !input.modelId) throw ModelsException.invalid('model_id or routing is required');
      if (input.modelId && !(await this.models.findByIdWithPricing(input.modelId, m)))
        throw ModelsException.invalid(`model_id ${input.modelId} does not exist`);
      return this.aliases.create({ ...input, modelId: routing ? null : input.modelId, routing }, m);
    });
    await this.invalidation.invalidate('models');
    return alias;
  }

  async updateAlias(id: string, patch: Partial<AliasInput>): Promise<ModelAliasEntity> {
    const alias = await this.dataSource.transaction(async (m) => {
      const alias = await this.aliases.findById(id, m);
      if (!alias) throw ModelsException.aliasNotFound(id);
      if (patch.name !== undefined && patch.name !== alias.name) await this.claimName(patch.name, m);
      if (patch.modelId && !(await this.models.findByIdWithPricing(patch.modelId, m))) {
        throw ModelsException.invalid(`model_id ${patch.modelId} does not exist`);
      }
      for (const k of ['name', 'modelId', 'config', 'tags', 'enabled', 'cache'] as const) {
        if (patch[k] !== undefined) (alias as unknown as Record<string, unknown>)[k] = patch[k];
      }
      if (patch.routing !== undefined) alias.routing = patch.routing ? await this.routingOf(patch.routing, m) : null;
      if (alias.routing) alias.modelId = null;
      if (!alias.routing && !alias.modelId) throw ModelsException.invalid('model_id or routing is required');
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

  /**
   * Routing targets by name → by model id: each must be an existing model (an alias is refused, so routing has
   * no cycles), named once.
   */
  private async routingOf(input: RoutingInput, m: EntityManager): Promise<AliasRouting> {
    const names = input.targets.map((t) => t.model);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw ModelsException.invalid(`routing.targets names '${twice}' twice`);
    const models = new Map((await this.models.findByNames(names, m)).map((model) => [model.name, model]));
    const aliases = new Set(await this.aliases.namesAmong(names, m));
    const targets = input.targets.map((t) => {
      const model = models.get(t.model);
      if (!model) {
        throw ModelsException.invalid(
          aliases.has(t.model)
            ? `routing.targets: '${t.model}' is an alias; targets are models`
            : `routing.targets: model '${t.model}' does not exist`,
        );
      }
      return { modelId: model.id, weight: t.weight, priority: t.priority };
    });
    return {
      strategy: input.strategy,
      targets,
      retries: input.retries,
      retryOn: input.retryOn,
      attemptTimeoutMs: input.attemptTimeoutMs ?? null,
    };
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
