import { calculateCost, formatUsd, usdToNanos, worstCaseNanos } from '#src/modules/billing/cost-calculator';
import type { PriceComponent } from '#src/modules/models/model-resolver.service';

const c = (
  direction: PriceComponent['direction'],
  price: string,
  tier = 'default',
  unit: PriceComponent['unit'] = '1m_tokens',
): PriceComponent => ({
  direction,
  modality: 'text',
  unit,
  tier,
  price,
});

const usage = (
  promptTokens: number,
  completionTokens: number,
  extra: Partial<Record<'cacheReadTokens' | 'cacheWriteTokens' | 'reasoningTokens', number>> = {},
) => ({
  promptTokens,
  completionTokens,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  ...extra,
});

// Claude-like: $3 / $15 per million, cache read $0.30, cache write $3.75; above 200k: $6 / $22.50.
const claude = [
  c('input', '3'),
  c('output', '15'),
  c('cache_read', '0.3'),
  c('cache_write', '3.75'),
  c('input', '6', 'above_200k'),
  c('output', '22.5', 'above_200k'),
];
// o-series-like with a reasoning price and a priority tier, priced per token.
const reasoner = [
  c('input', '0.000002', 'default', 'token'),
  c('output', '0.000008', 'default', 'token'),
  c('reasoning', '0.00001', 'default', 'token'),
  c('input', '0.000004', 'priority', 'token'),
  c('output', '0.000016', 'priority', 'token'),
];

describe('calculateCost', () => {
  it.each([
    // [name, pricing, usage, tier, expected USD] — hand-computed
    ['input and output per million', claude, usage(1000, 500), null, '0.0105'], // 1000*3e-6 + 500*15e-6
    [
      'cache read and write priced on their own',
      claude,
      usage(1000, 0, { cacheReadTokens: 600, cacheWriteTokens: 300 }),
      null,
      '0.001605',
    ], // 100*3e-6 + 600*0.3e-6 + 300*3.75e-6
    ['above_200k reprices every token once the prompt exceeds 200k', claude, usage(200_001, 1000), null, '1.222506'], // 200001*6e-6 + 1000*22.5e-6
    ['exactly 200k stays on the default tier', claude, usage(200_000, 1000), null, '0.615'],
    ['reasoning tokens at their own price', reasoner, usage(100, 1000, { reasoningTokens: 400 }), null, '0.009'], // 100*2e-6 + 600*8e-6 + 400*1e-5
    [
      'the priority service tier when the request names it',
      reasoner,
      usage(100, 1000, { reasoningTokens: 400 }),
      'priority',
      '0.0164',
    ], // 100*4e-6 + 600*16e-6 + 400*16e-6 (no priority reasoning price: priority output)
    ['a tier the model does not price falls back to default', reasoner, usage(100, 100), 'flex', '0.001'],
    [
      'cached tokens fall back to the input price',
      [c('input', '1'), c('output', '2')],
      usage(1000, 0, { cacheReadTokens: 500 }),
      null,
      '0.001',
    ],
    ['per-1k units', [c('input', '0.01', 'default', '1k_tokens')], usage(1500, 10), null, '0.015'],
    [
      'per-request price',
      [c('input', '0', 'default', 'token'), c('tool', '0.025', 'default', 'request')],
      usage(10, 10),
      null,
      '0.025',
    ],
    [
      'fractions of a nano-dollar stay exact',
      [c('input', '0.0000000001', 'default', 'token')],
      usage(3, 0),
      null,
      '0.0000000003',
    ],
  ])('%s', (_name, pricing, u, tier, expected) => {
    expect(calculateCost(pricing, u, tier).costUsd).toBe(expected);
    expect(calculateCost(pricing, u, tier).unpriced).toBe(false);
  });

  it('uses the provider-reported cost when the model has no price', () => {
    expect(calculateCost([], { ...usage(10, 10), providerCostUsd: '0.00042' })).toEqual({
      costUsd: '0.00042',
      costNanos: 420_000,
      unpriced: false,
    });
  });

  it('flags a call unpriced when neither the model nor the provider gives a price', () => {
    expect(calculateCost([], usage(10, 10))).toEqual({ costUsd: '0', costNanos: 0, unpriced: true });
  });

  it('rounds nano-dollars up, never down', () => {
    expect(usdToNanos('0.0000000001')).toBe(1);
    expect(usdToNanos('0.000000002')).toBe(2);
    expect(usdToNanos('1')).toBe(1_000_000_000);
    expect(calculateCost([c('input', '0.0000000001', 'default', 'token')], usage(3, 0)).costNanos).toBe(1);
  });

  it('formats money as plain decimals without exponent', () => {
    expect(formatUsd('1e-10')).toBe('0.0000000001');
    expect(formatUsd('0')).toBe('0');
    expect(formatUsd('12.50')).toBe('12.5');
  });
});

describe('worstCaseNanos', () => {
  it('prices the whole prompt at the dearest prompt price and the output at the dearer of output and reasoning', () => {
    // 1000 prompt at 3.75e-6 (cache write) + 100 output at 15e-6
    expect(worstCaseNanos(claude, 1000, 100, null)).toBe(3_750_000 + 1_500_000);
    // 100 prompt at 2e-6 + 10 output at 1e-5 (reasoning)
    expect(worstCaseNanos(reasoner, 100, 10, null)).toBe(200_000 + 100_000);
  });

  it('uses the threshold tier the prompt bound reaches', () => {
    expect(worstCaseNanos(claude, 300_000, 0, null)).toBe(300_000 * 6000);
  });

  it('is zero for a model without prices', () => {
    expect(worstCaseNanos([], 1000, 1000, null)).toBe(0);
  });
});
