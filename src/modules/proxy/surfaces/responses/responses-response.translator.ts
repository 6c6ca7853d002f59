import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';

export interface ResponseIds {
  /** The response id (`resp_…`); item ids derive from it. */
  id: string;
  /** Unix seconds. */
  createdAt: number;
}

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export type TextPart =
  { type: 'output_text'; text: string; logprobs: JsonObject[] } | { type: 'refusal'; text: string };

export interface FunctionCall {
  callId: string;
  name: string;
  arguments: string;
}

export interface ResponseState {
  status: 'in_progress' | 'completed' | 'incomplete';
  output: JsonObject[];
  usage: JsonObject | null;
  /** `max_output_tokens` or `content_filter` for an incomplete response. */
  incompleteReason: string | null;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Deterministic item ids (`rs_<id>_0`, `msg_<id>_1`, `fc_<id>_2`): a replayed answer gets the same ids. */
export function itemId(ids: ResponseIds, kind: 'rs' | 'msg' | 'fc', outputIndex: number): string {
  return `${kind}_${ids.id.replace(/^resp_/, '')}_${outputIndex}`;
}

/** Chat's `finish_reason` → the reason a Responses answer is incomplete, or null when it is complete. */
export function incompleteReason(finishReason: unknown): string | null {
  if (finishReason === 'length') return 'max_output_tokens';
  if (finishReason === 'content_filter') return 'content_filter';
  return null;
}

/** Chat `logprobs.content` entries → Responses logprobs (the same fields; chat may send `bytes: null`). */
export function chatLogprobs(logprobs: unknown): JsonObject[] {
  const content = isObject(logprobs) && Array.isArray(logprobs.content) ? logprobs.content : [];
  const one = (l: JsonObject): JsonObject => ({
    token: typeof l.token === 'string' ? l.token : '',
    logprob: num(l.logprob),
    bytes: Array.isArray(l.bytes) ? l.bytes : [],
  });
  return content.filter(isObject).map((l) => ({
    ...one(l),
    top_logprobs: (Array.isArray(l.top_logprobs) ? l.top_logprobs : []).filter(isObject).map(one),
  }));
}

export function contentPart(part: TextPart): JsonObject {
  return part.type === 'refusal'
    ? { type: 'refusal', refusal: part.text }
    : { type: 'output_text', text: part.text, annotations: [], logprobs: [...part.logprobs] };
}

export function messageItem(id: string, parts: TextPart[], status: ItemStatus): JsonObject {
  return { id, type: 'message', status, role: 'assistant', content: parts.map(contentPart) };
}

/**
 * Whether the request asked for reasoning summaries (`reasoning.summary` auto, concise or detailed): only then
 * does a translated answer carry the provider's reasoning text as a `reasoning` item, as OpenAI's does.
 */
export function wantsReasoningSummary(request: JsonObject): boolean {
  const summary = isObject(request.reasoning) ? request.reasoning.summary : undefined;
  return typeof summary === 'string' && summary !== 'none';
}

/** A `reasoning` output item whose one summary part is the provider's reasoning text. */
export function reasoningItem(id: string, text: string): JsonObject {
  return { id, type: 'reasoning', summary: [summaryPart(text)] };
}

export function summaryPart(text: string): JsonObject {
  return { type: 'summary_text', text };
}

export function functionCallItem(id: string, call: FunctionCall, status: ItemStatus): JsonObject {
  return { id, type: 'function_call', status, arguments: call.arguments, call_id: call.callId, name: call.name };
}

/** Chat `usage` → Responses `usage`; null when the provider reported none. */
export function responsesUsage(chatUsage: JsonObject | null | undefined): JsonObject | null {
  if (!isObject(chatUsage)) return null;
  const input = num(chatUsage.prompt_tokens);
  const output = num(chatUsage.completion_tokens);
  const inputDetails = isObject(chatUsage.prompt_tokens_details) ? chatUsage.prompt_tokens_details : {};
  const outputDetails = isObject(chatUsage.completion_tokens_details) ? chatUsage.completion_tokens_details : {};
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: num(inputDetails.cached_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: num(outputDetails.reasoning_tokens) },
    total_tokens: typeof chatUsage.total_tokens === 'number' ? chatUsage.total_tokens : input + output,
  };
}

