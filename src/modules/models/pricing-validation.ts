import Decimal from 'decimal.js';
import {
  PRICE_DIRECTIONS,
  PRICE_MODALITIES,
  PRICE_TIER_RE,
  PRICE_UNITS,
} from '#src/modules/models/pricing-component.entity';
import type { PricingInput } from '#src/modules/models/model.repository';
import { ModelsException } from '#src/modules/models/models.exception';

export interface PricingComponentInput {
  direction: string;
  modality?: string;
  unit?: string;
  tier?: string;
  price: number | string;
}

/** Validates a price list (SPEC §6) and normalises prices to exact decimal strings. */
export function normalisePricing(components: PricingComponentInput[]): PricingInput[] {
  const seen = new Set<string>();
  return components.map((c, i) => {
    const at = `pricing[${i}]`;
    const modality = c.modality ?? 'text';
    const unit = c.unit ?? 'token';
    const tier = c.tier ?? 'default';
    if (!(PRICE_DIRECTIONS as readonly string[]).includes(c.direction))
      throw ModelsException.invalid(`${at}.direction must be one of ${PRICE_DIRECTIONS.join(', ')}`);
    if (!(PRICE_MODALITIES as readonly string[]).includes(modality))
      throw ModelsException.invalid(`${at}.modality must be one of ${PRICE_MODALITIES.join(', ')}`);
    if (!(PRICE_UNITS as readonly string[]).includes(unit))
      throw ModelsException.invalid(`${at}.unit must be one of ${PRICE_UNITS.join(', ')}`);
    if (!PRICE_TIER_RE.test(tier))
      throw ModelsException.invalid(`${at}.tier must be default, priority, flex, batch or above_<N>k`);
    let price: Decimal;
    try {
      price = new Decimal(typeof c.price === 'number' ? c.price.toString() : String(c.price).trim());
    } catch {
      throw ModelsException.invalid(`${at}.price must be a number or a decimal string`);
    }
    if (!price.isFinite() || price.isNegative())
      throw ModelsException.invalid(`${at}.price must be a non-negative number`);
    const key = `${c.direction}/${modality}/${unit}/${tier}`;
    if (seen.has(key)) throw ModelsException.invalid(`${at} repeats ${key}`);
    seen.add(key);
    return {
      direction: c.direction as PricingInput['direction'],
      modality: modality as PricingInput['modality'],
      unit: unit as PricingInput['unit'],
      tier,
      price: price.toFixed(),
    };
  });
}
