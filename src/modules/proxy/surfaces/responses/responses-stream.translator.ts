import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import {
  chatLogprobs,
  contentPart,
  emptyText,
  functionCallItem,
  incompleteReason,
  itemId,
  type ItemStatus,
  messageItem,
  reasoningItem,
  summaryPart,
  wantsReasoningSummary,
  type ResponseIds,
  responseObject,
  type ResponseState,
  responsesUsage,
  type TextPart,
} from '#src/modules/proxy/surfaces/responses/responses-response.translator';

interface MessageState {
  kind: 'message';
  outputIndex: number;
  id: string;
  parts: TextPart[];
  /** The part deltas go to; closed when the message closes or a part of the other kind starts. */
  openPart: boolean;
  status: ItemStatus;
}

interface CallState {
  kind: 'function_call';
  outputIndex: number;
  id: string;
  callId: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

interface ReasoningState {
  kind: 'reasoning';
  outputIndex: number;
  id: string;
  text: string;
}

/** A tool call as chat streams it (id and name first, then argument fragments), until it has a name. */
interface PendingCall {
  callId: string;
  name: string;
  arguments: string;
  item: CallState | null;
}

type ItemState = ReasoningState | MessageState | CallState;

/**
 * OpenAI `chat.completion.chunk`s (choice 0) → the typed Responses SSE events, numbered by
 * `sequence_number`. Reasoning text (`reasoning_content`, when the request asked for a summary) opens a
 * `reasoning` item with one summary part; text opens a message item; each tool call opens a `function_call`
 * item once its name is known. An item opening closes the reasoning or message before it, as OpenAI's order
 * has it; every open item closes in `finish()`, which sends the complete response. The caller writes each event as `event:`/`data:` lines.
 */
export class ResponsesStreamTranslator {
  private sequence = 0;
  private readonly items: ItemState[] = [];
  private message: MessageState | null = null;
  private reasoning: ReasoningState | null = null;
  private readonly summaries: boolean;
  private readonly calls = new Map<number, PendingCall>();
  private finishReason: unknown = null;
  private chunkUsage: JsonObject | null = null;
  private final: JsonObject | null = null;
  private ended = false;

  constructor(
    private readonly emit: (event: JsonObject) => void,
    private readonly request: JsonObject,
    private readonly ids: ResponseIds,
  ) {
    this.summaries = wantsReasoningSummary(request);
  }

  start(): void {
    const state: ResponseState = { status: 'in_progress', output: [], usage: null, incompleteReason: null };
    this.send('response.created', { response: this.response(state) });
    this.send('response.in_progress', { response: this.response(state) });
  }

  chunk(chatChunk: JsonObject): void {
    if (this.ended) return;
    if (isObject(chatChunk.usage)) this.chunkUsage = chatChunk.usage;
    const choices = Array.isArray(chatChunk.choices) ? chatChunk.choices.filter(isObject) : [];
    const choice = choices.find((c) => (c.index ?? 0) === 0);
    if (!choice) return;
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (this.summaries && typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '')
      this.reasoningText(delta.reasoning_content);
    if (typeof delta.content === 'string' && delta.content !== '') {
      this.text('output_text', delta.content, chatLogprobs(choice.logprobs));
    }
    if (typeof delta.refusal === 'string' && delta.refusal !== '') this.text('refusal', delta.refusal, []);
    if (Array.isArray(delta.tool_calls)) delta.tool_calls.filter(isObject).forEach((tc) => this.toolCall(tc));
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
  }

