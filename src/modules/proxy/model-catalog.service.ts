import { Injectable } from '@nestjs/common';
import { AdmissionService } from '#src/modules/calls/admission';
import { type AuthenticatedKey, modelAllowed } from '#src/modules/keys/api-key-auth.service';
import { ModelAliasRepository } from '#src/modules/models/model-alias.repository';
import { ModelRepository } from '#src/modules/models/model.repository';
import { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import { ProxyException } from '#src/modules/proxy/proxy.exception';

interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** `/v1/models` and `/gateway/key`: what a key may use and its own limits. */
@Injectable()
export class ModelCatalogService {
  constructor(
    private readonly models: ModelRepository,
    private readonly aliases: ModelAliasRepository,
    private readonly providers: ProviderRegistry,
    private readonly admission: AdmissionService,
  ) {}

  /** Enabled aliases and routable models the key may use (all of them when its allowlist is empty). */
  async list(key: AuthenticatedKey): Promise<{ object: 'list'; data: OpenAiModel[] }> {
    const [models, aliases] = await Promise.all([this.models.findRoutable(), this.aliases.findEnabledWithModels()]);
    const owner = async (providerId: string | null): Promise<string> =>
      providerId ? ((await this.providers.get(providerId))?.name ?? 'llm-gateway') : 'llm-gateway';
    const entries: OpenAiModel[] = [];
    for (const m of models)
      entries.push({
        id: m.name,
        object: 'model',
        created: Math.floor(m.createdAt.getTime() / 1000),
        owned_by: await owner(m.providerId),
      });
    const routable = new Map(models.map((m) => [m.id, m]));
    for (const a of aliases) {
      // a routed alias is listed while one of its targets is routable, owned by the gateway (it picks the provider)
      if (a.routing) {
        if (!a.routing.targets.some((t) => routable.has(t.modelId))) continue;
      } else if (!a.model?.enabled || !a.model.providerId) continue;
      entries.push({
        id: a.name,
        object: 'model',
        created: Math.floor(a.createdAt.getTime() / 1000),
        owned_by: a.routing ? 'llm-gateway' : await owner(a.model!.providerId),
      });
    }
    return {
      object: 'list',
      data: entries.filter((e) => modelAllowed(key, e.id)).sort((a, b) => a.id.localeCompare(b.id)),
    };
  }

  async retrieve(key: AuthenticatedKey, id: string): Promise<OpenAiModel> {
    const found = (await this.list(key)).data.find((m) => m.id === id);
    if (!found) throw ProxyException.modelNotFound(id);
    return found;
  }

  async keyView(key: AuthenticatedKey): Promise<Record<string, unknown>> {
    const spend = await this.admission.spendOf(key);
    return {
      id: key.id,
      name: key.name,
      key_prefix: key.keyPrefix,
      allowed_models: key.allowedModels,
      rate_limit: key.rateLimit,
      tokens_per_minute: key.tokensPerMinute,
      budget: key.budget,
      budget_period: key.budgetPeriod,
      monthly_budget: key.budgetPeriod === 'month' ? key.budget : null,
      expires_at: key.expiresAt?.toISOString() ?? null,
      spend: spend.key,
      team: key.team
        ? {
            id: key.team.id,
            name: key.team.name,
            allowed_models: key.team.allowedModels,
            rate_limit: key.team.rateLimit,
            tokens_per_minute: key.team.tokensPerMinute,
            budget: key.team.budget,
            budget_period: key.team.budgetPeriod,
            spend: spend.team,
          }
        : null,
    };
  }
}
