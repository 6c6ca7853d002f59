import Decimal from 'decimal.js';
import {
  LITELLM_METADATA_PRICE_KEYS,
  LITELLM_PRICE_MAP,
  PRICE_LIKE_KEY,
} from '#src/modules/billing/catalog/litellm-price-map';
import type { PricingComponentInput } from '#src/modules/models/pricing-validation';

/** One catalog entry turned into what a model row needs. */
export interface CatalogModel {
  name: string;
  litellmProvider: string | null;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  capabilities: string[];
  pricing: PricingComponentInput[];
  /** Everything the entry had that is not a mapped price: stored as `metadata.litellm`. */
  litellm: Record<string, unknown>;
  /** Price-like keys on neither list (a newer catalog): kept in metadata and reported. */
  unknownPriceKeys: string[];
}

export type CatalogEntryProblem = 'invalid_name' | 'invalid_entry' | 'invalid_price';

const MAP_ORDER = Object.keys(LITELLM_PRICE_MAP);

const positiveInt = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 2_147_483_647 ? v : null;

/** A price as an exact decimal string (LiteLLM writes floats like 2.5e-7), or null when it is not a price. */
function price(v: unknown): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return null;
  return new Decimal(v.toString()).toFixed();
}

/**
 * Maps one entry (SPEC §6): mapped keys become components, `max_input_tokens`/`max_output_tokens` the
 * limits, `mode` and every true `supports_*` the capabilities; the rest is kept as metadata. Returns the
 * problem of an entry that cannot be imported.
 */
export function mapCatalogEntry(name: string, entry: unknown): CatalogModel | CatalogEntryProblem {
  if (!name || name.length > 256) return 'invalid_name';
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'invalid_entry';
  const e = entry as Record<string, unknown>;
  const pricing: PricingComponentInput[] = [];
  const taken = new Set<string>();
  const litellm: Record<string, unknown> = {};
  const unknownPriceKeys: string[] = [];
  const keys = Object.keys(e).sort((a, b) => rank(a) - rank(b));
  for (const key of keys) {
    const mapped = LITELLM_PRICE_MAP[key];
    if (!mapped) {
      litellm[key] = e[key];
      if (PRICE_LIKE_KEY.test(key) && !(key in LITELLM_METADATA_PRICE_KEYS)) unknownPriceKeys.push(key);
      continue;
    }
    const value = price(e[key]);
    if (value === null) return 'invalid_price';
    const slot = `${mapped.direction}/${mapped.modality}/${mapped.unit}/${mapped.tier}`;
    if (taken.has(slot)) {
      litellm[key] = e[key];
      continue;
    }
    taken.add(slot);
    pricing.push({ ...mapped, price: value });
  }
  const capabilities = Object.entries(e)
    .filter(([k, v]) => k.startsWith('supports_') && v === true)
    .map(([k]) => k.slice('supports_'.length));
  if (typeof e.mode === 'string' && e.mode) capabilities.unshift(e.mode);
  return {
    name,
    litellmProvider: typeof e.litellm_provider === 'string' ? e.litellm_provider : null,
    contextWindow: positiveInt(e.max_input_tokens) ?? positiveInt(e.max_tokens),
    maxOutputTokens: positiveInt(e.max_output_tokens),
    capabilities: [...new Set(capabilities)],
    pricing,
    litellm,
    unknownPriceKeys,
  };
}

/** Mapped keys in table order (first wins on a shared component), everything else after. */
function rank(key: string): number {
  const i = MAP_ORDER.indexOf(key);
  return i === -1 ? MAP_ORDER.length : i;
}
