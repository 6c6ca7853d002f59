import type { ServerResponse } from 'node:http';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject, RawEventSink } from '#src/modules/providers/provider-adapter';
import { SseWriter } from '#src/modules/proxy/sse-writer';

/** A content block as streamed: text (or thinking), or a tool_use with its input as JSON text. */
interface StreamedBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  partial_json?: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Relays a native Anthropic stream to the client event by event, as the provider sent it (no buffering, no
 * re-encoding), and keeps the generated text and tool inputs on the side for the audit log and the estimate.
 */
export class NativeMessagesRelay implements RawEventSink {
  private readonly sse: SseWriter;
  private readonly blocks: StreamedBlock[] = [];

  constructor(res: ServerResponse, headers: () => Record<string, string>, onFirstEvent: () => void) {
    this.sse = new SseWriter(res, headers, onFirstEvent);
  }

  get hasStarted(): boolean {
    return this.sse.hasStarted;
  }

  event(type: string, data: string): void {
    this.record(type, data);
    this.sse.write(`event: ${type}\ndata: ${data}\n\n`);
  }

  backpressure(): Promise<void> | undefined {
    return this.sse.backpressure();
  }

  end(): void {
    this.sse.end();
  }

  /** A failure of the gateway's own after the stream began: Anthropic's `error` event, then the end. */
  fail(error: { message: string; type: string }): void {
    const data = JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } });
    this.sse.end(`event: error\ndata: ${data}\n\n`);
  }

  /** The content blocks so far: text, and tool_use with its input as streamed (JSON text). */
  assembled(): { content: StreamedBlock[] } {
    return { content: this.blocks };
  }

  generatedText(): string {
    return this.blocks.map((b) => (b.text ?? '') + (b.name ?? '') + (b.partial_json ?? '')).join('');
  }

  private record(type: string, data: string): void {
    if (type !== 'content_block_start' && type !== 'content_block_delta') return;
    let event: JsonObject;
    try {
      const parsed: unknown = JSON.parse(data);
      if (!isObject(parsed)) return;
      event = parsed;
    } catch {
      return;
    }
    const index = typeof event.index === 'number' ? event.index : 0;
    if (type === 'content_block_start' && isObject(event.content_block)) {
      const block = event.content_block;
      this.blocks[index] =
        block.type === 'tool_use'
          ? { type: 'tool_use', id: str(block.id), name: str(block.name), partial_json: '' }
          : { type: str(block.type), text: '' };
      return;
    }
    const block = this.blocks[index];
    const delta = isObject(event.delta) ? event.delta : {};
    if (!block) return;
    if (typeof delta.text === 'string') block.text = (block.text ?? '') + delta.text;
    if (typeof delta.thinking === 'string') block.text = (block.text ?? '') + delta.thinking;
    if (typeof delta.partial_json === 'string') block.partial_json = (block.partial_json ?? '') + delta.partial_json;
  }
}
