import type { Usage } from '#src/modules/calls/usage';
import { randomUUID } from 'node:crypto';
import type { ConverseResponse, TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';

export type OpenAiFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/**
 * Converse `stopReason` → OpenAI's: end_turn and stop_sequence → stop, max_tokens and
 * model_context_window_exceeded → length, tool_use → tool_calls, guardrail_intervened and content_filtered →
 * content_filter; the malformed_* reasons end the answer too (stop).
 */
const FINISH_REASONS: Record<string, OpenAiFinishReason> = {
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

export function finishReason(reason: string | undefined): OpenAiFinishReason {
  return (reason && FINISH_REASONS[reason]) || 'stop';
}

/** Converse `usage` → OpenAI semantics: the prompt counts uncached, cache-read and cache-written input tokens. */
export function converseUsage(u: TokenUsage | undefined): Usage | null {
  if (!u) return null;
  const n = (v: number | undefined): number => (typeof v === 'number' && v > 0 ? Math.floor(v) : 0);
  const cacheRead = n(u.cacheReadInputTokens);
  const cacheWrite = n(u.cacheWriteInputTokens);
  return {
    promptTokens: n(u.inputTokens) + cacheRead + cacheWrite,
    completionTokens: n(u.outputTokens),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: 0,
  };
}

export function completionId(requestId: string | undefined): string {
  return `chatcmpl-${requestId ?? randomUUID()}`;
}

/** A Converse answer → OpenAI `chat.completion`; reasoning text becomes `reasoning_content`, not content. */
export function toChatCompletion(
  out: ConverseResponse & { $metadata?: { requestId?: string } },
  model: string,
): {
  body: JsonObject;
  usage: Usage | null;
} {
  let text = '';
  let reasoning = '';
  const toolCalls: JsonObject[] = [];
  for (const block of out.output?.message?.content ?? []) {
    if (typeof block.text === 'string') text += block.text;
    if (typeof block.reasoningContent?.reasoningText?.text === 'string')
      reasoning += block.reasoningContent.reasoningText.text;
    if (block.toolUse) {
      toolCalls.push({
        id: block.toolUse.toolUseId,
        type: 'function',
        function: { name: block.toolUse.name, arguments: JSON.stringify(block.toolUse.input ?? {}) },
      });
    }
  }
  const usage = converseUsage(out.usage);
  const body: JsonObject = {
    id: completionId(out.$metadata?.requestId),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(reasoning !== '' ? { reasoning_content: reasoning } : {}),
          refusal: null,
        },
        logprobs: null,
        finish_reason: finishReason(out.stopReason),
      },
    ],
    ...(usage ? { usage: openAiUsage(usage) } : {}),
  };
  return { body, usage };
}
