import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { chatPromptUpperBound, type UpperBoundFactors } from '#src/modules/providers/token-estimator';

export interface AnthropicPromptBound extends UpperBoundFactors {
  /** Tokens of the system prompt Anthropic adds when a request carries tools. */
  toolSystemPrompt: number;
}

/**
 * Defaults of the budget's prompt upper bound (docs/providers/anthropic.md, "Prompt upper bound"):
 * - text: Claude's tokenizer needs up to ~30% more tokens than o200k_base for the same text (code is the
 *   worst case measured for Claude 3.x/4.x), and the tokenizer of Claude Opus 4.7 and later up to 35% more
 *   again, so 1.3 × 1.35 ≈ 1.76, rounded up to 1.8;
 * - images: width × height / 750 tokens, and Anthropic downsizes anything above ~1,600 tokens;
 * - tools: the largest tool-use system prompt in Anthropic's pricing table (Claude 3 Opus, 530 tokens).
 */
export const ANTHROPIC_PROMPT_BOUND: AnthropicPromptBound = { textFactor: 1.8, perImage: 1600, toolSystemPrompt: 530 };

export interface AnthropicSettings {
  defaultMaxTokens: number;
  bound: AnthropicPromptBound;
}

function positive(config: Record<string, unknown>, key: string, integer: boolean): number | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`config.${key} must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return v;
}

/**
 * The provider's `config`: `default_max_tokens` (sent when the client gives no output limit),
 * `prompt_text_factor` and `prompt_image_tokens` (override the bound above, e.g. for high-resolution images
 * on models that accept them). A bad value stops the provider from loading, with the reason in the log.
 */
export function readAnthropicSettings(config: Record<string, unknown>, defaultMaxTokens: number): AnthropicSettings {
  const factor = positive(config, 'prompt_text_factor', false);
  if (factor !== undefined && factor < 1) throw new Error('config.prompt_text_factor must be at least 1');
  return {
    defaultMaxTokens: positive(config, 'default_max_tokens', true) ?? defaultMaxTokens,
    bound: {
      ...ANTHROPIC_PROMPT_BOUND,
      textFactor: factor ?? ANTHROPIC_PROMPT_BOUND.textFactor,
      perImage: positive(config, 'prompt_image_tokens', true) ?? ANTHROPIC_PROMPT_BOUND.perImage,
    },
  };
}

/**
 * o200k text tokens × a factor covering Claude's tokenizers, plus per-message and per-image bounds, plus the
 * system prompt Anthropic adds when tools are present (docs/providers/anthropic.md explains the numbers).
 */
export function claudePromptUpperBound(body: JsonObject, bound: AnthropicPromptBound): number {
  const usesTools =
    (Array.isArray(body.tools) && body.tools.length > 0) ||
    (body.response_format as JsonObject | undefined)?.type === 'json_object';
  return chatPromptUpperBound(body, bound) + (usesTools ? bound.toolSystemPrompt : 0);
}
