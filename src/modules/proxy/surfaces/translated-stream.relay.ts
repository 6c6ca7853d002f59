import type { ServerResponse } from 'node:http';
import type { Usage } from '#src/modules/calls/usage';
import { openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { SseWriter } from '#src/modules/proxy/sse-writer';
import type { ChatStreamRelay } from '#src/modules/proxy/surfaces/chat-stream';

/** Turns chat chunks into one client API's typed events (Responses, Messages); `emit` writes each event. */
export interface EventTranslator {
  start(): void;
  chunk(chatChunk: JsonObject): void;
  /** Closes the answer with the chat-shaped usage (or null when the provider reported none). */
  finish(usage: JsonObject | null): void;
  fail(error: { message: string; type: string; code: string }): void;
  generatedText(): string;
  assembled(): JsonObject;
}

/**
 * Relays a provider's chat stream to a client of another API as that API's typed SSE events (`event: <type>`,
 * the event as `data:`), translated chunk by chunk as they arrive. The first event goes out with the first
 * chunk, so a provider failure before it is still a normal JSON error in the surface's shape.
 */
export class TranslatedStreamRelay implements ChatStreamRelay {
  private readonly sse: SseWriter;
  private readonly translator: EventTranslator;
  private opened = false;
  private finished = false;

  constructor(
    res: ServerResponse,
    headers: () => Record<string, string>,
    onFirstChunk: () => void,
    translator: (emit: (event: JsonObject) => void) => EventTranslator,
    /** The API reports cache writes (Messages): the usage handed to the translator always carries them. */
    private readonly reportsCacheWrites = false,
  ) {
    this.sse = new SseWriter(res, headers, onFirstChunk);
    this.translator = translator((event) =>
      this.sse.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`),
    );
  }

  get hasStarted(): boolean {
    return this.sse.hasStarted;
  }

  chunk(chunk: JsonObject): void {
    this.open();
    this.translator.chunk(chunk);
  }

  backpressure(): Promise<void> | undefined {
    return this.sse.backpressure();
  }

  done(usage: Usage | null): void {
    this.open();
    this.translator.finish(usage ? openAiUsage(usage, this.reportsCacheWrites) : null);
    this.finished = true;
    this.sse.end();
  }

  fail(error: { message: string; type: string; code?: string }): void {
    this.translator.fail({ ...error, code: error.code ?? error.type });
    this.sse.end();
  }

  generatedText(): string {
    return this.translator.generatedText();
  }

  assembled(): unknown {
    return this.translator.assembled();
  }

  /** The finished answer object (a Response only when `completed`, as unstreamed answers are kept). */
  answer(): JsonObject | null {
    if (!this.finished) return null;
    const final = this.translator.assembled();
    return final.object === 'response' && final.status !== 'completed' ? null : final;
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.translator.start();
  }
}
