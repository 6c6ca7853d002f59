import type { ServerResponse } from 'node:http';
import type { ChunkSink, JsonObject } from '#src/modules/providers/provider-adapter';

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
 * Relays a provider's stream to the client as OpenAI SSE, chunk by chunk as it arrives: headers go out
 * with the first chunk (so an error before it is still a normal JSON error), the usage-only chunk is
 * dropped unless the client asked for it, and the text and tool calls are assembled on the side for the
 * audit log and for estimating usage when the provider reports none. When the client reads slower than
 * the provider sends, `backpressure()` holds the provider's stream back until the client's socket drains.
 */
export class StreamRelay implements ChunkSink {
  private started = false;
  /** Set while the client's socket buffer is full; settled on 'drain' (or when the client leaves). */
  private drained: Promise<void> | null = null;
  private readonly choices = new Map<number, AssembledChoice>();

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: () => Record<string, string>,
    private readonly includeUsage: boolean,
    private readonly onFirstChunk: () => void,
  ) {}

  get hasStarted(): boolean {
    return this.started;
  }

  chunk(chunk: JsonObject, raw?: string): void {
    this.assemble(chunk);
    if (isUsageOnlyChunk(chunk) && !this.includeUsage) return;
    this.start();
    if (!this.res.writableEnded && !this.res.write(`data: ${raw ?? JSON.stringify(chunk)}\n\n`)) this.waitForDrain();
  }

  backpressure(): Promise<void> | undefined {
    return this.drained ?? undefined;
  }

  /** Ends a complete stream with `[DONE]`. */
  done(): void {
    this.start();
    if (!this.res.writableEnded) this.res.end('data: [DONE]\n\n');
  }

  /** Ends a broken stream: an error event and no `[DONE]` (SPEC §3). */
  fail(error: { message: string; type: string; code: string }): void {
    if (!this.res.writableEnded) this.res.end(`data: ${JSON.stringify({ error: { ...error, param: null } })}\n\n`);
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

  private waitForDrain(): void {
    if (this.drained || this.res.destroyed) return;
    this.drained = new Promise((resolve) => {
      const settle = (): void => {
        this.res.off('drain', settle);
        this.res.off('close', settle);
        this.drained = null;
        resolve();
      };
      this.res.once('drain', settle);
      this.res.once('close', settle);
    });
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.onFirstChunk();
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...this.headers(),
    });
    this.res.flushHeaders();
  }

  private assemble(chunk: JsonObject): void {
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
      if (typeof delta.refusal === 'string') choice.content += delta.refusal;
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
