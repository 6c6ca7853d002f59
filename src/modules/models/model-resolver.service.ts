import { Injectable } from '@nestjs/common';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { TtlCache } from '#src/core/cache/ttl-cache';
import { AppConfig } from '#src/core/config/app-config';
import type { AliasRouting } from '#src/modules/models/alias-routing';
import type { ModelEntity } from '#src/modules/models/model.entity';
import { ModelAliasRepository } from '#src/modules/models/model-alias.repository';
import { ModelRepository } from '#src/modules/models/model.repository';
import type { PriceDirection, PriceModality, PriceUnit } from '#src/modules/models/pricing-component.entity';
import { type ResolvedCacheSetting, resolveCacheSetting } from '#src/modules/response-cache/cache-setting';

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
  /** The provider account's quota for this deployment (null: none). */
  rpmLimit: number | null;
  tpmLimit: number | null;
  capabilities: string[];
  pricing: PriceComponent[];
  /** The model's response-cache setting (SPEC §14). */
  cache?: ResolvedCacheSetting | null;
}

/** One model an alias routes to. */
export interface RouteTarget {
  model: ResolvedModel;
  weight: number;
  priority: number;
}

export interface Resolution {
  /** The name the client sent (an alias or a model name); the allowlist matches this. */
  requested: string;
  alias: { id: string; name: string; config: Record<string, unknown>; cache?: ResolvedCacheSetting | null } | null;
  /** The model (for a routed alias: its first target; the call's answering model is its own). */
  model: ResolvedModel;
  /** Where the call may go: one target for a model or a plain alias, the enabled targets of a routed alias. */
  targets: RouteTarget[];
  /** A routed alias's policy (SPEC §11); null for one target. */
  routing: Pick<AliasRouting, 'strategy' | 'retries' | 'retryOn' | 'attemptTimeoutMs'> | null;
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
      const entry = { id: alias.id, name: alias.name, config: alias.config, cache: resolveCacheSetting(alias.cache) };
      if (alias.routing) {
        const { targets: wanted, ...policy } = alias.routing;
        const models = await Promise.all(wanted.map((t) => this.models.findByIdWithPricing(t.modelId)));
        // disabled targets (or ones without a provider) drop out; an alias left with none is unknown
        const targets = wanted.flatMap((t, i) => {
          const model = models[i] ? toResolvedModel(models[i]) : null;
          return model ? [{ model, weight: t.weight, priority: t.priority }] : [];
        });
        if (targets.length === 0) return null;
        return { requested: name, alias: entry, model: targets[0].model, targets, routing: policy };
      }
      const model = alias.modelId ? await this.models.findByIdWithPricing(alias.modelId) : null;
      const resolved = model ? toResolvedModel(model) : null;
      return resolved ? single(name, entry, resolved) : null;
    }
    const model = await this.models.findByNameWithPricing(name);
    const resolved = model ? toResolvedModel(model) : null;
    return resolved ? single(name, null, resolved) : null;
  }
}

function single(requested: string, alias: Resolution['alias'], model: ResolvedModel): Resolution {
  return { requested, alias, model, targets: [{ model, weight: 1, priority: 0 }], routing: null };
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
    rpmLimit: model.rpmLimit ?? null,
    tpmLimit: model.tpmLimit ?? null,
    capabilities: model.capabilities,
    cache: resolveCacheSetting(model.cache),
    pricing: (model.pricing ?? []).map((p) => ({
      direction: p.direction,
      modality: p.modality,
      unit: p.unit,
      tier: p.tier,
      price: p.price,
    })),
  };
}
