import Decimal from 'decimal.js';
import type { Usage } from '#src/modules/calls/usage';
import type { PriceComponent } from '#src/modules/models/model-resolver.service';
import type { PriceDirection } from '#src/modules/models/pricing-component.entity';

/** Exact decimal arithmetic for money: enough digits for fractions of a nano-dollar on millions of tokens. */
const D = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP });

export interface CostResult {
  /** USD as a plain decimal string, no exponent. */
  costUsd: string;
  /** Nano-dollars, rounded up: what Redis counters settle. */
  costNanos: number;
  /** No price and no provider figure: cost is 0. */
  unpriced: boolean;
}

const TOKEN_UNIT_DIVISOR: Record<string, number> = { token: 1, '1k_tokens': 1000, '1m_tokens': 1_000_000 };
const THRESHOLD_RE = /^above_(\d+)k$/;
const SERVICE_TIERS = new Set(['priority', 'flex', 'batch']);

export function usdToNanos(usd: Decimal.Value): number {
  return new D(usd).mul(1e9).toDecimalPlaces(0, Decimal.ROUND_UP).toNumber();
}

/**
 * Per-token price of a component, parsed once: pricing arrays live in the model cache until it reloads, so
 * the hot path does no decimal parsing or division.
 */
const perTokenPrices = new WeakMap<PriceComponent, Decimal>();

function perTokenPrice(c: PriceComponent, divisor: number): Decimal {
  let price = perTokenPrices.get(c);
  if (!price) {
    price = new D(c.price).div(divisor);
    perTokenPrices.set(c, price);
  }
  return price;
}

const ZERO = new D(0);

export function formatUsd(value: Decimal.Value): string {
  const d = new D(value);
  return d.isZero() ? '0' : d.toFixed();
}

/**
 * The per-token price of one direction (text modality), choosing the tier that applies:
 * the request's service tier when the model prices it, else the highest `above_<N>k` threshold the prompt
 * exceeds (it reprices every token of the call, LiteLLM's semantics), else `default`.
 */
function tokenPrice(
  pricing: PriceComponent[],
  direction: PriceDirection,
  promptTokens: number,
  serviceTier: string | null,
): Decimal | undefined {
  return rankedTokenPrice(pricing, direction, promptTokens, serviceTier)?.price;
}

const SERVICE_TIER_RANK = Number.MAX_SAFE_INTEGER;

function rankedTokenPrice(
  pricing: PriceComponent[],
  direction: PriceDirection,
  promptTokens: number,
  serviceTier: string | null,
): { rank: number; price: Decimal } | undefined {
  let best: { rank: number; price: Decimal } | undefined;
  for (const c of pricing) {
    if (c.direction !== direction || c.modality !== 'text') continue;
    const divisor = TOKEN_UNIT_DIVISOR[c.unit];
    if (!divisor) continue;
    let rank: number;
    if (c.tier === 'default') rank = 0;
    else if (SERVICE_TIERS.has(c.tier)) {
      if (c.tier !== serviceTier) continue;
      rank = SERVICE_TIER_RANK;
    } else {
      const m = THRESHOLD_RE.exec(c.tier);
      if (!m || promptTokens <= Number(m[1]) * 1000) continue;
      rank = Number(m[1]) + 1;
    }
    if (!best || rank > best.rank) best = { rank, price: perTokenPrice(c, divisor) };
  }
  return best;
}

/**
 * Price of a sub-direction (cache read/write of input, reasoning of output): its own price, unless the
 * request's service tier prices the base direction and not the sub-direction, in which case the
 * service-tier base price applies (reasoning is output, billed at the tier the call ran in).
 */
function subPrice(
  pricing: PriceComponent[],
  sub: PriceDirection,
  base: PriceDirection,
  promptTokens: number,
  serviceTier: string | null,
): Decimal {
  const own = rankedTokenPrice(pricing, sub, promptTokens, serviceTier);
  const baseRanked = rankedTokenPrice(pricing, base, promptTokens, serviceTier);
  if (own && !(baseRanked?.rank === SERVICE_TIER_RANK && own.rank !== SERVICE_TIER_RANK)) return own.price;
  return baseRanked?.price ?? ZERO;
}

