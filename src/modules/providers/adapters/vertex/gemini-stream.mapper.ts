import type { Usage } from '#src/modules/calls/usage';
import type { ChunkSink, JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject, openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';
import {
  completionId,
  createdAt,
  finishReason,
  geminiUsage,
  readParts,
} from '#src/modules/providers/adapters/vertex/gemini-response.mapper';

interface ChoiceState {
  started: boolean;
  toolCalls: number;
}

/**
 * Turns `streamGenerateContent?alt=sse` events (each a partial GenerateContentResponse) into OpenAI
 * `chat.completion.chunk`s as they arrive. Gemini sends a function call whole in one event; it goes out as
 * OpenAI does it: a delta with id and name, then the arguments as an argument delta. Usage (the latest
 * `usageMetadata`, complete on the last event) ends the stream as a usage-only chunk.
 */
export class GeminiStreamMapper {
  private id: string | null = null;
  private created = 0;
  private model: string;
  private usage: Usage | null = null;
  private readonly choices = new Map<number, ChoiceState>();

  constructor(
    model: string,
    private readonly sink: ChunkSink,
    /** Maps an `{error}` event inside the stream to the exception to throw. */
    private readonly streamError: (error: JsonObject) => Error,
  ) {
    this.model = model;
  }

  push(event: JsonObject): void {
    if (isObject(event.error)) throw this.streamError(event.error);
    if (this.id === null) {
      this.id = completionId(event);
      this.created = createdAt(event);
      if (typeof event.modelVersion === 'string') this.model = event.modelVersion;
    }
    this.usage = geminiUsage(event.usageMetadata) ?? this.usage;
    const candidates = Array.isArray(event.candidates) ? (event.candidates as JsonObject[]) : [];
    if (candidates.length === 0 && isObject(event.promptFeedback) && event.promptFeedback.blockReason) {
      this.emit(0, { role: 'assistant', content: '' }, 'content_filter');
      return;
    }
    candidates.forEach((c, i) => this.candidate(c, typeof c.index === 'number' ? c.index : i));
  }

  /** Sends the usage-only chunk, if the provider reported usage, and returns that usage. */
  finish(): Usage | null {
    if (this.usage && this.id !== null) this.send({ choices: [], usage: openAiUsage(this.usage) });
    return this.usage;
  }

  private candidate(c: JsonObject, index: number): void {
    let state = this.choices.get(index);
    if (!state) {
      state = { started: false, toolCalls: 0 };
      this.choices.set(index, state);
    }
    const { text, toolCalls } = readParts(c);
    const role = (): JsonObject => (state.started ? {} : { role: 'assistant' });
    if (text !== '' || (!state.started && toolCalls.length === 0)) {
      this.emit(index, { ...role(), content: text });
      state.started = true;
    }
    for (const call of toolCalls) {
      const toolIndex = state.toolCalls++;
      const head = {
        index: toolIndex,
        id: call.id,
        type: 'function',
        function: { name: call.function.name, arguments: '' },
      };
      this.emit(index, { ...role(), tool_calls: [head] });
      state.started = true;
      this.emit(index, { tool_calls: [{ index: toolIndex, function: { arguments: call.function.arguments } }] });
    }
    const reason = finishReason(c.finishReason, state.toolCalls > 0);
    if (reason) this.emit(index, {}, reason);
  }

  private emit(index: number, delta: JsonObject, reason: string | null = null): void {
    this.send({ choices: [{ index, delta, logprobs: null, finish_reason: reason }] });
  }

  private send(fields: JsonObject): void {
    this.sink.chunk({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      ...fields,
    });
  }
}
