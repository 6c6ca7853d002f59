import type { ServerResponse } from 'node:http';
import type { RawEventSink } from '#src/modules/providers/provider-adapter';
import { SseWriter } from '#src/modules/proxy/sse-writer';

/** How a surface writes the error event that ends a stream the gateway itself had to break. */
export type ErrorEventFormat = (error: { message: string; type: string; code?: string }) => string;

/**
 * Relays a natively spoken stream (Anthropic Messages, OpenAI Responses) event by event as the provider sent
 * it: no buffering, no re-encoding; headers with the first event and backpressure as every stream (SseWriter).
 */
export class RawEventRelay implements RawEventSink {
  private readonly sse: SseWriter;

  constructor(
    res: ServerResponse,
    headers: () => Record<string, string>,
    onFirstEvent: () => void,
    private readonly errorEvent: ErrorEventFormat,
  ) {
    this.sse = new SseWriter(res, headers, onFirstEvent);
  }

  get hasStarted(): boolean {
    return this.sse.hasStarted;
  }

  event(type: string, data: string): void {
    this.sse.write(`event: ${type}\ndata: ${data}\n\n`);
  }

  backpressure(): Promise<void> | undefined {
    return this.sse.backpressure();
  }

  end(): void {
    this.sse.end();
  }

  /** A failure of the gateway's own after the stream began: the surface's error event, then the end. */
  fail(error: { message: string; type: string; code?: string }): void {
    this.sse.end(this.errorEvent(error));
  }
}

/** Anthropic's stream error event. */
export const anthropicErrorEvent: ErrorEventFormat = (error) =>
  `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } })}\n\n`;

/** The Responses API's stream error event. */
export const responsesErrorEvent: ErrorEventFormat = (error) =>
  `event: error\ndata: ${JSON.stringify({ type: 'error', code: error.code ?? error.type, message: error.message, param: null })}\n\n`;
