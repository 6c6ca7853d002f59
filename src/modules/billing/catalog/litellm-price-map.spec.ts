import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CatalogModel, mapCatalogEntry } from '#src/modules/billing/catalog/catalog-entry';
import {
  LITELLM_METADATA_PRICE_KEYS,
  LITELLM_PRICE_MAP,
  PRICE_LIKE_KEY,
  providerTypeOf,
} from '#src/modules/billing/catalog/litellm-price-map';
import { normalisePricing } from '#src/modules/models/pricing-validation';

/** A copy of ../shared/data/model-prices.sample.json, a real sample of LiteLLM's catalog. */
const SAMPLE = JSON.parse(readFileSync(resolve('test/fixtures/model-prices.sample.json'), 'utf8')) as Record<
  string,
  Record<string, unknown>
>;

const sampleKeys = [...new Set(Object.values(SAMPLE).flatMap((e) => Object.keys(e)))];

function mapped(name: string): CatalogModel {
  const sut = mapCatalogEntry(name, SAMPLE[name]);
  if (typeof sut === 'string') throw new Error(`${name}: ${sut}`);
  return sut;
}

const priceOf = (m: CatalogModel, slot: string): string | undefined =>
  m.pricing.find((p) => `${p.direction}/${p.modality}/${p.unit}/${p.tier}` === slot)?.price as string | undefined;

