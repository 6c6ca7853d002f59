import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import { NotTranslatableError } from '#src/modules/providers/adapters/anthropic/anthropic-error.mapper';
import { translateMessages } from '#src/modules/providers/adapters/anthropic/anthropic-messages.mapper';
import type { JsonObject } from '#src/modules/providers/provider-adapter';

/**
 * Anthropic requires `max_tokens`; OpenAI does not. 4096 is what the gateway reserves by default
 * (BUDGET_DEFAULT_OUTPUT_TOKENS) and fits every current Claude model's output limit.
 */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** The forced tool that carries a `json_object` answer (LiteLLM's name, so traces look familiar). */
export const JSON_OBJECT_TOOL = 'json_tool_call';

export interface AnthropicRequest {
  body: JsonObject;
  /** The answer arrives as a call of JSON_OBJECT_TOOL and must be turned back into message content. */
  jsonObjectTool: boolean;
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** OpenAI parameters Anthropic has no equivalent for and whose absence would change the answer's shape. */
const REFUSED: { param: string; refuse: (v: unknown) => boolean; message: string }[] = [
  {
    param: 'n',
    refuse: (v) => present(v) && v !== 1,
    message: "Anthropic models return one choice per request: 'n' must be 1.",
  },
  { param: 'logprobs', refuse: (v) => v === true, message: 'Anthropic models do not return log probabilities.' },
  {
    param: 'top_logprobs',
    refuse: (v) => present(v) && v !== 0,
    message: 'Anthropic models do not return log probabilities.',
  },
  { param: 'functions', refuse: present, message: "Legacy 'functions' are not translated; use 'tools'." },
  { param: 'function_call', refuse: present, message: "Legacy 'function_call' is not translated; use 'tool_choice'." },
  { param: 'audio', refuse: present, message: 'Anthropic models do not produce audio.' },
  {
    param: 'modalities',
    refuse: (v) => Array.isArray(v) && v.some((m) => m !== 'text'),
    message: 'Anthropic models produce text only.',
  },
];

function refuseUnsupported(body: JsonObject): void {
  for (const r of REFUSED) if (r.refuse(body[r.param])) throw new NotTranslatableError(r.param, r.message);
}

function translateTools(tools: unknown): JsonObject[] {
  if (!present(tools)) return [];
  if (!Array.isArray(tools)) throw new NotTranslatableError('tools', "'tools' must be an array.", 'invalid_value');
  return tools.map((tool, i) => {
    const fn = isObject(tool) && isObject(tool.function) ? tool.function : null;
    if (!isObject(tool) || tool.type !== 'function' || !fn || typeof fn.name !== 'string') {
      throw new NotTranslatableError(
        `tools[${i}]`,
        'Only function tools with a name are supported by Anthropic models.',
        'unsupported_value',
      );
    }
    const out: JsonObject = {
      name: fn.name,
      input_schema: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    };
    if (typeof fn.description === 'string') out.description = fn.description;
    if (isObject(tool.cache_control)) out.cache_control = tool.cache_control;
    return out;
  });
}

function translateToolChoice(choice: unknown, parallel: unknown): JsonObject | undefined {
  let out: JsonObject | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'none') out = { type: 'none' };
  else if (choice === 'required') out = { type: 'any' };
  else if (isObject(choice) && choice.type === 'function' && isObject(choice.function)) {
    out = { type: 'tool', name: choice.function.name };
  } else if (present(choice)) {
    throw new NotTranslatableError(
      'tool_choice',
      "'tool_choice' is not one Anthropic can honour.",
      'unsupported_value',
    );
  }
  // Anthropic puts the parallel switch on tool_choice, and it has no meaning for 'none'
  if (parallel === false && out?.type !== 'none')
    out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}

/**
 * `response_format`: json_schema → Anthropic structured outputs (`output_config.format`, constrained
 * decoding, answered as text); json_object has no native equivalent, so it becomes a forced tool whose
 * input is the JSON answer (LiteLLM's approach), which cannot be combined with the client's own tools.
 */
function applyResponseFormat(body: JsonObject, out: JsonObject, tools: JsonObject[]): boolean {
  const format = body.response_format;
  if (!present(format) || (isObject(format) && format.type === 'text')) return false;
  if (isObject(format) && format.type === 'json_schema') {
    const schema = isObject(format.json_schema) ? format.json_schema.schema : undefined;
    if (!isObject(schema)) {
      throw new NotTranslatableError(
        'response_format.json_schema.schema',
        'A JSON schema is required.',
        'invalid_value',
      );
    }
    out.output_config = { format: { type: 'json_schema', schema } };
    return false;
  }
  if (isObject(format) && format.type === 'json_object') {
    if (tools.length > 0) {
      throw new NotTranslatableError(
        'response_format',
        "Anthropic models cannot combine 'json_object' with tools; use a 'json_schema' response format.",
        'unsupported_value',
      );
    }
    out.tools = [
      {
        name: JSON_OBJECT_TOOL,
        description: 'Respond with a JSON object.',
        input_schema: { type: 'object', additionalProperties: true, properties: {} },
      },
    ];
    out.tool_choice = { type: 'tool', name: JSON_OBJECT_TOOL };
    return true;
  }
  throw new NotTranslatableError('response_format', "This 'response_format' is not supported.", 'unsupported_value');
}

function applySampling(body: JsonObject, out: JsonObject): void {
  // ranges differ (OpenAI temperature 0–2, Anthropic 0–1): Anthropic's own 400 explains a value it refuses
  for (const key of ['temperature', 'top_p', 'top_k'] as const) if (present(body[key])) out[key] = body[key];
  const stop = body.stop;
  if (typeof stop === 'string') out.stop_sequences = [stop];
  else if (Array.isArray(stop) && stop.length > 0) out.stop_sequences = stop;
  if (typeof body.user === 'string' && body.user !== '') out.metadata = { user_id: body.user };
}

/**
 * The client's OpenAI chat request → an Anthropic Messages request. Parameters that only tune sampling
 * or OpenAI-side features (penalties, logit_bias, seed, service_tier, store, metadata, reasoning_effort,
 * prediction, ...) are dropped; the ones in REFUSED throw NotTranslatableError.
 */
export function toAnthropicRequest(body: JsonObject, model: string, defaultMaxTokens: number): AnthropicRequest {
  refuseUnsupported(body);
  const { system, messages } = translateMessages(Array.isArray(body.messages) ? body.messages : []);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens;
  const out: JsonObject = { model, max_tokens: maxTokens, messages };
  if (system.length > 0) out.system = system;
  applySampling(body, out);
  const tools = translateTools(body.tools);
  const jsonObjectTool = applyResponseFormat(body, out, tools);
  if (tools.length > 0) {
    out.tools = tools;
    const choice = translateToolChoice(body.tool_choice, body.parallel_tool_calls);
    if (choice) out.tool_choice = choice;
  }
  return { body: out, jsonObjectTool };
}
