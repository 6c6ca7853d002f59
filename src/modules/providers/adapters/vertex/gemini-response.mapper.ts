import type { Usage } from '#src/modules/calls/usage';
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject, openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';
import { newToolCallId } from '#src/modules/providers/adapters/vertex/tool-call-id.codec';

export type OpenAiFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/**
 * Gemini `finishReason` → OpenAI's. A candidate that called functions ends with STOP in Gemini and
 * `tool_calls` in OpenAI. Anything else (OTHER, MALFORMED_FUNCTION_CALL, LANGUAGE, ...) counts as `stop`.
 */
export function finishReason(reason: unknown, calledTools: boolean): OpenAiFinishReason | null {
  if (typeof reason !== 'string' || reason === '') return null;
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

/**
 * `usageMetadata` → OpenAI semantics: prompt includes the cached tokens (Vertex counts them in
 * promptTokenCount already) and tool-use prompt tokens; completion includes the thinking tokens, which
 * Vertex counts apart from candidatesTokenCount.
 */
export function geminiUsage(meta: unknown): Usage | null {
  if (!isObject(meta) || typeof meta.promptTokenCount !== 'number') return null;
  const n = (v: unknown): number => (typeof v === 'number' && v > 0 ? Math.floor(v) : 0);
  const thoughts = n(meta.thoughtsTokenCount);
  return {
    promptTokens: n(meta.promptTokenCount) + n(meta.toolUsePromptTokenCount),
    completionTokens: n(meta.candidatesTokenCount) + thoughts,
    cacheReadTokens: n(meta.cachedContentTokenCount),
    cacheWriteTokens: 0,
    reasoningTokens: thoughts,
  };
}

export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The visible text and the function calls of a candidate's parts; thought summaries are not part of the answer. */
export function readParts(candidate: JsonObject): { text: string; toolCalls: OpenAiToolCall[] } {
  const content = isObject(candidate.content) ? candidate.content : {};
  const parts = Array.isArray(content.parts) ? (content.parts as JsonObject[]) : [];
  let text = '';
  const toolCalls: OpenAiToolCall[] = [];
  for (const part of parts) {
    if (part.thought === true) continue;
    if (typeof part.text === 'string') text += part.text;
    if (isObject(part.functionCall)) {
      const call = part.functionCall;
      const signature = typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined;
      toolCalls.push({
        id: newToolCallId(signature),
        type: 'function',
        function: { name: typeof call.name === 'string' ? call.name : '', arguments: JSON.stringify(call.args ?? {}) },
      });
    }
  }
  return { text, toolCalls };
}

export function completionId(res: JsonObject): string {
  return `chatcmpl-${typeof res.responseId === 'string' ? res.responseId : randomUUID()}`;
}

export function createdAt(res: JsonObject): number {
  const t = typeof res.createTime === 'string' ? Date.parse(res.createTime) : NaN;
  return Math.floor((Number.isNaN(t) ? Date.now() : t) / 1000);
}

/** A `generateContent` response → OpenAI `chat.completion`. A blocked prompt is one empty, filtered choice. */
export function toChatCompletion(res: JsonObject, model: string): { body: JsonObject; usage: Usage | null } {
  const candidates = Array.isArray(res.candidates) ? (res.candidates as JsonObject[]) : [];
  const choices = candidates.map((c, i) => {
    const { text, toolCalls } = readParts(c);
    return {
      index: typeof c.index === 'number' ? c.index : i,
      message: {
        role: 'assistant',
        content: text === '' && toolCalls.length > 0 ? null : text || null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        refusal: null,
      },
      logprobs: null,
      finish_reason: finishReason(c.finishReason, toolCalls.length > 0) ?? 'stop',
    };
  });
  if (choices.length === 0) {
    choices.push({
      index: 0,
      message: { role: 'assistant', content: null, refusal: null },
      logprobs: null,
      finish_reason: 'content_filter',
    });
  }
  const usage = geminiUsage(res.usageMetadata);
  const body: JsonObject = {
    id: completionId(res),
    object: 'chat.completion',
    created: createdAt(res),
    model: typeof res.modelVersion === 'string' ? res.modelVersion : model,
    choices,
    ...(usage ? { usage: openAiUsage(usage) } : {}),
  };
  return { body, usage };
}
