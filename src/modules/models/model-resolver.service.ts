import { Injectable } from '@nestjs/common';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { TtlCache } from '#src/core/cache/ttl-cache';
import { AppConfig } from '#src/core/config/app-config';
import type { ModelEntity } from '#src/modules/models/model.entity';
import { ModelAliasRepository } from '#src/modules/models/model-alias.repository';
import { ModelRepository } from '#src/modules/models/model.repository';
import type { PriceDirection, PriceModality, PriceUnit } from '#src/modules/models/pricing-component.entity';

export interface PriceComponent {
  direction: PriceDirection;
  modality: PriceModality;
  unit: PriceUnit;
  tier: string;
  /** USD per unit, exact decimal string. */
  price: string;
}

export interface ResolvedModel {
  id: string;
  name: string;
  /** What the provider calls it. */
  upstreamModel: string;
  providerId: string;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  capabilities: string[];
  pricing: PriceComponent[];
}

export interface Resolution {
  /** The name the client sent (an alias or a model name); the allowlist matches this. */
  requested: string;
  alias: { id: string; name: string; config: Record<string, unknown> } | null;
  model: ResolvedModel;
}

const UNKNOWN = Symbol('unknown');
type Entry = Resolution | typeof UNKNOWN;

/**
 * alias → model → provider, with prices, from an LRU cache (CACHE_MODEL_SIZE, CACHE_TTL). Unknown names are
 * cached too so a flood of bad names costs one query each per TTL. Dropped on every admin change to models,
 * aliases or providers, on every pod.
 */
@Injectable()
export class ModelResolver {
  private readonly cache: TtlCache<string, Entry>;

  constructor(
    config: AppConfig,
    private readonly models: ModelRepository,
    private readonly aliases: ModelAliasRepository,
    invalidation: CacheInvalidationService,
  ) {
    // unknown names share this LRU (as UNKNOWN), not a separate negative cache
    this.cache = new TtlCache<string, Entry>({
      max: config.env.CACHE_MODEL_SIZE,
      ttl: config.env.CACHE_TTL,
      load: async (name) => (await this.load(name)) ?? UNKNOWN,
    });
    const clear = (): void => this.cache.clear();
    invalidation.on('models', clear);
    invalidation.on('providers', clear);
  }

  /** The resolution, or null when no enabled, routable alias or model has this name. */
  async resolve(name: string): Promise<Resolution | null> {
    const entry = await this.cache.get(name);
    return entry === undefined || entry === UNKNOWN ? null : entry;
  }

  private async load(name: string): Promise<Resolution | null> {
    const alias = await this.aliases.findByName(name);
    if (alias) {
      if (!alias.enabled) return null;
      const model = await this.models.findByIdWithPricing(alias.modelId);
      const resolved = model ? toResolvedModel(model) : null;
      return resolved
        ? { requested: name, alias: { id: alias.id, name: alias.name, config: alias.config }, model: resolved }
        : null;
    }
    const model = await this.models.findByNameWithPricing(name);
    const resolved = model ? toResolvedModel(model) : null;
    return resolved ? { requested: name, alias: null, model: resolved } : null;
  }
}

function toResolvedModel(model: ModelEntity): ResolvedModel | null {
  if (!model.enabled || !model.providerId) return null;
  return {
    id: model.id,
    name: model.name,
    upstreamModel: model.providerModelId ?? model.name,
    providerId: model.providerId,
    contextWindow: model.contextWindow,
    maxOutputTokens: model.maxOutputTokens,
    capabilities: model.capabilities,
    pricing: (model.pricing ?? []).map((p) => ({
      direction: p.direction,
      modality: p.modality,
      unit: p.unit,
      tier: p.tier,
      price: p.price,
    })),
  };
}
