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
