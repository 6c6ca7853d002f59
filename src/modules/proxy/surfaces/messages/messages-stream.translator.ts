import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import {
  matchedStopSequence,
  type MessageIds,
  messageObject,
  messagesUsage,
  type StopState,
  stopState,
  toolUseBlock,
  toolUseId,
} from '#src/modules/proxy/surfaces/messages/messages-response.translator';

interface TextBlock {
  kind: 'text';
  index: number;
  text: string;
}

interface ToolBlock {
  kind: 'tool_use';
  index: number;
  id: string;
  name: string;
  arguments: string;
}

type Block = TextBlock | ToolBlock;

/** A tool call as chat streams it (id and name first, then argument fragments), until it has a name. */
interface PendingCall {
  id: string;
  name: string;
  arguments: string;
  block: ToolBlock | null;
}

/**
 * OpenAI `chat.completion.chunk`s (choice 0) → Anthropic's stream events, `message_start` … `message_stop`.
 * Text opens a text block; each tool call opens a tool_use block once its name is known; a block closes
 * when the next one opens, and the last in `finish()`. The caller writes each event as `event:`/`data:` lines.
 */
export class MessagesStreamTranslator {
  private readonly blocks: Block[] = [];
  private open: Block | null = null;
  private readonly calls = new Map<number, PendingCall>();
  private finishReason: unknown = null;
  private stopSequence: string | null = null;
  private refused = false;
  private chunkUsage: JsonObject | null = null;
  private final: JsonObject | null = null;
  private ended = false;

  constructor(
    private readonly emit: (event: JsonObject) => void,
    private readonly request: JsonObject,
    private readonly ids: MessageIds,
  ) {}

  /** `message_start`, with zero usage: the counts arrive with the last chunk, and go in `message_delta`. */
  start(): void {
    const message = messageObject(this.request, this.ids, [], null, messagesUsage(null));
    this.emit({ type: 'message_start', message });
  }

  chunk(chatChunk: JsonObject): void {
    if (this.ended) return;
    if (isObject(chatChunk.usage)) this.chunkUsage = chatChunk.usage;
    const choices = Array.isArray(chatChunk.choices) ? chatChunk.choices.filter(isObject) : [];
    const choice = choices.find((c) => (c.index ?? 0) === 0);
    if (!choice) return;
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === 'string' && delta.content !== '') this.text(delta.content);
    if (typeof delta.refusal === 'string' && delta.refusal !== '') {
      this.refused = true;
      this.text(delta.refusal);
    }
    if (Array.isArray(delta.tool_calls)) delta.tool_calls.filter(isObject).forEach((tc) => this.toolCall(tc));
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    this.stopSequence = matchedStopSequence(choice, this.request) ?? this.stopSequence;
  }

  /** Closes the open block, then `message_delta` with the complete usage (`usage`, else the stream's own). */
  finish(usage: JsonObject | null): void {
    if (this.ended) return;
    this.ended = true;
    for (const pending of this.calls.values()) if (!pending.block) this.openCall(pending);
    this.closeBlock();
    const stop = this.stop();
    const finalUsage = messagesUsage(usage ?? this.chunkUsage);
    this.emit({ type: 'message_delta', delta: { ...stop }, usage: finalUsage });
    this.emit({ type: 'message_stop' });
    this.final = messageObject(this.request, this.ids, this.content(), stop, finalUsage);
  }

  /** Ends a broken stream with an `error` event; nothing is sent after it. */
  fail(error: { type: string; message: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.emit({ type: 'error', error: { type: error.type, message: error.message } });
  }

  /** The message so far (the complete one after `finish()`), for the audit log. */
  assembled(): JsonObject {
    return this.final ?? messageObject(this.request, this.ids, this.content(), null, messagesUsage(this.chunkUsage));
  }

  /** Everything the model generated (text, tool names and arguments), for counting tokens. */
  generatedText(): string {
    const text = this.blocks.map((b) => (b.kind === 'text' ? b.text : b.name + b.arguments));
    const pending = [...this.calls.values()].filter((c) => !c.block).map((c) => c.name + c.arguments);
    return [...text, ...pending].join('');
  }

  private stop(): StopState {
    const hasToolUse = this.blocks.some((b) => b.kind === 'tool_use');
    return stopState(this.refused ? 'content_filter' : this.finishReason, hasToolUse, this.stopSequence);
  }

  private content(): JsonObject[] {
    return this.blocks.map((b) =>
      b.kind === 'text' ? { type: 'text', text: b.text } : toolUseBlock(b.id, b.name, b.arguments),
    );
  }

  private text(delta: string): void {
    let block = this.open;
    if (block?.kind !== 'text') {
      block = { kind: 'text', index: this.blocks.length, text: '' };
      this.openBlock(block, { type: 'text', text: '' });
    }
    block.text += delta;
    this.emit({ type: 'content_block_delta', index: block.index, delta: { type: 'text_delta', text: delta } });
  }

  private toolCall(tc: JsonObject): void {
    const index = typeof tc.index === 'number' ? tc.index : this.calls.size;
    let pending = this.calls.get(index);
    if (!pending) {
      pending = { id: '', name: '', arguments: '', block: null };
      this.calls.set(index, pending);
    }
    const fn = isObject(tc.function) ? tc.function : {};
    if (typeof tc.id === 'string' && pending.id === '') pending.id = tc.id;
    if (typeof fn.name === 'string' && !pending.block) pending.name += fn.name;
    const fragment = typeof fn.arguments === 'string' ? fn.arguments : '';
    if (pending.block) return this.appendArguments(pending.block, fragment);
    pending.arguments += fragment;
    // content_block_start carries the name, so the block opens once there is one; earlier arguments follow
    if (pending.name !== '') this.openCall(pending);
  }

  private openCall(pending: PendingCall): void {
    const index = this.blocks.length;
    const block: ToolBlock = {
      kind: 'tool_use',
      index,
      id: pending.id || toolUseId(this.ids, index),
      name: pending.name,
      arguments: '',
    };
    pending.block = block;
    this.openBlock(block, { type: 'tool_use', id: block.id, name: block.name, input: {} });
    this.appendArguments(block, pending.arguments);
  }

  /**
   * Providers send one call's fragments before the next call's; should one interleave them anyway, a late
   * fragment still goes to its own block's index (clients accumulate by index), so no argument is lost.
   */
  private appendArguments(block: ToolBlock, fragment: string): void {
    if (fragment === '') return;
    block.arguments += fragment;
    const delta = { type: 'input_json_delta', partial_json: fragment };
    this.emit({ type: 'content_block_delta', index: block.index, delta });
  }

  private openBlock(block: Block, contentBlock: JsonObject): void {
    this.closeBlock();
    this.blocks.push(block);
    this.open = block;
    this.emit({ type: 'content_block_start', index: block.index, content_block: contentBlock });
  }

  private closeBlock(): void {
    if (!this.open) return;
    this.emit({ type: 'content_block_stop', index: this.open.index });
    this.open = null;
  }
}
