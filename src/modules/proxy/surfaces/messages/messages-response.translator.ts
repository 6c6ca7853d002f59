import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';

export interface MessageIds {
  /** The message id (`msg_…`); generated tool_use ids derive from it. */
  id: string;
}

export interface StopState {
  stop_reason: string;
  stop_sequence: string | null;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/**
 * Chat `usage` → Anthropic's `usage`. Anthropic's `input_tokens` excludes the tokens read from or written to
 * the prompt cache, which chat's `prompt_tokens` includes; absent usage reads as zeros.
 */
export function messagesUsage(chatUsage: JsonObject | null | undefined): JsonObject {
  const usage = isObject(chatUsage) ? chatUsage : {};
  const details = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const read = count(details.cached_tokens);
  const write = count(details.cache_write_tokens);
  return {
    input_tokens: Math.max(0, count(usage.prompt_tokens) - read - write),
    output_tokens: count(usage.completion_tokens),
    cache_read_input_tokens: read,
    cache_creation_input_tokens: write,
  };
}

/**
 * The stop sequence that ended the answer, when the provider says which: chat's `finish_reason` is `stop`
 * for both a natural end and a stop sequence, but some servers (vLLM) name the matched string in the
 * choice's `stop_reason`. It counts only when it is one of the request's `stop_sequences`.
 */
export function matchedStopSequence(choice: JsonObject, request: JsonObject): string | null {
  const matched = choice.stop_reason;
  const sequences = Array.isArray(request.stop_sequences) ? request.stop_sequences : [];
  return typeof matched === 'string' && sequences.includes(matched) ? matched : null;
}

/**
 * Chat's `finish_reason` → Anthropic's `stop_reason`. A `stop` beside tool calls (some providers say so)
 * is `tool_use`, since that is what tells an Anthropic client to run the tools.
 */
export function stopState(finishReason: unknown, hasToolUse: boolean, matched: string | null): StopState {
  switch (finishReason) {
    case 'length':
      return { stop_reason: 'max_tokens', stop_sequence: null };
    case 'content_filter':
      return { stop_reason: 'refusal', stop_sequence: null };
    case 'tool_calls':
    case 'function_call':
      return { stop_reason: 'tool_use', stop_sequence: null };
    default:
      if (hasToolUse) return { stop_reason: 'tool_use', stop_sequence: null };
      return matched
        ? { stop_reason: 'stop_sequence', stop_sequence: matched }
        : { stop_reason: 'end_turn', stop_sequence: null };
  }
}

/**
 * Tool call arguments → a tool_use `input`. Text that is not a JSON object becomes `{}`: Anthropic's input is
 * always an object, and a client echoes the block back in its next request, so an extra field holding the
 * raw text would be refused by Anthropic itself later. The client's tool then fails on missing arguments,
 * and the model reads that and retries.
 */
export function toolInput(args: string): JsonObject {
  if (args.trim() === '') return {};
  try {
    const input: unknown = JSON.parse(args);
    return isObject(input) ? input : {};
  } catch {
    return {};
  }
}

/** Deterministic ids for tool calls the provider sent without one: a replayed answer gets the same ids. */
export function toolUseId(ids: MessageIds, index: number): string {
  return `toolu_${ids.id.replace(/^msg_/, '')}_${index}`;
}

export function toolUseBlock(id: string, name: string, args: string): JsonObject {
  return { type: 'tool_use', id, name, input: toolInput(args) };
}

/** An Anthropic `message` object; `stop` is null while the answer is still streaming. */
export function messageObject(
  request: JsonObject,
  ids: MessageIds,
  content: JsonObject[],
  stop: StopState | null,
  usage: JsonObject,
): JsonObject {
  return {
    id: ids.id,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content,
    stop_reason: stop?.stop_reason ?? null,
    stop_sequence: stop?.stop_sequence ?? null,
    usage,
  };
}

function toolUseBlocks(message: JsonObject, ids: MessageIds, first: number): JsonObject[] {
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject) : [];
  return calls.map((call, i) => {
    const fn = isObject(call.function) ? call.function : {};
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : toolUseId(ids, first + i);
    const name = typeof fn.name === 'string' ? fn.name : '';
    return toolUseBlock(id, name, typeof fn.arguments === 'string' ? fn.arguments : '');
  });
}

/**
 * A `chat.completion` → an Anthropic `message` (choice 0): one text block when there is text (a chat refusal
 * reads as text, and ends the answer as a `refusal`), then one tool_use block per tool call.
 */
export function chatToMessage(completion: JsonObject, request: JsonObject, ids: MessageIds): JsonObject {
  const choices = Array.isArray(completion.choices) ? completion.choices.filter(isObject) : [];
  const choice = choices.find((c) => (c.index ?? 0) === 0) ?? {};
  const message = isObject(choice.message) ? choice.message : {};
  const refusal = typeof message.refusal === 'string' ? message.refusal : '';
  const text = (typeof message.content === 'string' ? message.content : '') + refusal;
  const content: JsonObject[] = text === '' ? [] : [{ type: 'text', text }];
  content.push(...toolUseBlocks(message, ids, content.length));
  const stop = stopState(
    refusal === '' ? choice.finish_reason : 'content_filter',
    content.some((b) => b.type === 'tool_use'),
    matchedStopSequence(choice, request),
  );
  const usage = messagesUsage(isObject(completion.usage) ? completion.usage : undefined);
  return messageObject(request, ids, content, stop, usage);
}