/**
 * A Responses `response` object: the answer's state plus the request's settings echoed back, as OpenAI
 * does. Nothing is stored, so `store` is false and `previous_response_id` null.
 */
export function responseObject(request: JsonObject, ids: ResponseIds, state: ResponseState): JsonObject {
  const echo = (field: string, fallback: unknown): unknown => request[field] ?? fallback;
  return {
    id: ids.id,
    object: 'response',
    created_at: ids.createdAt,
    status: state.status,
    background: false,
    error: null,
    incomplete_details: state.incompleteReason ? { reason: state.incompleteReason } : null,
    instructions: echo('instructions', null),
    max_output_tokens: echo('max_output_tokens', null),
    metadata: isObject(request.metadata) ? request.metadata : {},
    model: request.model,
    output: state.output,
    parallel_tool_calls: echo('parallel_tool_calls', true),
    previous_response_id: null,
    reasoning: echo('reasoning', { effort: null, summary: null }),
    store: false,
    temperature: echo('temperature', null),
    text: echo('text', { format: { type: 'text' } }),
    tool_choice: echo('tool_choice', 'auto'),
    tools: echo('tools', []),
    top_p: echo('top_p', null),
    truncation: 'disabled',
    usage: state.usage,
  };
}

/** The text and refusal parts of a chat answer's message. */
function messageParts(message: JsonObject, logprobs: unknown): TextPart[] {
  const parts: TextPart[] = [];
  if (typeof message.content === 'string' && message.content !== '') {
    parts.push({ type: 'output_text', text: message.content, logprobs: chatLogprobs(logprobs) });
  }
  if (typeof message.refusal === 'string' && message.refusal !== '')
    parts.push({ type: 'refusal', text: message.refusal });
  return parts;
}

function toolCalls(message: JsonObject): FunctionCall[] {
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject) : [];
  return calls.map((tc) => {
    const fn = isObject(tc.function) ? tc.function : {};
    return {
      callId: typeof tc.id === 'string' ? tc.id : '',
      name: typeof fn.name === 'string' ? fn.name : '',
      arguments: typeof fn.arguments === 'string' ? fn.arguments : '',
    };
  });
}

/**
 * A `chat.completion` → a complete Responses `response` (choice 0). The reasoning comes first (when the provider
 * sent `reasoning_content` and the request asked for a summary), then the message, then one `function_call` item
 * per tool call; an answer with neither still has an (empty) message, so clients that look for one find it. In
 * an incomplete answer the last item, where the output was cut, is incomplete.
 */
export function chatToResponse(completion: JsonObject, request: JsonObject, ids: ResponseIds): JsonObject {
  const choices = Array.isArray(completion.choices) ? completion.choices.filter(isObject) : [];
  const choice = choices.find((c) => (c.index ?? 0) === 0) ?? {};
  const message = isObject(choice.message) ? choice.message : {};
  const reason = incompleteReason(choice.finish_reason);
  const parts = messageParts(message, choice.logprobs);
  const calls = toolCalls(message);
  const reasoning =
    wantsReasoningSummary(request) && typeof message.reasoning_content === 'string' ? message.reasoning_content : '';
  const first = reasoning !== '' ? 1 : 0;
  const last = first + (parts.length > 0 || calls.length === 0 ? 1 : 0) + calls.length - 1;
  const status = (i: number): ItemStatus => (reason && i === last ? 'incomplete' : 'completed');
  const output: JsonObject[] = [];
  if (reasoning !== '') output.push(reasoningItem(itemId(ids, 'rs', 0), reasoning));
  if (parts.length > 0 || calls.length === 0) {
    const i = output.length;
    output.push(messageItem(itemId(ids, 'msg', i), parts.length > 0 ? parts : [emptyText()], status(i)));
  }
  for (const call of calls) {
    const i = output.length;
    output.push(functionCallItem(itemId(ids, 'fc', i), call, status(i)));
  }
  return responseObject(request, ids, {
    status: reason ? 'incomplete' : 'completed',
    output,
    usage: responsesUsage(isObject(completion.usage) ? completion.usage : undefined),
    incompleteReason: reason,
  });
}

export function emptyText(): TextPart {
  return { type: 'output_text', text: '', logprobs: [] };
}
