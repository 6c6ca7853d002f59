import {
  calculateCost,
  formatUsd,
  outputTokenNanos,
  usdToNanos,
  worstCaseNanos,
} from '#src/modules/billing/cost-calculator';
import { type Fixed, fixedToString } from '#src/modules/billing/fixed-point';
import type { PriceComponent } from '#src/modules/models/model-resolver.service';
import Decimal from 'decimal.js';

const c = (
  direction: PriceComponent['direction'],
  price: string,
  tier = 'default',
  unit: PriceComponent['unit'] = '1m_tokens',
  modality: PriceComponent['modality'] = 'text',
): PriceComponent => ({
  direction,
  modality,
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

// Gemini-like with two thresholds and tiered cache prices: $1.25/$10 per M, above 128k $2/$12, above 200k
// $2.50/$15; cache read $0.125 → $0.20 → $0.25; cache write $1.5 flat; reasoning priced as output.
const tiered = [
  c('input', '1.25'),
  c('output', '10'),
  c('cache_read', '0.125'),
  c('cache_write', '1.5'),
  c('input', '2', 'above_128k'),
  c('output', '12', 'above_128k'),
  c('cache_read', '0.2', 'above_128k'),
  c('input', '2.5', 'above_200k'),
  c('output', '15', 'above_200k'),
  c('cache_read', '0.25', 'above_200k'),
];
// OpenAI-like service tiers: flex and batch at half price, priority at double, each with its cache price;
// plus a $0.01 per-request fee and a $0.02 extra per priority request; an audio price that text never uses.
const tiers = [
  c('input', '2'),
  c('output', '8'),
  c('cache_read', '0.5'),
  c('input', '1', 'flex'),
  c('output', '4', 'flex'),
  c('cache_read', '0.25', 'flex'),
  c('input', '1', 'batch'),
  c('output', '4', 'batch'),
  c('input', '4', 'priority'),
  c('output', '16', 'priority'),
  c('cache_read', '1', 'priority'),
  c('tool', '0.01', 'default', 'request'),
  c('tool', '0.02', 'priority', 'request'),
  c('input', '40', 'default', '1m_tokens', 'audio'),
];

describe('calculateCost for every component kind and tier (hand-computed)', () => {
  it.each([
    // prompt ≤ 128k: default prices; 100k prompt (20k cache read, 5k cache write), 2k completion (500 reasoning)
    // = 75k×1.25 + 20k×0.125 + 5k×1.5 + 1.5k×10 + 500×10 (reasoning as output), per M
    [
      'default tier, every kind',
      tiered,
      usage(100_000, 2000, { cacheReadTokens: 20_000, cacheWriteTokens: 5000, reasoningTokens: 500 }),
      null,
      '0.12375',
    ],
    // 150k prompt > 128k: 125k×2 + 20k×0.2 + 5k×1.5 (no tiered cache-write price) + 1.5k×12 + 500×12
    [
      'above_128k reprices input, cache read and output',
      tiered,
      usage(150_000, 2000, { cacheReadTokens: 20_000, cacheWriteTokens: 5000, reasoningTokens: 500 }),
      null,
      '0.2855',
    ],
    // 250k prompt > 200k: the highest threshold passed wins: 225k×2.5 + 20k×0.25 + 5k×1.5 + 1.5k×15 + 500×15
    [
      'the highest threshold exceeded wins',
      tiered,
      usage(250_000, 2000, { cacheReadTokens: 20_000, cacheWriteTokens: 5000, reasoningTokens: 500 }),
      null,
      '0.605',
    ],
    // exactly 128,000 is not above 128k
    ['a prompt exactly at a threshold stays below it', tiered, usage(128_000, 0), null, '0.16'],
    // default: 9k×2 + 1k×0.5 + 1k×8, per M, + $0.01 per request
    [
      'default service tier with a per-request fee',
      tiers,
      usage(10_000, 1000, { cacheReadTokens: 1000 }),
      null,
      '0.0365',
    ],
    ['flex tier with its own cache price', tiers, usage(10_000, 1000, { cacheReadTokens: 1000 }), 'flex', '0.02325'], // 9k×1 + 1k×0.25 + 1k×4 + 0.01
    [
      'batch tier without a cache price prices cached tokens at batch input',
      tiers,
      usage(10_000, 1000, { cacheReadTokens: 1000 }),
      'batch',
      '0.024',
    ], // 10k×1 + 1k×4 + 0.01
    [
      'priority tier adds its per-request fee to the default one',
      tiers,
      usage(10_000, 1000, { cacheReadTokens: 1000 }),
      'priority',
      '0.083',
    ], // 9k×4 + 1k×1 + 1k×16 + 0.03
    [
      'an unknown service tier is the default tier',
      tiers,
      usage(10_000, 1000, { cacheReadTokens: 1000 }),
      'scale',
      '0.0365',
    ],
    [
      'per-token, per-1k and per-1m units agree',
      [c('input', '0.000003', 'default', 'token'), c('output', '0.015', 'default', '1k_tokens')],
      usage(1000, 1000),
      null,
      '0.018',
    ],
    [
      'cache write falls back to the input price',
      [c('input', '3'), c('output', '15')],
      usage(1000, 0, { cacheWriteTokens: 400 }),
      null,
      '0.003',
    ],
    [
      'reasoning falls back to the output price',
      [c('input', '3'), c('output', '15')],
      usage(0, 1000, { reasoningTokens: 999 }),
      null,
      '0.015',
    ],
    ['zero usage costs the per-request fee only', tiers, usage(0, 0), null, '0.01'],
  ])('%s', (_name, pricing, u, tier, expected) => {
    expect(calculateCost(pricing, u, tier).costUsd).toBe(expected);
  });

  it('ignores the provider-reported cost when the model has a price', () => {
    expect(calculateCost([c('input', '1')], { ...usage(1_000_000, 0), providerCostUsd: '99' }).costUsd).toBe('1');
  });

  it('keeps costs exact where binary floats would drift', () => {
    // 0.1 + 0.2 style: 3 tokens at $0.1/M and 3 at $0.2/M
    expect(calculateCost([c('input', '0.1'), c('output', '0.2')], usage(3, 3)).costUsd).toBe('0.0000009');
    expect(calculateCost([c('input', '0.1'), c('output', '0.2')], usage(3, 3)).costNanos).toBe(900);
  });
});

describe('worstCaseNanos and outputTokenNanos (budget reservations)', () => {
  it('prices the prompt bound at the tier it reaches and adds per-request fees of the service tier', () => {
    // 150k prompt at the dearest above_128k prompt price (input $2 vs cache read $0.2 vs cache write $1.5) + 1k output at $12
    expect(worstCaseNanos(tiered, 150_000, 1000, null)).toBe(300_000_000 + 12_000_000);
    // priority: 1k at $4/M + 100 at $16/M + $0.03 in fees
    expect(worstCaseNanos(tiers, 1000, 100, 'priority')).toBe(4000 * 1000 + 1600 * 1000 + 30_000_000);
  });

  it('is never below the real cost of a call that stays within its bounds', () => {
    const u = usage(150_000, 1000, { cacheReadTokens: 50_000, reasoningTokens: 300 });
    expect(worstCaseNanos(tiered, 150_000, 1000, null)).toBeGreaterThanOrEqual(calculateCost(tiered, u).costNanos);
    const p = usage(1000, 100, { cacheReadTokens: 900 });
    expect(worstCaseNanos(tiers, 1000, 100, 'priority')).toBeGreaterThanOrEqual(
      calculateCost(tiers, p, 'priority').costNanos,
    );
  });

  it('gives the dearest output price per token in nano-dollars', () => {
    const nanos = (f: Fixed): string => fixedToString(f);
    expect(nanos(outputTokenNanos(tiered, 1000, null))).toBe('10000');
    expect(nanos(outputTokenNanos(tiered, 250_000, null))).toBe('15000');
    expect(nanos(outputTokenNanos(claude, 10, null))).toBe('15000');
    expect(nanos(outputTokenNanos(reasoner, 10, null))).toBe('10000'); // reasoning $1e-5 beats output $8e-6
    // fractions of a nano-dollar per token stay exact: $0.0375 per million tokens is 37.5 nano-dollars a token
    const cheap = [{ direction: 'output', modality: 'text', unit: '1m_tokens', tier: 'default', price: '0.0375' }];
    expect(nanos(outputTokenNanos(cheap as PriceComponent[], 10, null))).toBe('37.5');
    const cheaper = [{ direction: 'output', modality: 'text', unit: '1m_tokens', tier: 'default', price: '0.0000375' }];
    expect(nanos(outputTokenNanos(cheaper as PriceComponent[], 10, null))).toBe('0.0375');
  });

  it('prices random default-tier calls exactly as decimal arithmetic does, to the last digit and nano-dollar', () => {
    // an independent oracle: Σ tokens × price ÷ unit in decimal.js, for prices of up to 12 decimals per unit
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const price = (): string => `${rand(100)}.${String(rand(1e9)).padStart(9, '0')}${rand(1000)}`;
    const units = ['token', '1k_tokens', '1m_tokens'] as const;
    const divisor = { token: 1, '1k_tokens': 1000, '1m_tokens': 1_000_000 };
    for (let i = 0; i < 300; i++) {
      const unit = units[rand(3)];
      const prices = { input: price(), output: price(), cache_read: price(), reasoning: price(), request: price() };
      const pricing = [
        c('input', prices.input, 'default', unit),
        c('output', prices.output, 'default', unit),
        c('cache_read', prices.cache_read, 'default', unit),
        c('reasoning', prices.reasoning, 'default', unit),
        { direction: 'input', modality: 'text', unit: 'request', tier: 'default', price: prices.request },
      ] as PriceComponent[];
      const prompt = rand(2_000_000);
      const cached = rand(prompt + 1);
      const completion = rand(100_000);
      const reasoning = rand(completion + 1);
      const D = Decimal.clone({ precision: 80 });
      const per = (x: string) => new D(x).div(divisor[unit]);
      const expected = per(prices.input)
        .mul(prompt - cached)
        .add(per(prices.cache_read).mul(cached))
        .add(per(prices.output).mul(completion - reasoning))
        .add(per(prices.reasoning).mul(reasoning))
        .add(new D(prices.request));
      const got = calculateCost(
        pricing,
        usage(prompt, completion, { cacheReadTokens: cached, reasoningTokens: reasoning }),
      );
      expect(got.costUsd).toBe(expected.isZero() ? '0' : expected.toFixed());
      expect(got.costNanos).toBe(expected.mul(1e9).toDecimalPlaces(0, Decimal.ROUND_UP).toNumber());
    }
  });
});
