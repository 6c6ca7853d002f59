import type { ServerResponse } from 'node:http';
import type { Usage } from '#src/modules/calls/usage';
import { openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { SseWriter } from '#src/modules/proxy/sse-writer';
import type { ChatStreamRelay } from '#src/modules/proxy/surfaces/chat-stream';
import { ResponsesStreamTranslator } from '#src/modules/proxy/surfaces/responses/responses-stream.translator';

/**
 * Relays a provider's chat stream to a Responses client as its typed SSE events (`event: <type>` and the event
 * as `data:`), translated chunk by chunk as they arrive: `response.created` goes out with the first chunk, so a
 * provider failure before it is still a normal JSON error.
 */
export class ResponsesStreamRelay implements ChatStreamRelay {
  private readonly sse: SseWriter;
  private readonly translator: ResponsesStreamTranslator;
  private opened = false;

  constructor(
    res: ServerResponse,
    headers: () => Record<string, string>,
    onFirstChunk: () => void,
    request: JsonObject,
    ids: { id: string; createdAt: number },
  ) {
    this.sse = new SseWriter(res, headers, onFirstChunk);
    this.translator = new ResponsesStreamTranslator(
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
    this.translator.finish(usage ? openAiUsage(usage) : null);
    this.sse.end();
  }

  fail(error: { message: string; type: string; code: string }): void {
    this.translator.fail(error);
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
