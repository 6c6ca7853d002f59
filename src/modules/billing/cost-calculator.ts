import Decimal from 'decimal.js';
import type { Usage } from '#src/modules/calls/usage';
import type { PriceComponent } from '#src/modules/models/model-resolver.service';
import type { PriceDirection } from '#src/modules/models/pricing-component.entity';
import { FIXED_ZERO, type Fixed, fixedCeilNanos, fixedShift, fixedToString } from '#src/modules/billing/fixed-point';

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

export function formatUsd(value: Decimal.Value): string {
  const d = new D(value);
  return d.isZero() ? '0' : d.toFixed();
}

/** A component's price per token (per request for unit `request`) in units of 10^-scale USD, exactly. */
interface PreparedPricing {
  scale: number;
  units: Map<PriceComponent, bigint>;
  /** `above_<N>k` tiers' N × 1000, parsed once. */
  thresholds: Map<PriceComponent, number>;
}

/**
 * Pricing arrays live in the model cache until it reloads: each is prepared once (decimal parsing and division
 * by its unit), at the one scale that holds all its prices exactly, so the hot path is bigint arithmetic.
 */
const prepared = new WeakMap<PriceComponent[], PreparedPricing>();

function prepare(pricing: PriceComponent[]): PreparedPricing {
  let p = prepared.get(pricing);
  if (p) return p;
  const perUnit = new Map<PriceComponent, Decimal>();
  let scale = 0;
  for (const c of pricing) {
    const divisor = c.unit === 'request' ? 1 : TOKEN_UNIT_DIVISOR[c.unit];
    if (!divisor) continue;
    const price = new D(c.price).div(divisor);
    perUnit.set(c, price);
    scale = Math.max(scale, price.decimalPlaces());
  }
  const units = new Map<PriceComponent, bigint>();
  for (const [c, price] of perUnit) units.set(c, BigInt(price.mul(new D(10).pow(scale)).toFixed(0)));
  const thresholds = new Map<PriceComponent, number>();
  for (const c of pricing) {
    const m = THRESHOLD_RE.exec(c.tier);
    if (m) thresholds.set(c, Number(m[1]) * 1000);
  }
  p = { scale, units, thresholds };
  prepared.set(pricing, p);
  return p;
}

/** A token count as a bigint; counts are whole, a fraction (never sent by an adapter) is rounded up. */
const tokens = (n: number): bigint => BigInt(Number.isSafeInteger(n) && n > 0 ? n : Math.max(0, Math.ceil(n)));

/**
 * The per-token price of one direction (text modality), choosing the tier that applies:
 * the request's service tier when the model prices it, else the highest `above_<N>k` threshold the prompt
 * exceeds (it reprices every token of the call, LiteLLM's semantics), else `default`.
 */
function tokenPrice(
  p: PreparedPricing,
  pricing: PriceComponent[],
  direction: PriceDirection,
  promptTokens: number,
  serviceTier: string | null,
): bigint | undefined {
  return rankedTokenPrice(p, pricing, direction, promptTokens, serviceTier)?.price;
}

const SERVICE_TIER_RANK = Number.MAX_SAFE_INTEGER;

function rankedTokenPrice(
  p: PreparedPricing,
  pricing: PriceComponent[],
  direction: PriceDirection,
  promptTokens: number,
  serviceTier: string | null,
): { rank: number; price: bigint } | undefined {
  let best: { rank: number; price: bigint } | undefined;
  for (const c of pricing) {
    if (c.direction !== direction || c.modality !== 'text' || c.unit === 'request') continue;
    const price = p.units.get(c);
    if (price === undefined) continue;
    let rank: number;
    if (c.tier === 'default') rank = 0;
    else if (SERVICE_TIERS.has(c.tier)) {
      if (c.tier !== serviceTier) continue;
      rank = SERVICE_TIER_RANK;
    } else {
      const threshold = p.thresholds.get(c);
      if (threshold === undefined || promptTokens <= threshold) continue;
      rank = threshold / 1000 + 1;
    }
    if (!best || rank > best.rank) best = { rank, price };
  }
  return best;
}

