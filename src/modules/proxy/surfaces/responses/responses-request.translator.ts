import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import { ProxyException } from '#src/modules/proxy/proxy.exception';
import { requireModel, typed } from '#src/modules/proxy/request-body';
import { inputToMessages } from '#src/modules/proxy/surfaces/responses/responses-input.translator';
import { translateTools } from '#src/modules/proxy/surfaces/responses/responses-tools.translator';

export interface ResponsesTranslation {
  /** An OpenAI chat completions request body. */
  chat: JsonObject;
  /** The built-in tools left out (by name, else type), for `x-gateway-dropped-tools`. */
  droppedTools: string[];
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** Parameters that need state kept by OpenAI (stored responses, conversations, prompts): chat has none. */
const STATEFUL: { param: string; isSet: (v: unknown) => boolean; what: string }[] = [
  { param: 'previous_response_id', isSet: present, what: 'continuing a stored response' },
  { param: 'store', isSet: (v) => v === true, what: 'storing responses' },
  { param: 'background', isSet: (v) => v === true, what: 'background responses' },
  { param: 'conversation', isSet: present, what: 'conversations' },
  { param: 'prompt', isSet: present, what: 'stored prompts' },
];

function refuseStateful(body: JsonObject): void {
  for (const { param, isSet, what } of STATEFUL) {
    if (isSet(body[param])) {
      throw ProxyException.unsupportedParameter(
        param,
        `'${param}' is not supported for this model: it is served through chat completions, which have no ${what}.`,
      );
    }
  }
}

function positiveInt(body: JsonObject, field: string): number | undefined {
  const v = typed(body, field, 'number') as number | undefined;
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
    throw ProxyException.invalidValue(field, `'${field}' must be a positive integer.`);
  }
  return v;
}

/** `text.format` → `response_format` (a `text` format is chat's default and sends nothing). */
function responseFormat(text: JsonObject | undefined): JsonObject | undefined {
  const format = text?.format;
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) throw ProxyException.invalidValue('text.format', "'text.format' must be an object.");
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      if (typeof format.name !== 'string' || format.name === '')
        throw ProxyException.invalidValue('text.format.name', "'text.format.name' must be a non-empty string.");
      if (!isObject(format.schema))
        throw ProxyException.invalidValue('text.format.schema', "'text.format.schema' must be an object.");
      const schema: JsonObject = { name: format.name, schema: format.schema };
      if (typeof format.strict === 'boolean') schema.strict = format.strict;
      if (typeof format.description === 'string') schema.description = format.description;
      return { type: 'json_schema', json_schema: schema };
    }
    default:
      throw ProxyException.invalidValue(
        'text.format.type',
        "'text.format.type' must be text, json_object or json_schema.",
      );
  }
}

/** Sampling, limits and tiers, copied under their chat names when set. */
function applyParameters(body: JsonObject, chat: JsonObject): void {
  const maxOutput = positiveInt(body, 'max_output_tokens');
  if (maxOutput !== undefined) chat.max_completion_tokens = maxOutput;
  for (const field of ['temperature', 'top_p'] as const) {
    const v = typed(body, field, 'number');
    if (v !== undefined) chat[field] = v;
  }
  for (const field of ['user', 'service_tier'] as const) {
    const v = typed(body, field, 'string');
    if (v !== undefined) chat[field] = v;
  }
  const topLogprobs = typed(body, 'top_logprobs', 'number') as number | undefined;
  const include = Array.isArray(body.include) ? body.include : [];
  // Responses returns logprobs when `include` asks for them; `top_logprobs` alone also asks in chat terms
  if (include.includes('message.output_text.logprobs') || (topLogprobs ?? 0) > 0) chat.logprobs = true;
  if (topLogprobs !== undefined && chat.logprobs === true) chat.top_logprobs = topLogprobs;
  const reasoning = typed(body, 'reasoning', 'object') as JsonObject | undefined;
  if (typeof reasoning?.effort === 'string') chat.reasoning_effort = reasoning.effort;
  const format = responseFormat(typed(body, 'text', 'object') as JsonObject | undefined);
  if (format) chat.response_format = format;
}

/**
 * A Responses API request → an OpenAI chat completions request, for models served through chat (SPEC §12).
 * Parameters that only tune OpenAI-side behaviour (`include`, `prompt_cache_key`, `safety_identifier`,
 * `truncation`, `metadata`, `stream_options`, `store: false`) are not forwarded; stateful ones are refused.
 */
export function responsesToChat(body: JsonObject, opts: { strict: boolean }): ResponsesTranslation {
  refuseStateful(body);
  const chat: JsonObject = { model: requireModel(body) };
  chat.messages = inputToMessages(body.input, body.instructions);
  const tools = translateTools(body.tools, body.tool_choice, opts.strict);
  const parallel = typed(body, 'parallel_tool_calls', 'boolean');
  if (tools.tools.length > 0) {
    chat.tools = tools.tools;
    if (tools.toolChoice !== undefined) chat.tool_choice = tools.toolChoice;
    // chat refuses parallel_tool_calls without tools
    if (parallel !== undefined) chat.parallel_tool_calls = parallel;
  }
  applyParameters(body, chat);
  if (typed(body, 'stream', 'boolean') === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return { chat, droppedTools: tools.dropped };
}