  /** Closes every open item and sends the complete response; `usage` (chat's shape) else the stream's own. */
  finish(usage: JsonObject | null): void {
    if (this.ended) return;
    this.ended = true;
    for (const pending of this.calls.values()) if (!pending.item) this.openCall(pending);
    this.closeReasoning();
    if (!this.items.some((item) => item.kind !== 'reasoning')) this.openPart(this.openMessage(), 'output_text');
    const reason = incompleteReason(this.finishReason);
    const last = this.items[this.items.length - 1];
    for (const item of this.items) {
      const status = reason && item === last ? 'incomplete' : 'completed';
      if (item.kind === 'message' && item === this.message) this.closeMessage(status);
      else if (item.kind === 'function_call') this.closeCall(item, status);
    }
    const state: ResponseState = {
      status: reason ? 'incomplete' : 'completed',
      output: this.items.map((item) => this.item(item)),
      usage: responsesUsage(usage ?? this.chunkUsage),
      incompleteReason: reason,
    };
    this.final = this.response(state);
    this.send(reason ? 'response.incomplete' : 'response.completed', { response: this.final });
  }

  /** Ends a broken stream with an `error` event; nothing is sent after it. */
  fail(error: { message: string; type: string; code: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.send('error', { code: error.code, message: error.message, param: null });
  }

  /** The response so far (the complete one after `finish()`), for the audit log. */
  assembled(): JsonObject {
    if (this.final) return this.final;
    const output = this.items.map((item) => this.item(item));
    return this.response({
      status: 'in_progress',
      output,
      usage: responsesUsage(this.chunkUsage),
      incompleteReason: null,
    });
  }

  /** Everything the model generated (text, refusals, tool names and arguments), for counting tokens. */
  generatedText(): string {
    const text = this.items.map((item) =>
      item.kind === 'message'
        ? item.parts.map((p) => p.text).join('')
        : item.kind === 'reasoning'
          ? item.text
          : item.name + item.arguments,
    );
    const pending = [...this.calls.values()].filter((c) => !c.item).map((c) => c.name + c.arguments);
    return [...text, ...pending].join('');
  }

  private text(type: TextPart['type'], delta: string, logprobs: JsonObject[]): void {
    const message = this.message ?? this.openMessage();
    let part = message.openPart ? message.parts[message.parts.length - 1] : undefined;
    if (part?.type !== type) part = this.openPart(message, type);
    part.text += delta;
    const at = { item_id: message.id, output_index: message.outputIndex, content_index: message.parts.length - 1 };
    if (part.type === 'output_text') {
      part.logprobs.push(...logprobs);
      this.send('response.output_text.delta', { ...at, delta, logprobs });
    } else {
      this.send('response.refusal.delta', { ...at, delta });
    }
  }

  private reasoningText(delta: string): void {
    let reasoning = this.reasoning;
    if (!reasoning) {
      this.closeMessage('completed');
      const outputIndex = this.items.length;
      reasoning = { kind: 'reasoning', outputIndex, id: itemId(this.ids, 'rs', outputIndex), text: '' };
      this.items.push(reasoning);
      this.reasoning = reasoning;
      this.send('response.output_item.added', {
        output_index: outputIndex,
        item: { id: reasoning.id, type: 'reasoning', summary: [] },
      });
      this.send('response.reasoning_summary_part.added', { ...this.summaryAt(reasoning), part: summaryPart('') });
    }
    reasoning.text += delta;
    this.send('response.reasoning_summary_text.delta', { ...this.summaryAt(reasoning), delta });
  }

  private closeReasoning(): void {
    const reasoning = this.reasoning;
    if (!reasoning) return;
    this.reasoning = null;
    const at = this.summaryAt(reasoning);
    this.send('response.reasoning_summary_text.done', { ...at, text: reasoning.text });
    this.send('response.reasoning_summary_part.done', { ...at, part: summaryPart(reasoning.text) });
    this.send('response.output_item.done', { output_index: reasoning.outputIndex, item: this.item(reasoning) });
  }

  private summaryAt(reasoning: ReasoningState): JsonObject {
    return { item_id: reasoning.id, output_index: reasoning.outputIndex, summary_index: 0 };
  }

  private openMessage(): MessageState {
    this.closeReasoning();
    const outputIndex = this.items.length;
    const message: MessageState = {
      kind: 'message',
      outputIndex,
      id: itemId(this.ids, 'msg', outputIndex),
      parts: [],
      openPart: false,
      status: 'in_progress',
    };
    this.items.push(message);
    this.message = message;
    this.send('response.output_item.added', { output_index: outputIndex, item: this.item(message) });
    return message;
  }

  private openPart(message: MessageState, type: TextPart['type']): TextPart {
    this.closePart(message);
    const part: TextPart = type === 'output_text' ? emptyText() : { type: 'refusal', text: '' };
    message.parts.push(part);
    message.openPart = true;
    this.send('response.content_part.added', {
      item_id: message.id,
      output_index: message.outputIndex,
      content_index: message.parts.length - 1,
      part: contentPart(part),
    });
    return part;
  }

  private closePart(message: MessageState): void {
    if (!message.openPart) return;
    message.openPart = false;
    const part = message.parts[message.parts.length - 1];
    const at = { item_id: message.id, output_index: message.outputIndex, content_index: message.parts.length - 1 };
    if (part.type === 'output_text') {
      this.send('response.output_text.done', { ...at, text: part.text, logprobs: [...part.logprobs] });
    } else {
      this.send('response.refusal.done', { ...at, refusal: part.text });
    }
    this.send('response.content_part.done', { ...at, part: contentPart(part) });
  }

  private closeMessage(status: ItemStatus): void {
    const message = this.message;
    if (!message) return;
    this.closePart(message);
    message.status = status;
    this.message = null;
    this.send('response.output_item.done', { output_index: message.outputIndex, item: this.item(message) });
  }

  private toolCall(tc: JsonObject): void {
    const index = typeof tc.index === 'number' ? tc.index : this.calls.size;
    let pending = this.calls.get(index);
    if (!pending) {
      pending = { callId: '', name: '', arguments: '', item: null };
      this.calls.set(index, pending);
    }
    const fn = isObject(tc.function) ? tc.function : {};
    if (typeof tc.id === 'string' && pending.callId === '') pending.callId = tc.id;
    if (typeof fn.name === 'string' && !pending.item) pending.name += fn.name;
    const fragment = typeof fn.arguments === 'string' ? fn.arguments : '';
    if (pending.item) this.appendArguments(pending.item, fragment);
    else pending.arguments += fragment;
    // the added event carries the name, so the item opens once there is one; arguments sent before it follow
    if (!pending.item && pending.name !== '') this.openCall(pending);
  }

  private openCall(pending: PendingCall): void {
    this.closeReasoning();
    this.closeMessage('completed');
    const outputIndex = this.items.length;
    const item: CallState = {
      kind: 'function_call',
      outputIndex,
      id: itemId(this.ids, 'fc', outputIndex),
      callId: pending.callId || `call_${this.ids.id.replace(/^resp_/, '')}_${outputIndex}`,
      name: pending.name,
      arguments: '',
      status: 'in_progress',
    };
    pending.item = item;
    this.items.push(item);
    this.send('response.output_item.added', { output_index: outputIndex, item: this.item(item) });
    this.appendArguments(item, pending.arguments);
  }

  private appendArguments(item: CallState, delta: string): void {
    if (delta === '') return;
    item.arguments += delta;
    this.send('response.function_call_arguments.delta', { item_id: item.id, output_index: item.outputIndex, delta });
  }

  private closeCall(item: CallState, status: ItemStatus): void {
    item.status = status;
    const at = { item_id: item.id, output_index: item.outputIndex };
    this.send('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.arguments });
    this.send('response.output_item.done', { output_index: item.outputIndex, item: this.item(item) });
  }

  private item(state: ItemState): JsonObject {
    if (state.kind === 'reasoning') return reasoningItem(state.id, state.text);
    return state.kind === 'message'
      ? messageItem(state.id, state.parts, state.status)
      : functionCallItem(state.id, state, state.status);
  }

  private response(state: ResponseState): JsonObject {
    return responseObject(this.request, this.ids, state);
  }

  private send(type: string, fields: JsonObject): void {
    this.emit({ type, sequence_number: this.sequence++, ...fields });
  }
}
