import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject } from '#src/modules/providers/provider-adapter';

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The streamed start of a content block (empty) and the deltas that fill it, as Anthropic streams them. */
function blockEvents(block: JsonObject): { start: JsonObject; deltas: JsonObject[] } {
  switch (block.type) {
    case 'text':
      return { start: { ...block, text: '' }, deltas: [{ type: 'text_delta', text: text(block.text) }] };
    case 'tool_use':
    case 'server_tool_use':
      return {
        start: { ...block, input: {} },
        deltas: [{ type: 'input_json_delta', partial_json: JSON.stringify(block.input ?? {}) }],
      };
    case 'thinking':
      return {
        start: { ...block, thinking: '', signature: '' },
        deltas: [
          { type: 'thinking_delta', thinking: text(block.thinking) },
          ...(typeof block.signature === 'string' ? [{ type: 'signature_delta', signature: block.signature }] : []),
        ],
      };
    default:
      // whole blocks (redacted thinking, tool results of server tools) arrive complete in their start event
      return { start: block, deltas: [] };
  }
}

/**
 * A cached Anthropic `message` replayed as the events Anthropic streams for it (SPEC §14): `message_start`
 * (content empty, output tokens 0), per block `content_block_start`, its deltas and `content_block_stop`,
 * `message_delta` with the stop reason and usage, `message_stop`.
 */
export function messagesReplay(cached: unknown): string[] {
  const message = isObject(cached) ? cached : {};
  const events: string[] = [];
  const send = (type: string, fields: JsonObject): void => {
    events.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`);
  };
  const usage = isObject(message.usage) ? message.usage : {};
  send('message_start', {
    message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } },
  });
  const blocks = Array.isArray(message.content) ? message.content.filter(isObject) : [];
  blocks.forEach((block, index) => {
    const { start, deltas } = blockEvents(block);
    send('content_block_start', { index, content_block: start });
    for (const delta of deltas) send('content_block_delta', { index, delta });
    send('content_block_stop', { index });
  });
  send('message_delta', {
    delta: { stop_reason: message.stop_reason ?? 'end_turn', stop_sequence: message.stop_sequence ?? null },
    usage,
  });
  send('message_stop', {});
  return events;
}
