import type { ServerResponse } from 'node:http';
import type { Usage } from '#src/modules/calls/usage';
import { openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { SseWriter } from '#src/modules/proxy/sse-writer';
import type { ChatStreamRelay } from '#src/modules/proxy/surfaces/chat-stream';
import { MessagesStreamTranslator } from '#src/modules/proxy/surfaces/messages/messages-stream.translator';

/**
 * Relays a provider's chat stream to a Messages client as Anthropic's SSE events (`message_start` …
 * `message_stop`), translated chunk by chunk: `message_start` goes out with the first chunk, so a provider
 * failure before it is still a normal (Anthropic-shaped) JSON error.
 */
export class MessagesStreamRelay implements ChatStreamRelay {
  private readonly sse: SseWriter;
  private readonly translator: MessagesStreamTranslator;
  private opened = false;

  constructor(
    res: ServerResponse,
    headers: () => Record<string, string>,
    onFirstChunk: () => void,
    request: JsonObject,
    ids: { id: string },
  ) {
    this.sse = new SseWriter(res, headers, onFirstChunk);
    this.translator = new MessagesStreamTranslator(
      (event) => this.sse.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`),
      request,
      ids,
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
    this.translator.finish(usage ? openAiUsage(usage, true) : null);
    this.sse.end();
  }

  fail(error: { message: string; type: string }): void {
    this.translator.fail({ type: error.type, message: error.message });
    this.sse.end();
  }

  generatedText(): string {
    return this.translator.generatedText();
  }

  assembled(): unknown {
    return this.translator.assembled();
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.translator.start();
  }
}
