import type { ProviderType } from '#src/modules/providers/provider.entity';
import type { PriceDirection, PriceModality, PriceUnit } from '#src/modules/models/pricing-component.entity';

export interface MappedComponent {
  direction: PriceDirection;
  modality: PriceModality;
  unit: PriceUnit;
  tier: string;
}

const c = (direction: PriceDirection, modality: PriceModality, unit: PriceUnit, tier = 'default'): MappedComponent => ({
  direction,
  modality,
  unit,
  tier,
});

/**
 * Every LiteLLM price key the importer turns into a pricing component (SPEC §6). Written out key by key on
 * purpose: a new key in the catalog must be placed here or on the metadata list by a person, never guessed.
 * `_above_<N>k_tokens` is a prompt-size threshold tier, `_priority` / `_flex` / `_batches` service tiers.
 * When two keys of one entry land on the same component, the one listed first wins and the other is kept
 * in metadata (e.g. `input_cost_per_second` vs `input_cost_per_audio_per_second`).
 */
export const LITELLM_PRICE_MAP: Readonly<Record<string, MappedComponent>> = {
  // text tokens, default tier
  input_cost_per_token: c('input', 'text', 'token'),
  output_cost_per_token: c('output', 'text', 'token'),
  cache_read_input_token_cost: c('cache_read', 'text', 'token'),
  cache_creation_input_token_cost: c('cache_write', 'text', 'token'),
  output_cost_per_reasoning_token: c('reasoning', 'text', 'token'),
  // prompt-size threshold tiers
  input_cost_per_token_above_128k_tokens: c('input', 'text', 'token', 'above_128k'),
  output_cost_per_token_above_128k_tokens: c('output', 'text', 'token', 'above_128k'),
  input_cost_per_token_above_200k_tokens: c('input', 'text', 'token', 'above_200k'),
  output_cost_per_token_above_200k_tokens: c('output', 'text', 'token', 'above_200k'),
  cache_read_input_token_cost_above_200k_tokens: c('cache_read', 'text', 'token', 'above_200k'),
  cache_creation_input_token_cost_above_200k_tokens: c('cache_write', 'text', 'token', 'above_200k'),
  input_cost_per_token_above_272k_tokens: c('input', 'text', 'token', 'above_272k'),
  output_cost_per_token_above_272k_tokens: c('output', 'text', 'token', 'above_272k'),
  cache_read_input_token_cost_above_272k_tokens: c('cache_read', 'text', 'token', 'above_272k'),
  cache_creation_input_token_cost_above_272k_tokens: c('cache_write', 'text', 'token', 'above_272k'),
  // service tiers
  input_cost_per_token_priority: c('input', 'text', 'token', 'priority'),
  output_cost_per_token_priority: c('output', 'text', 'token', 'priority'),
  cache_read_input_token_cost_priority: c('cache_read', 'text', 'token', 'priority'),
  cache_creation_input_token_cost_priority: c('cache_write', 'text', 'token', 'priority'),
  input_cost_per_audio_token_priority: c('input', 'audio', 'token', 'priority'),
  input_cost_per_token_flex: c('input', 'text', 'token', 'flex'),
  output_cost_per_token_flex: c('output', 'text', 'token', 'flex'),
  cache_read_input_token_cost_flex: c('cache_read', 'text', 'token', 'flex'),
  cache_creation_input_token_cost_flex: c('cache_write', 'text', 'token', 'flex'),
  input_cost_per_token_batches: c('input', 'text', 'token', 'batch'),
  output_cost_per_token_batches: c('output', 'text', 'token', 'batch'),
  // audio
  input_cost_per_audio_token: c('input', 'audio', 'token'),
  output_cost_per_audio_token: c('output', 'audio', 'token'),
  cache_read_input_audio_token_cost: c('cache_read', 'audio', 'token'),
  cache_creation_input_audio_token_cost: c('cache_write', 'audio', 'token'),
  input_cost_per_audio_per_second: c('input', 'audio', 'second'),
  output_cost_per_audio_per_second: c('output', 'audio', 'second'),
  // duration-billed models (transcription, speech): LiteLLM's plain per-second keys price audio
  input_cost_per_second: c('input', 'audio', 'second'),
  output_cost_per_second: c('output', 'audio', 'second'),
  // images
  input_cost_per_image_token: c('input', 'image', 'token'),
  output_cost_per_image_token: c('output', 'image', 'token'),
  input_cost_per_image: c('input', 'image', 'image'),
  output_cost_per_image: c('output', 'image', 'image'),
  input_cost_per_pixel: c('input', 'image', 'pixel'),
  output_cost_per_pixel: c('output', 'image', 'pixel'),
  // video
  input_cost_per_video_per_second: c('input', 'video', 'second'),
  output_cost_per_video_per_second: c('output', 'video', 'second'),
  output_cost_per_video_token: c('output', 'video', 'token'),
  // characters (speech synthesis, older Vertex models)
  input_cost_per_character: c('input', 'text', 'character'),
  output_cost_per_character: c('output', 'text', 'character'),
  input_cost_per_character_above_128k_tokens: c('input', 'text', 'character', 'above_128k'),
  output_cost_per_character_above_128k_tokens: c('output', 'text', 'character', 'above_128k'),
  // per call (rerank, search)
  input_cost_per_request: c('input', 'text', 'request'),
  input_cost_per_query: c('input', 'text', 'request'),
};