/**
 * Price of a sub-direction (cache read/write of input, reasoning of output): its own price, unless the
 * request's service tier prices the base direction and not the sub-direction, in which case the
 * service-tier base price applies (reasoning is output, billed at the tier the call ran in).
 */
function subPrice(
  p: PreparedPricing,
  pricing: PriceComponent[],
  sub: PriceDirection,
  base: PriceDirection,
  promptTokens: number,
  serviceTier: string | null,
): bigint {
  const own = rankedTokenPrice(p, pricing, sub, promptTokens, serviceTier);
  const baseRanked = rankedTokenPrice(p, pricing, base, promptTokens, serviceTier);
  if (own && !(baseRanked?.rank === SERVICE_TIER_RANK && own.rank !== SERVICE_TIER_RANK)) return own.price;
  return baseRanked?.price ?? 0n;
}

/** Per-request components (unit `request`) of the applicable tiers. */
function requestCharges(p: PreparedPricing, pricing: PriceComponent[], serviceTier: string | null): bigint {
  let total = 0n;
  for (const c of pricing) {
    if (c.unit !== 'request') continue;
    if (c.tier === 'default' || (SERVICE_TIERS.has(c.tier) && c.tier === serviceTier)) total += p.units.get(c) ?? 0n;
  }
  return total;
}

const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);

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
  const p = prepare(pricing);
  const prompt = usage.promptTokens;
  const input = tokenPrice(p, pricing, 'input', prompt, serviceTier) ?? 0n;
  const output = tokenPrice(p, pricing, 'output', prompt, serviceTier) ?? 0n;
  const cacheRead = subPrice(p, pricing, 'cache_read', 'input', prompt, serviceTier);
  const cacheWrite = subPrice(p, pricing, 'cache_write', 'input', prompt, serviceTier);
  const reasoning = subPrice(p, pricing, 'reasoning', 'output', prompt, serviceTier);

  const uncachedPrompt = Math.max(0, prompt - usage.cacheReadTokens - usage.cacheWriteTokens);
  const visibleCompletion = Math.max(0, usage.completionTokens - usage.reasoningTokens);
  const cost: Fixed = {
    units:
      input * tokens(uncachedPrompt) +
      cacheRead * tokens(usage.cacheReadTokens) +
      cacheWrite * tokens(usage.cacheWriteTokens) +
      output * tokens(visibleCompletion) +
      reasoning * tokens(usage.reasoningTokens) +
      requestCharges(p, pricing, serviceTier),
    scale: p.scale,
  };
  return { costUsd: fixedToString(cost), costNanos: fixedCeilNanos(cost), unpriced: false };
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
  const p = prepare(pricing);
  const price = (d: PriceDirection): bigint => tokenPrice(p, pricing, d, promptTokens, serviceTier) ?? 0n;
  const promptPrice = maxOf(maxOf(price('input'), price('cache_read')), price('cache_write'));
  const outputPrice = maxOf(price('output'), price('reasoning'));
  const units =
    promptPrice * tokens(promptTokens) + outputPrice * tokens(outputTokens) + requestCharges(p, pricing, serviceTier);
  return fixedCeilNanos({ units, scale: p.scale });
}

/** Nano-dollars one output token may cost at most (for lowering the output limit to what a budget has left). */
export function outputTokenNanos(pricing: PriceComponent[], promptTokens: number, serviceTier: string | null): Fixed {
  if (pricing.length === 0) return FIXED_ZERO;
  const p = prepare(pricing);
  const price = (d: PriceDirection): bigint => tokenPrice(p, pricing, d, promptTokens, serviceTier) ?? 0n;
  return fixedShift({ units: maxOf(price('output'), price('reasoning')), scale: p.scale }, 9);
}
