import { Injectable, Logger } from '@nestjs/common';
import { CatalogFetcher } from '#src/modules/billing/catalog/catalog-fetcher';
import { type CatalogModel, mapCatalogEntry } from '#src/modules/billing/catalog/catalog-entry';
import { CatalogException } from '#src/modules/billing/catalog/catalog.exception';
import { providerTypeOf } from '#src/modules/billing/catalog/litellm-price-map';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import type { ProviderEntity } from '#src/modules/providers/provider.entity';
import { ProviderRepository } from '#src/modules/providers/provider.repository';

export type CatalogSource = { catalog: Record<string, unknown> } | { url: string };

/** Why an entry was not imported. */
export type CatalogSkipReason =
  | 'sample_spec'
  | 'provider_mismatch'
  | 'name_is_alias'
  | 'other_provider'
  | 'invalid_entry'
  | 'invalid_name'
  | 'invalid_price';

export interface CatalogImportResult {
  created: number;
  updated: number;
  skipped: number;
  skipped_by_reason: Partial<Record<CatalogSkipReason, number>>;
  /** Price-like keys of the catalog on neither list (kept in metadata); a newer catalog may bring them. */
  unknown_price_keys: string[];
  provider_id: string | null;
}

/**
 * LiteLLM catalog import (SPEC §4, §6): every entry but `sample_spec` becomes a model named by its catalog key,
 * price-only without a provider; with one, only entries whose `litellm_provider` maps to its type. Prices,
 * limits and capabilities of existing models are replaced in place; model caches are dropped on every pod.
 */
@Injectable()
export class CatalogImportService {
  private readonly logger = new Logger(CatalogImportService.name);

  constructor(
    private readonly fetcher: CatalogFetcher,
    private readonly providers: ProviderRepository,
    private readonly models: ModelManagementService,
  ) {}

  async import(source: CatalogSource, providerId: string | null): Promise<CatalogImportResult> {
    const provider = providerId ? await this.providers.findById(providerId) : null;
    if (providerId && !provider) throw CatalogException.providerNotFound(providerId);
    const raw = 'url' in source ? await this.fetcher.fetchJson(source.url) : source.catalog;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw CatalogException.invalid('the catalog must be a JSON object of model name → entry');
    const { accepted, skipped, unknownKeys } = this.select(raw as Record<string, unknown>, provider);
    const outcome = await this.models.importModels(accepted, provider?.id ?? null);
    for (const s of outcome.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
    const result: CatalogImportResult = {
      created: outcome.created.length,
      updated: outcome.updated.length,
      skipped: Object.values(skipped).reduce((a, b) => a + b, 0),
      skipped_by_reason: skipped,
      unknown_price_keys: [...unknownKeys].sort(),
      provider_id: provider?.id ?? null,
    };
    this.logger.log({ ...result, provider: provider?.name }, 'catalog imported');
    return result;
  }

  private select(
    catalog: Record<string, unknown>,
    provider: ProviderEntity | null,
  ): { accepted: CatalogModel[]; skipped: Partial<Record<CatalogSkipReason, number>>; unknownKeys: Set<string> } {
    const accepted: CatalogModel[] = [];
    const skipped: Partial<Record<CatalogSkipReason, number>> = {};
    const unknownKeys = new Set<string>();
    const skip = (reason: CatalogSkipReason): void => void (skipped[reason] = (skipped[reason] ?? 0) + 1);
    for (const [name, entry] of Object.entries(catalog)) {
      if (name === 'sample_spec') {
        skip('sample_spec');
        continue;
      }
      const mapped = mapCatalogEntry(name, entry);
      if (typeof mapped === 'string') {
        skip(mapped);
        continue;
      }
      if (provider && (!mapped.litellmProvider || providerTypeOf(mapped.litellmProvider) !== provider.type)) {
        skip('provider_mismatch');
        continue;
      }
      mapped.unknownPriceKeys.forEach((k) => unknownKeys.add(k));
      accepted.push(mapped);
    }
    return { accepted, skipped, unknownKeys };
  }
}