/**
 * Price-related keys that have no component of their own and are kept verbatim in the model's
 * `metadata.litellm`, each with the reason.
 */
export const LITELLM_METADATA_PRICE_KEYS: Readonly<Record<string, string>> = {
  cache_creation_input_token_cost_above_1hr:
    'cache write with a 1-hour lifetime: a cache lifetime, not a prompt threshold',
  cache_creation_input_token_cost_above_1hr_above_200k_tokens: '1-hour cache write above 200k: lifetime and threshold',
  input_cost_per_token_above_200k_tokens_priority: 'threshold and service tier at once: one tier per component',
  output_cost_per_token_above_200k_tokens_priority: 'threshold and service tier at once: one tier per component',
  cache_read_input_token_cost_above_200k_tokens_priority: 'threshold and service tier at once: one tier per component',
  input_cost_per_token_cache_hit: "DeepSeek's older name of cache_read_input_token_cost (which is mapped)",
  search_context_cost_per_query: 'web search price per query by context size (no usage field carries it yet)',
  web_search_billing_unit: 'how web search is billed',
  regional_processing_uplift_multiplier_eu: 'multiplier for EU regional processing',
  regional_processing_uplift_multiplier_us: 'multiplier for US regional processing',
  provider_specific_entry: 'multipliers for provider-specific modes (fast mode, US-only inference)',
  input_cost_per_video_per_second_above_128k_tokens: 'video threshold pricing (no video usage yet)',
  input_cost_per_audio_per_second_above_128k_tokens: 'audio threshold pricing (no audio-duration usage yet)',
  input_cost_per_image_above_128k_tokens: 'image threshold pricing',
  input_cost_per_token_batch_requests: 'older name of the batch price',
  input_dbu_cost_per_token: 'Databricks units, not USD',
  output_dbu_cost_per_token: 'Databricks units, not USD',
  output_db_cost_per_token: 'Databricks units, not USD',
  file_search_cost_per_1k_calls: 'tool price per 1000 calls',
  file_search_cost_per_gb_per_day: 'storage price',
  vector_store_cost_per_gb_per_day: 'storage price',
  code_interpreter_cost_per_session: 'tool price per session',
  computer_use_input_cost_per_1k_tokens: 'tool token price',
  computer_use_output_cost_per_1k_tokens: 'tool token price',
  ocr_cost_per_page: 'price per page',
  annotation_cost_per_page: 'price per page',
  citation_cost_per_token: 'citation tokens',
  tiered_pricing: 'a list of tiers in another shape',
};

/**
 * A key is price-like when its name says so; used to flag unknown price keys of a newer catalog (they are
 * kept in metadata and reported) and by the coverage test.
 */
export const PRICE_LIKE_KEY = /cost|price|pricing|billing|multiplier|provider_specific_entry/;

/**
 * LiteLLM's `litellm_provider` values → the gateway's provider types. Entries of other providers (gemini via
 * AI Studio, deepseek, xai, ...) match no provider type and are imported only as price-only models.
 */
export function providerTypeOf(litellmProvider: string): ProviderType | null {
  if (litellmProvider === 'openai' || litellmProvider === 'text-completion-openai') return 'openai';
  if (litellmProvider === 'azure' || litellmProvider === 'azure_text') return 'azure-openai';
  if (litellmProvider === 'anthropic') return 'anthropic';
  if (litellmProvider === 'vertex_ai' || litellmProvider.startsWith('vertex_ai-')) return 'vertex-ai';
  if (litellmProvider === 'bedrock' || litellmProvider === 'bedrock_converse') return 'bedrock';
  return null;
}
