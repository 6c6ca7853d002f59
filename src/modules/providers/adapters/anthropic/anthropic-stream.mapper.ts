import { JSON_OBJECT_TOOL } from '#src/modules/providers/adapters/anthropic/anthropic-request.mapper';
import { finishReason, usageFromAnthropic } from '#src/modules/providers/adapters/anthropic/anthropic-response.mapper';
import { isObject, openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { ChunkSink, JsonObject, StreamResult } from '#src/modules/providers/provider-adapter';

/** What an Anthropic content block becomes in OpenAI deltas. */
type BlockKind =
  { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; index: number } | { kind: 'json' } | { kind: 'ignored' };

/**
 * Translates Anthropic's stream events (https://docs.anthropic.com/en/docs/build-with-claude/streaming) into
 * OpenAI `chat.completion.chunk` objects as each event arrives: text_delta → `content`, a tool_use block →
 * a `tool_calls` entry with the next OpenAI index, its input_json_delta → `function.arguments` deltas,
 * thinking_delta → `reasoning_content`.
 * message_stop emits the finish chunk, then a usage-only chunk (`choices: []`) like OpenAI's include_usage.
 * Unknown event types are skipped, as Anthropic's versioning policy asks of clients.
 */
export class AnthropicStreamMapper {
  private id = '';
  private model = '';
  private readonly created = Math.floor(Date.now() / 1000);
  /** Cumulative usage as reported so far; null until Anthropic reports any (then the gateway estimates). */
  private usage: JsonObject | null = null;
  private stopReason: unknown = null;
  private stopped = false;
  private readonly blocks = new Map<number, BlockKind>();
  private toolCalls = 0;

  constructor(
    private readonly sink: ChunkSink,
    private readonly jsonObjectTool: boolean,
    /** Maps an Anthropic error object (from an `error` event, or a stream cut short) to the exception to throw. */
    private readonly fail: (error: unknown) => Error,
  ) {}

  handle(event: JsonObject): void {
    if (this.stopped) return;
    switch (event.type) {
      case 'message_start':
        return this.start(isObject(event.message) ? event.message : {});
      case 'content_block_start':
        return this.blockStart(Number(event.index), isObject(event.content_block) ? event.content_block : {});
      case 'content_block_delta':
        return this.blockDelta(Number(event.index), isObject(event.delta) ? event.delta : {});
      case 'message_delta':
        return this.messageDelta(event);
      case 'message_stop':
        return this.stop();
      case 'error':
        throw this.fail(event.error);
      default:
        // ping, content_block_stop and event types added after this adapter was written
        return;
    }
  }

  /** Called when the upstream body has ended: a stream without message_stop was cut short. */
  finish(): StreamResult {
    if (!this.stopped) throw this.fail({ type: 'api_error', message: 'stream ended before message_stop' });
    return { usage: this.usage ? usageFromAnthropic(this.usage) : null };
  }

  private start(message: JsonObject): void {
    this.id = typeof message.id === 'string' ? message.id : '';
    this.model = typeof message.model === 'string' ? message.model : '';
    if (isObject(message.usage)) this.usage = { ...message.usage };
    this.emit({ role: 'assistant', content: '' });
  }

  private blockStart(index: number, block: JsonObject): void {
    if (block.type === 'text') {
      this.blocks.set(index, { kind: 'text' });
      if (typeof block.text === 'string' && block.text !== '') this.emit({ content: block.text });
    } else if (block.type === 'thinking') {
      this.blocks.set(index, { kind: 'thinking' });
    } else if (block.type === 'tool_use' && this.jsonObjectTool && block.name === JSON_OBJECT_TOOL) {
      this.blocks.set(index, { kind: 'json' });
    } else if (block.type === 'tool_use') {
      const toolIndex = this.toolCalls++;
      this.blocks.set(index, { kind: 'tool', index: toolIndex });
      this.emit({
        tool_calls: [
          { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
        ],
      });
    } else {
      // redacted thinking and server-tool blocks have no OpenAI chunk equivalent
      this.blocks.set(index, { kind: 'ignored' });
    }
  }

  private blockDelta(index: number, delta: JsonObject): void {
    const block = this.blocks.get(index);
    if (!block) return;
    if (block.kind === 'thinking') {
      if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string' && delta.thinking !== '')
        this.emit({ reasoning_content: delta.thinking });
      return;
    }
    const text =
      delta.type === 'text_delta' ? delta.text : delta.type === 'input_json_delta' ? delta.partial_json : null;
    if (typeof text !== 'string' || text === '') return;
    if (block.kind === 'tool') this.emit({ tool_calls: [{ index: block.index, function: { arguments: text } }] });
    else if (block.kind === 'text' || block.kind === 'json') this.emit({ content: text });
  }

  /** message_delta carries the stop reason and cumulative usage (output, and on newer models input/cache too). */
  private messageDelta(event: JsonObject): void {
    const delta = isObject(event.delta) ? event.delta : {};
    if (delta.stop_reason !== undefined) this.stopReason = delta.stop_reason;
    if (!isObject(event.usage)) return;
    const usage = (this.usage ??= {});
    for (const [k, v] of Object.entries(event.usage)) if (v !== null && v !== undefined) usage[k] = v;
  }

  private stop(): void {
    this.stopped = true;
    this.emit({}, finishReason(this.stopReason, this.jsonObjectTool));
    const usage = this.usage ? usageFromAnthropic(this.usage) : null;
    if (usage) this.sink.chunk({ ...this.envelope(), choices: [], usage: openAiUsage(usage, true) });
  }

  private envelope(): JsonObject {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }

  private emit(delta: JsonObject, finish: string | null = null): void {
    this.sink.chunk({ ...this.envelope(), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  }
}
