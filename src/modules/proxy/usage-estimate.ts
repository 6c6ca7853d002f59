import type { Usage } from '#src/modules/calls/usage';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { countTextTokens, measureChatPrompt, measureEmbeddingsInput } from '#src/modules/providers/token-estimator';

/**
 * Usage the gateway counts itself (o200k_base via gpt-tokenizer) when a provider reports none: a stream
 * that ended without a usage chunk, a broken stream, a call the client abandoned. Marked `estimated`.
 */
export function estimateChatUsage(body: JsonObject, generatedText: string): Usage {
  const prompt = measureChatPrompt(body);
  return {
    promptTokens: prompt.textTokens + prompt.messages * 4 + 3,
    completionTokens: countTextTokens(generatedText),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    estimated: true,
  };
}

export function estimateEmbeddingsUsage(body: JsonObject): Usage {
  return {
    promptTokens: measureEmbeddingsInput(body.input),
    completionTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    estimated: true,
  };
}

/** The generated text of a non-streamed chat.completion (content and tool-call arguments of every choice). */
export function completionText(body: JsonObject): string {
  if (!Array.isArray(body.choices)) return '';
  return (body.choices as JsonObject[])
    .map((c) => {
      const m = (c.message ?? {}) as JsonObject;
      const tools = Array.isArray(m.tool_calls)
        ? (m.tool_calls as JsonObject[])
            .map((t) => JSON.stringify((t.function as JsonObject | undefined) ?? {}))
            .join('')
        : '';
      return (typeof m.content === 'string' ? m.content : '') + tools;
    })
    .join('');
}
