import type { ServerResponse } from 'node:http';
import type { ChunkSink, JsonObject } from '#src/modules/providers/provider-adapter';
import { SseWriter } from '#src/modules/proxy/sse-writer';

interface AssembledToolCall {
  id?: string;
  type?: string;
  function: { name: string; arguments: string };
}

interface AssembledChoice {
  index: number;
  content: string;
  tool_calls: AssembledToolCall[];
  finish_reason: string | null;
}

/** A chunk that only carries the final usage (sent because the gateway always asks for it). */
export function isUsageOnlyChunk(chunk: JsonObject): boolean {
  return !!chunk.usage && Array.isArray(chunk.choices) && chunk.choices.length === 0;
}

/**
 * Relays a provider's stream to the client as OpenAI SSE, chunk by chunk as it arrives (SseWriter: headers
 * with the first chunk, backpressure); the usage-only chunk is dropped unless the client asked for it, and the
 * text and tool calls are assembled on the side for the audit log and for estimating usage when the provider
 * reports none.
 */
export class StreamRelay implements ChunkSink {
  private readonly sse: SseWriter;
  private readonly choices = new Map<number, AssembledChoice>();
  /** The completion's own fields (id, created, model, …) and usage, as the chunks carried them. */
  private readonly meta: JsonObject = {};
  private usage: JsonObject | null = null;
  /** Parts the assembled answer does not keep apart (a refusal, logprobs): such a stream is not kept in the cache. */
  private lossy = false;
  private complete = false;

  constructor(
    res: ServerResponse,
    headers: () => Record<string, string>,
    private readonly includeUsage: boolean,
    onFirstChunk: () => void,
  ) {
    this.sse = new SseWriter(res, headers, onFirstChunk);
  }

  get hasStarted(): boolean {
    return this.sse.hasStarted;
  }

  chunk(chunk: JsonObject, raw?: string): void {
    this.assemble(chunk);
    if (isUsageOnlyChunk(chunk) && !this.includeUsage) return;
    this.sse.write(`data: ${raw ?? JSON.stringify(chunk)}\n\n`);
  }

  backpressure(): Promise<void> | undefined {
    return this.sse.backpressure();
  }

  /** Ends a complete stream with `[DONE]`. */
  done(): void {
    this.complete = true;
    this.sse.end('data: [DONE]\n\n');
  }

  /**
   * The complete stream as the `chat.completion` the same request would have got unstreamed, for the response
   * cache; null when it is not complete or holds parts the assembly does not keep (refusals, logprobs).
   */
  answer(): JsonObject | null {
    const choices = this.assembled().choices;
    if (!this.complete || this.lossy || typeof this.meta.id !== 'string' || choices.length === 0) return null;
    if (choices.some((c) => c.finish_reason === null)) return null;
    return {
      ...this.meta,
      object: 'chat.completion',
      choices: choices.map((c) => ({
        index: c.index,
        message: {
          role: 'assistant',
          content: c.content === '' && c.tool_calls.length > 0 ? null : c.content,
          refusal: null,
          ...(c.tool_calls.length > 0
            ? { tool_calls: c.tool_calls.map((t) => ({ id: t.id, type: t.type ?? 'function', function: t.function })) }
            : {}),
        },
        logprobs: null,
        finish_reason: c.finish_reason,
      })),
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }

  /** Ends a broken stream: an error event and no `[DONE]` (SPEC §3). */
  fail(error: { message: string; type: string; code: string }): void {
    this.sse.end(`data: ${JSON.stringify({ error: { ...error, param: null } })}\n\n`);
  }

  /** The assembled answer: text and tool calls per choice. */
  assembled(): { choices: AssembledChoice[] } {
    return { choices: [...this.choices.values()].sort((a, b) => a.index - b.index) };
  }

  /** Everything the model generated, as text, for counting tokens. */
  generatedText(): string {
    return this.assembled()
      .choices.map((c) => c.content + c.tool_calls.map((t) => t.function.name + t.function.arguments).join(''))
      .join('');
  }

  private assemble(chunk: JsonObject): void {
    for (const field of ['id', 'created', 'model', 'system_fingerprint', 'service_tier'])
      if (this.meta[field] === undefined && chunk[field] !== undefined && chunk[field] !== null)
        this.meta[field] = chunk[field];
    if (chunk.usage && typeof chunk.usage === 'object') this.usage = chunk.usage as JsonObject;
    if (!Array.isArray(chunk.choices)) return;
    for (const raw of chunk.choices as JsonObject[]) {
      const index = typeof raw.index === 'number' ? raw.index : 0;
      let choice = this.choices.get(index);
      if (!choice) {
        choice = { index, content: '', tool_calls: [], finish_reason: null };
        this.choices.set(index, choice);
      }
      const delta = (raw.delta ?? {}) as JsonObject;
      if (typeof delta.content === 'string') choice.content += delta.content;
      if (typeof delta.refusal === 'string') {
        choice.content += delta.refusal;
        this.lossy = true;
      }
      if (raw.logprobs) this.lossy = true;
      if (Array.isArray(delta.tool_calls)) {
        for (const tc of delta.tool_calls as JsonObject[]) {
          const i = typeof tc.index === 'number' ? tc.index : choice.tool_calls.length;
          const fn = (tc.function ?? {}) as JsonObject;
          const existing = (choice.tool_calls[i] ??= { function: { name: '', arguments: '' } });
          if (typeof tc.id === 'string') existing.id = tc.id;
          if (typeof tc.type === 'string') existing.type = tc.type;
          if (typeof fn.name === 'string') existing.function.name += fn.name;
          if (typeof fn.arguments === 'string') existing.function.arguments += fn.arguments;
        }
      }
      if (typeof raw.finish_reason === 'string') choice.finish_reason = raw.finish_reason;
    }
  }
}
