import type { PricingComponent } from '../api/types';

// checked against the generated API types: a value the API drops fails the build
export const DIRECTIONS = [
  'input',
  'output',
  'cache_read',
  'cache_write',
  'reasoning',
  'tool',
] as const satisfies readonly PricingComponent['direction'][];
export const MODALITIES = [
  'text',
  'image',
  'audio',
  'video',
] as const satisfies readonly PricingComponent['modality'][];
export const UNITS = [
  'token',
  '1k_tokens',
  '1m_tokens',
  'character',
  'image',
  'pixel',
  'second',
  'minute',
  'hour',
  'request',
] as const satisfies readonly PricingComponent['unit'][];
export const TIER_RE = /^(default|priority|flex|batch|above_[1-9]\d{0,5}k)$/;

export interface PriceRow {
  direction: PricingComponent['direction'];
  modality: PricingComponent['modality'];
  unit: PricingComponent['unit'];
  tier: string;
  price: string;
}

export const newPriceRow = (): PriceRow => ({
  direction: 'input',
  modality: 'text',
  unit: '1m_tokens',
  tier: 'default',
  price: '',
});

export const priceRowsFrom = (pricing: PricingComponent[]): PriceRow[] => pricing.map((p) => ({ ...p }));

/** The pricing list to send, or one message per problem row ("Row 2: ..."). */
export function pricingBody(
  rows: PriceRow[],
): { ok: true; pricing: PricingComponent[] } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const where = `Row ${i + 1}`;
    const price = row.price.trim();
    if (!/^\d+(\.\d+)?$/.test(price)) errors.push(`${where}: the price must be a USD amount such as 0.15.`);
    if (!TIER_RE.test(row.tier.trim()))
      errors.push(`${where}: the tier must be default, priority, flex, batch or above_<N>k.`);
    const id = `${row.direction}/${row.modality}/${row.unit}/${row.tier.trim()}`;
    if (seen.has(id)) errors.push(`${where}: the same direction, modality, unit and tier appear twice.`);
    seen.add(id);
  });
  if (errors.length) return { ok: false, errors };
  return { ok: true, pricing: rows.map((r) => ({ ...r, tier: r.tier.trim(), price: r.price.trim() })) };
}

/** "input $0.15 / 1m_tokens" per component, for the model list. */
export const describePrice = (p: PricingComponent): string =>
  `${p.direction}${p.modality === 'text' ? '' : ` (${p.modality})`}${p.tier === 'default' ? '' : ` [${p.tier}]`}: $${p.price} / ${p.unit}`;