describe('LiteLLM price keys', () => {
  it('puts every price-like key of the sample catalog on the mapping table or the metadata list', () => {
    const priceKeys = sampleKeys.filter((k) => PRICE_LIKE_KEY.test(k));
    expect(priceKeys.length).toBeGreaterThan(40);
    const unplaced = priceKeys.filter((k) => !(k in LITELLM_PRICE_MAP) && !(k in LITELLM_METADATA_PRICE_KEYS));
    expect(unplaced).toEqual([]);
  });

  it('lists only price-like keys, each on one list', () => {
    const listed = [...Object.keys(LITELLM_PRICE_MAP), ...Object.keys(LITELLM_METADATA_PRICE_KEYS)];
    expect(listed.filter((k) => !PRICE_LIKE_KEY.test(k))).toEqual([]);
    expect(Object.keys(LITELLM_PRICE_MAP).filter((k) => k in LITELLM_METADATA_PRICE_KEYS)).toEqual([]);
  });

  it('maps only onto valid components', () => {
    const components = Object.entries(LITELLM_PRICE_MAP).map(([, c]) => ({ ...c, price: '1' }));
    for (const c of components) expect(() => normalisePricing([c])).not.toThrow();
  });

  it('maps every sample entry to a price list the model service accepts', () => {
    const problems: string[] = [];
    for (const name of Object.keys(SAMPLE)) {
      const sut = mapCatalogEntry(name, SAMPLE[name]);
      if (typeof sut === 'string') problems.push(`${name}: ${sut}`);
      else if (sut.unknownPriceKeys.length > 0) problems.push(`${name}: ${sut.unknownPriceKeys.join(',')}`);
      else {
        try {
          normalisePricing(sut.pricing);
        } catch (err) {
          problems.push(`${name}: ${(err as Error).message}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('mapCatalogEntry', () => {
  it.each([
    ['gpt-4o-mini', 'input/text/token/default', '0.00000015'],
    ['gpt-4o-mini', 'output/text/token/default', '0.0000006'],
    ['gpt-4o-mini', 'cache_read/text/token/default', '0.000000075'],
    ['gpt-4o-mini', 'input/text/token/batch', '0.000000075'],
    ['gpt-4o-mini', 'output/text/token/priority', '0.000001'],
    ['claude-sonnet-4-5', 'cache_write/text/token/default', '0.00000375'],
    ['claude-sonnet-4-5', 'input/text/token/above_200k', '0.000006'],
    ['claude-sonnet-4-5', 'cache_write/text/token/above_200k', '0.0000075'],
    ['gemini-3-pro-preview', 'cache_read/text/token/priority', '0.00000036'],
    ['gemini-3-pro-preview', 'output/text/token/batch', '0.000006'],
    [
      'gemini-2.5-flash',
      'reasoning/text/token/default',
      String(SAMPLE['gemini-2.5-flash'].output_cost_per_reasoning_token),
    ],
    ['gpt-realtime-whisper', 'input/audio/second/default', '0.0002833333333333333'],
    ['gemini-embedding-2', 'input/audio/second/default', '0.00016'],
    ['gemini-embedding-2', 'input/image/image/default', '0.00012'],
    ['gemini-embedding-2', 'input/video/second/default', '0.00079'],
    ['gpt-4o-mini-tts', 'output/audio/token/default', '0.000012'],
    ['gpt-4o-mini-tts', 'output/audio/second/default', '0.00025'],
    ['deepseek-v4-flash', 'cache_read/text/token/default', '0.0000000028'],
  ])('%s has %s = %s', (name, slot, expected) => {
    expect(priceOf(mapped(name), slot)).toBe(expected);
  });

  it('keeps the 1-hour cache lifetime and threshold+tier prices in metadata, not as tiers', () => {
    const sonnet = mapped('claude-sonnet-4-5');
    expect(sonnet.litellm).toMatchObject({
      cache_creation_input_token_cost_above_1hr: 0.000006,
      cache_creation_input_token_cost_above_1hr_above_200k_tokens: 0.000012,
    });
    expect(sonnet.pricing.some((p) => p.tier?.includes('1hr'))).toBe(false);
    const gemini = mapped('gemini-3-pro-preview');
    expect(gemini.litellm).toHaveProperty('input_cost_per_token_above_200k_tokens_priority', 0.0000072);
    expect(priceOf(gemini, 'input/text/token/above_200k')).toBe('0.000004');
    expect(priceOf(gemini, 'input/text/token/priority')).toBe('0.0000036');
    expect(mapped('deepseek-v4-flash').litellm).toHaveProperty('input_cost_per_token_cache_hit');
  });

  it('takes the limits, capabilities and provider, keeping no mapped price in metadata', () => {
    const sut = mapped('gpt-4o-mini');
    expect(sut).toMatchObject({ litellmProvider: 'openai', contextWindow: 128000, maxOutputTokens: 16384 });
    expect(sut.capabilities).toEqual(expect.arrayContaining(['chat', 'function_calling', 'vision']));
    expect(Object.keys(sut.litellm).filter((k) => k in LITELLM_PRICE_MAP)).toEqual([]);
    expect(sut.litellm).toHaveProperty('supports_prompt_caching', true);
  });

  it.each([
    ['not an object', 'x', 'invalid_entry'],
    ['a negative price', { input_cost_per_token: -1 }, 'invalid_price'],
    ['a string price', { input_cost_per_token: '0.1' }, 'invalid_price'],
  ])('refuses an entry with %s', (_what, entry, problem) => {
    expect(mapCatalogEntry('m', entry)).toBe(problem);
  });

  it('reports price-like keys on neither list and keeps them in metadata', () => {
    const sut = mapCatalogEntry('m', { input_cost_per_token: 1e-6, output_cost_per_hologram: 3 }) as CatalogModel;
    expect(sut.unknownPriceKeys).toEqual(['output_cost_per_hologram']);
    expect(sut.litellm).toEqual({ output_cost_per_hologram: 3 });
  });
});

describe('providerTypeOf', () => {
  it.each([
    ['openai', 'openai'],
    ['text-completion-openai', 'openai'],
    ['azure', 'azure-openai'],
    ['anthropic', 'anthropic'],
    ['vertex_ai-language-models', 'vertex-ai'],
    ['vertex_ai-embedding-models', 'vertex-ai'],
    ['vertex_ai', 'vertex-ai'],
    ['bedrock', 'bedrock'],
    ['bedrock_converse', 'bedrock'],
    ['gemini', null],
    ['deepseek', null],
    ['xai', null],
  ])('%s → %s', (litellm, type) => {
    expect(providerTypeOf(litellm)).toBe(type);
  });
});