/** Per-request components (unit `request`) of the applicable tiers. */
function requestCharges(pricing: PriceComponent[], serviceTier: string | null): Decimal {
  let total: Decimal = ZERO;
  for (const c of pricing) {
    if (c.unit !== 'request') continue;
    if (c.tier === 'default' || (SERVICE_TIERS.has(c.tier) && c.tier === serviceTier))
      total = total.add(perTokenPrice(c, 1));
  }
  return total;
}

/**
 * Cost of a call (SPEC §6): (prompt − cache read − cache write) × input + cache read × cache-read price +
 * cache write × cache-write price + (completion − reasoning) × output + reasoning × reasoning price (+ any
 * per-request price). Cached and reasoning tokens fall back to the input/output price when the model has
 * no price of their own. A model with no price at all uses the provider-reported cost, else 0 (`unpriced`).
 */
export function calculateCost(pricing: PriceComponent[], usage: Usage, serviceTier: string | null = null): CostResult {
  if (pricing.length === 0) {
    if (usage.providerCostUsd !== undefined) {
      const cost = new D(usage.providerCostUsd);
      return { costUsd: formatUsd(cost), costNanos: usdToNanos(cost), unpriced: false };
    }
    return { costUsd: '0', costNanos: 0, unpriced: true };
  }
  const prompt = usage.promptTokens;
  const input = tokenPrice(pricing, 'input', prompt, serviceTier) ?? ZERO;
  const output = tokenPrice(pricing, 'output', prompt, serviceTier) ?? ZERO;
  const cacheRead = subPrice(pricing, 'cache_read', 'input', prompt, serviceTier);
  const cacheWrite = subPrice(pricing, 'cache_write', 'input', prompt, serviceTier);
  const reasoning = subPrice(pricing, 'reasoning', 'output', prompt, serviceTier);

  const uncachedPrompt = Math.max(0, prompt - usage.cacheReadTokens - usage.cacheWriteTokens);
  const visibleCompletion = Math.max(0, usage.completionTokens - usage.reasoningTokens);
  const cost = input
    .mul(uncachedPrompt)
    .add(cacheRead.mul(usage.cacheReadTokens))
    .add(cacheWrite.mul(usage.cacheWriteTokens))
    .add(output.mul(visibleCompletion))
    .add(reasoning.mul(usage.reasoningTokens))
    .add(requestCharges(pricing, serviceTier));
  return { costUsd: formatUsd(cost), costNanos: usdToNanos(cost), unpriced: false };
}

/**
 * Worst-case cost of a call before it runs, in nano-dollars rounded up: every prompt token at the dearest
 * prompt price (input, cache read, cache write) and every output token at the dearer of output and
 * reasoning, in the tier the prompt bound reaches. Zero for a model without prices.
 */
export function worstCaseNanos(
  pricing: PriceComponent[],
  promptTokens: number,
  outputTokens: number,
  serviceTier: string | null,
): number {
  if (pricing.length === 0) return 0;
  const price = (d: PriceDirection): Decimal => tokenPrice(pricing, d, promptTokens, serviceTier) ?? ZERO;
  const promptPrice = D.max(price('input'), price('cache_read'), price('cache_write'));
  const outputPrice = D.max(price('output'), price('reasoning'));
  const cost = promptPrice
    .mul(promptTokens)
    .add(outputPrice.mul(outputTokens))
    .add(requestCharges(pricing, serviceTier));
  return usdToNanos(cost);
}

/** Nano-dollars one output token may cost at most (for lowering the output limit to what a budget has left). */
export function outputTokenNanos(pricing: PriceComponent[], promptTokens: number, serviceTier: string | null): Decimal {
  const price = (d: PriceDirection): Decimal => tokenPrice(pricing, d, promptTokens, serviceTier) ?? ZERO;
  return D.max(price('output'), price('reasoning')).mul(1e9);
}
