import type { ServerResponse } from 'node:http';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { anthropicErrorEvent, RawEventRelay } from '#src/modules/proxy/surfaces/raw-event.relay';

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
 * Relays a native Anthropic stream to the client event by event, as the provider sent it, and keeps the
 * generated text and tool inputs on the side for the audit log and the estimate.
 */
export class NativeMessagesRelay extends RawEventRelay {
  private readonly blocks: StreamedBlock[] = [];
  /** `message_start`'s message and `message_delta`'s stop and usage, for the answer the cache keeps. */
  private message: JsonObject | null = null;
  private delta: JsonObject | null = null;
  private deltaUsage: JsonObject | null = null;
  private stopped = false;

  constructor(res: ServerResponse, headers: () => Record<string, string>, onFirstEvent: () => void) {
    super(res, headers, onFirstEvent, anthropicErrorEvent);
  }

  override event(type: string, data: string): void {
    this.record(type, data);
    super.event(type, data);
  }

  /** The content blocks so far: text, and tool_use with its input as streamed (JSON text). */
  assembled(): { content: StreamedBlock[] } {
    return { content: this.blocks };
  }

  /**
   * The complete stream as the `message` the same request would have got unstreamed, for the response cache;
   * null when it did not end (`message_stop`) or holds blocks other than text and tool_use (thinking, with its
   * signature, is not kept apart here).
   */
  answer(): JsonObject | null {
    if (!this.stopped || !this.message || this.blocks.some((b) => b.type !== 'text' && b.type !== 'tool_use'))
      return null;
    const content: JsonObject[] = [];
    for (const b of this.blocks) {
      if (!b) return null;
      if (b.type === 'text') content.push({ type: 'text', text: b.text ?? '' });
      else {
        let input: unknown;
        try {
          input = b.partial_json ? JSON.parse(b.partial_json) : {};
        } catch {
          return null;
        }
        content.push({ type: 'tool_use', id: b.id ?? '', name: b.name ?? '', input });
      }
    }
    const usage = { ...((this.message.usage as JsonObject | undefined) ?? {}), ...(this.deltaUsage ?? {}) };
    return {
      ...this.message,
      content,
      stop_reason: this.delta?.stop_reason ?? null,
      stop_sequence: this.delta?.stop_sequence ?? null,
      usage,
    };
  }

  generatedText(): string {
    return this.blocks.map((b) => (b.text ?? '') + (b.name ?? '') + (b.partial_json ?? '')).join('');
  }

  private record(type: string, data: string): void {
    if (type === 'message_stop') this.stopped = true;
    if (
      type !== 'content_block_start' &&
      type !== 'content_block_delta' &&
      type !== 'message_start' &&
      type !== 'message_delta'
    )
      return;
    let event: JsonObject;
    try {
      const parsed: unknown = JSON.parse(data);
      if (!isObject(parsed)) return;
      event = parsed;
    } catch {
      return;
    }
    if (type === 'message_start') {
      this.message = isObject(event.message) ? event.message : null;
      return;
    }
    if (type === 'message_delta') {
      this.delta = isObject(event.delta) ? event.delta : null;
      this.deltaUsage = isObject(event.usage) ? event.usage : null;
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
