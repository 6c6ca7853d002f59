/**
 * The token usage of one call: the one usage type from the adapter that reads it off the provider's answer,
 * through pricing, to the billing job and the audit record. OpenAI's semantics whatever the provider:
 * `promptTokens` includes the cached tokens read and written, `completionTokens` includes reasoning.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** The provider's own cost figure when it reports one (USD, decimal string); used when a model has no price. */
  providerCostUsd?: string;
  /** Counted by the gateway (o200k_base) because the provider reported none. */
  estimated?: boolean;
}

export const ZERO_USAGE: Usage = {
  promptTokens: 0,
  completionTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};
