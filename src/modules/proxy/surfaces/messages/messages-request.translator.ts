import { typed } from '#src/modules/proxy/request-body';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';
import { positiveInt, requireModel } from '#src/modules/proxy/request-body';
import { systemMessage, turnsToMessages } from '#src/modules/proxy/surfaces/messages/messages-content.translator';
import { translateTools } from '#src/modules/proxy/surfaces/messages/messages-tools.translator';

export interface MessagesTranslation {
  /** An OpenAI chat completions request body. */
  chat: JsonObject;
  /** The server and built-in tools left out (by name, else type), for `x-gateway-dropped-tools`. */
  droppedTools: string[];
}

/** `thinking.budget_tokens` from which a budget reads as medium, then high, reasoning effort. */
export const MEDIUM_THINKING_BUDGET = 4096;
export const HIGH_THINKING_BUDGET = 16384;

const THINKING_TYPES = new Set(['enabled', 'disabled', 'adaptive', 'between_tools']);

/** `output_config.effort` → `reasoning_effort`; chat's scale ends at high. */
const EFFORTS: Record<string, string> = { low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'high' };

function maxTokens(body: JsonObject): number {
  const v = positiveInt(body, 'max_tokens');
  if (v === null) {
    throw new ProxyException(
      ProxyErrorCode.MissingParameter,
      "Missing required parameter: 'max_tokens'.",
      'max_tokens',
    );
  }
  return v;
}

function stopSequences(body: JsonObject): string[] | undefined {
  const v = body.stop_sequences;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw new ProxyException(
      ProxyErrorCode.InvalidType,
      "'stop_sequences' must be an array of strings.",
      'stop_sequences',
    );
  }
  return v.length > 0 ? v : undefined;
}

/** `thinking` → a reasoning effort: an explicit budget picks one; adaptive and disabled leave the default. */
function thinkingEffort(body: JsonObject): string | undefined {
  const thinking = typed(body, 'thinking', 'object') as JsonObject | undefined;
  if (!thinking) return undefined;
  if (typeof thinking.type !== 'string' || !THINKING_TYPES.has(thinking.type)) {
    throw ProxyException.invalidValue(
      'thinking.type',
      "'thinking.type' must be enabled, disabled, adaptive or between_tools.",
    );
  }
  if (thinking.type !== 'enabled') return undefined;
  const budget = thinking.budget_tokens;
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1) {
    throw ProxyException.invalidValue('thinking.budget_tokens', "'thinking.budget_tokens' must be a positive integer.");
  }
  if (budget < MEDIUM_THINKING_BUDGET) return 'low';
  return budget < HIGH_THINKING_BUDGET ? 'medium' : 'high';
}

/**
 * `output_config`: `effort` (the newer, explicit knob, so it wins over a thinking budget) → reasoning
 * effort; a `json_schema` format → `response_format`, since dropping it would change the answer's shape.
 */
function applyOutputConfig(body: JsonObject, chat: JsonObject): void {
  const config = typed(body, 'output_config', 'object') as JsonObject | undefined;
  if (!config) return;
  if (config.effort !== undefined && config.effort !== null) {
    const effort = typeof config.effort === 'string' ? EFFORTS[config.effort] : undefined;
    if (!effort) {
      throw ProxyException.invalidValue(
        'output_config.effort',
        "'output_config.effort' must be low, medium, high, xhigh or max.",
      );
    }
    chat.reasoning_effort = effort;
  }
  const format = config.format;
  if (format === undefined || format === null) return;
  if (!isObject(format) || format.type !== 'json_schema' || !isObject(format.schema)) {
    throw ProxyException.invalidValue(
      'output_config.format',
      "'output_config.format' must be {type: 'json_schema', schema}.",
    );
  }
  chat.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
}

/** Sampling and the end user, under their chat names. `top_k` has no chat equivalent and is dropped. */
function applyParameters(body: JsonObject, chat: JsonObject): void {
  const stop = stopSequences(body);
  if (stop) chat.stop = stop;
  for (const field of ['temperature', 'top_p'] as const) {
    const v = typed(body, field, 'number');
    if (v !== undefined) chat[field] = v;
  }
  const metadata = typed(body, 'metadata', 'object') as JsonObject | undefined;
  if (typeof metadata?.user_id === 'string' && metadata.user_id !== '') chat.user = metadata.user_id;
  const effort = thinkingEffort(body);
  if (effort) chat.reasoning_effort = effort;
  applyOutputConfig(body, chat);
}

/**
 * An Anthropic Messages request → an OpenAI chat completions request, for models served through chat
 * (SPEC §12). Anthropic-side features (`service_tier`, `container`, `mcp_servers`, `context_management`,
 * `cache_control` breakpoints) are not forwarded; server and built-in tools are dropped and named.
 */
export function messagesToChat(body: JsonObject): MessagesTranslation {
  const chat: JsonObject = { model: requireModel(body) };
  chat.max_completion_tokens = maxTokens(body);
  const system = systemMessage(body.system);
  chat.messages = [...(system ? [system] : []), ...turnsToMessages(body.messages)];
  const tools = translateTools(body.tools, body.tool_choice);
  if (tools.tools.length > 0) {
    chat.tools = tools.tools;
    if (tools.toolChoice !== undefined) chat.tool_choice = tools.toolChoice;
    if (tools.parallelToolCalls !== undefined) chat.parallel_tool_calls = tools.parallelToolCalls;
  }
  applyParameters(body, chat);
  if (typed(body, 'stream', 'boolean') === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return { chat, droppedTools: tools.dropped };
}
