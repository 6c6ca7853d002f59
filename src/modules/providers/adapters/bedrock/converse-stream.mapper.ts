import type { Usage } from '#src/modules/calls/usage';
import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import type { ChunkSink, JsonObject } from '#src/modules/providers/provider-adapter';
import { openAiUsage } from '#src/modules/providers/adapters/shared/openai.shapes';
import {
  completionId,
  converseUsage,
  finishReason,
} from '#src/modules/providers/adapters/bedrock/converse-response.mapper';

/**
 * ConverseStream events → OpenAI `chat.completion.chunk`s, one per event as it arrives: messageStart → the
 * role; contentBlockStart with a toolUse → a tool call's id and name; contentBlockDelta → text or argument
 * deltas (tool calls numbered in the order they start); messageStop → finish_reason; metadata → the usage
 * of the final usage-only chunk. Exceptions inside the stream reach the caller as thrown SDK errors.
 */
export class ConverseStreamMapper {
  private readonly id: string;
  private readonly created = Math.floor(Date.now() / 1000);
  /** contentBlockIndex → OpenAI tool call index. */
  private readonly toolIndexes = new Map<number, number>();
  private usage: Usage | null = null;

  constructor(
    private readonly model: string,
    private readonly sink: ChunkSink,
    requestId: string | undefined,
  ) {
    this.id = completionId(requestId);
  }

  push(event: ConverseStreamOutput): void {
    if (event.messageStart) this.emit({ role: 'assistant', content: '' });
    else if (event.contentBlockStart?.start?.toolUse) {
      const { toolUseId, name } = event.contentBlockStart.start.toolUse;
      const index = this.toolIndexes.size;
      this.toolIndexes.set(event.contentBlockStart.contentBlockIndex ?? index, index);
      this.emit({ tool_calls: [{ index, id: toolUseId, type: 'function', function: { name, arguments: '' } }] });
    } else if (event.contentBlockDelta?.delta)
      this.delta(event.contentBlockDelta.contentBlockIndex, event.contentBlockDelta.delta);
    else if (event.messageStop) this.emit({}, finishReason(event.messageStop.stopReason));
    else if (event.metadata) this.usage = converseUsage(event.metadata.usage) ?? this.usage;
  }

  /** Sends the usage-only chunk, if Bedrock reported usage, and returns that usage. */
  finish(): Usage | null {
    if (this.usage) this.send({ choices: [], usage: openAiUsage(this.usage) });
    return this.usage;
  }

  private delta(
    blockIndex: number | undefined,
    delta: NonNullable<ConverseStreamOutput['contentBlockDelta']>['delta'],
  ): void {
    if (typeof delta?.text === 'string' && delta.text !== '') this.emit({ content: delta.text });
    const reasoning = delta?.reasoningContent?.text;
    if (typeof reasoning === 'string' && reasoning !== '') this.emit({ reasoning_content: reasoning });
    const input = delta?.toolUse?.input;
    if (typeof input === 'string' && input !== '') {
      const index = this.toolIndexes.get(blockIndex ?? -1) ?? Math.max(0, this.toolIndexes.size - 1);
      this.emit({ tool_calls: [{ index, function: { arguments: input } }] });
    }
  }

  private emit(delta: JsonObject, reason: string | null = null): void {
    this.send({ choices: [{ index: 0, delta, logprobs: null, finish_reason: reason }] });
  }

  private send(fields: JsonObject): void {
    this.sink.chunk({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      ...fields,
    });
  }
}
