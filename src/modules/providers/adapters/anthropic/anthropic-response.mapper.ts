import type { Usage } from '#src/modules/calls/usage';
import { JSON_OBJECT_TOOL } from '#src/modules/providers/adapters/anthropic/anthropic-request.mapper';
import { isObject, openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { ChatResult, JsonObject } from '#src/modules/providers/provider-adapter';

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/**
 * Anthropic `stop_reason` → OpenAI `finish_reason` (https://docs.anthropic.com/en/api/handling-stop-reasons).
 * pause_turn (a server tool paused a long turn) ends this answer normally, so it reads as `stop`.
 */
const FINISH_REASONS: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** With a json_object forced tool, the tool call *is* the answer, so `tool_use` finishes as `stop`. */
export function finishReason(stopReason: unknown, jsonObjectTool: boolean): string {
  const reason = typeof stopReason === 'string' ? (FINISH_REASONS[stopReason] ?? 'stop') : 'stop';
  return jsonObjectTool && reason === 'tool_calls' ? 'stop' : reason;
}

/**
 * Anthropic usage → OpenAI semantics (SPEC §6): Anthropic's `input_tokens` excludes cached tokens, OpenAI's
 * `prompt_tokens` includes them, so prompt = input + cache read + cache creation.
 */
export function usageFromAnthropic(usage: unknown): Usage | null {
  if (!isObject(usage)) return null;
  const read = count(usage.cache_read_input_tokens);
  const write = count(usage.cache_creation_input_tokens);
  const details = isObject(usage.output_tokens_details) ? usage.output_tokens_details : {};
  return {
    promptTokens: count(usage.input_tokens) + read + write,
    completionTokens: count(usage.output_tokens),
    cacheReadTokens: read,
    cacheWriteTokens: write,
    reasoningTokens: count(details.thinking_tokens),
  };
}

interface AssistantMessage {
  text: string;
  toolCalls: JsonObject[];
  /** The thinking blocks' text (the summarized thinking Claude 4 returns). */
  reasoning: string;
}

/**
 * Text blocks join into `content`; tool_use blocks become tool_calls; thinking text becomes `reasoning_content`
 * (the field DeepSeek, vLLM and others use in chat answers); redacted thinking and server-tool blocks are dropped.
 */
function readContent(content: unknown, jsonObjectTool: boolean): AssistantMessage {
  const out: AssistantMessage = { text: '', toolCalls: [], reasoning: '' };
  for (const block of Array.isArray(content) ? content : []) {
    if (!isObject(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') out.text += block.text;
    else if (block.type === 'thinking' && typeof block.thinking === 'string') out.reasoning += block.thinking;
    else if (block.type === 'tool_use' && jsonObjectTool && block.name === JSON_OBJECT_TOOL) {
      out.text += JSON.stringify(block.input ?? {});
    } else if (block.type === 'tool_use') {
      out.toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  return out;
}

/** An Anthropic `message` → an OpenAI `chat.completion`. */
export function toChatCompletion(message: JsonObject, jsonObjectTool: boolean): ChatResult {
  const { text, toolCalls, reasoning } = readContent(message.content, jsonObjectTool);
  const usage = usageFromAnthropic(message.usage);
  const assistant: JsonObject = {
    role: 'assistant',
    // OpenAI sends null content beside tool calls and a string otherwise
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
  if (reasoning !== '') assistant.reasoning_content = reasoning;
  const body: JsonObject = {
    id: message.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: message.model,
    choices: [
      {
        index: 0,
        message: assistant,
        logprobs: null,
        finish_reason: finishReason(message.stop_reason, jsonObjectTool),
      },
    ],
  };
  if (usage) body.usage = openAiUsage(usage, true);
  return { body, usage };
}
