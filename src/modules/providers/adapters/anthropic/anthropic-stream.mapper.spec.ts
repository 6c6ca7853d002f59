import { AnthropicStreamMapper } from '#src/modules/providers/adapters/anthropic/anthropic-stream.mapper';
import { finishReason, usageFromAnthropic } from '#src/modules/providers/adapters/anthropic/anthropic-response.mapper';
import type { JsonObject } from '#src/modules/providers/provider-adapter';

function translator(jsonObjectTool = false): { sut: AnthropicStreamMapper; chunks: JsonObject[] } {
  const chunks: JsonObject[] = [];
  const sut = new AnthropicStreamMapper({ chunk: (c) => chunks.push(c) }, jsonObjectTool, (e) => {
    return new Error(`failed: ${JSON.stringify(e)}`);
  });
  return { sut, chunks };
}

const start = (usage: JsonObject = { input_tokens: 10, output_tokens: 1 }): JsonObject => ({
  type: 'message_start',
  message: { id: 'msg_1', model: 'claude-x', usage },
});

describe('Anthropic → OpenAI usage and finish reasons', () => {
  it.each([
    [
      { input_tokens: 10, output_tokens: 3 },
      { promptTokens: 10, completionTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0 },
    ],
    [
      { input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 },
      { promptTokens: 117, completionTokens: 3, cacheReadTokens: 100, cacheWriteTokens: 7 },
    ],
    [
      { input_tokens: 5, output_tokens: 50, output_tokens_details: { thinking_tokens: 20 } },
      { promptTokens: 5, completionTokens: 50, reasoningTokens: 20 },
    ],
    [
      { input_tokens: null, output_tokens: 2, cache_read_input_tokens: null },
      { promptTokens: 0, completionTokens: 2 },
    ],
  ])('counts %j as %j in OpenAI semantics', (usage, expected) => {
    expect(usageFromAnthropic(usage)).toMatchObject(expected);
  });

  it.each([
    ['end_turn', false, 'stop'],
    ['pause_turn', false, 'stop'],
    ['model_context_window_exceeded', false, 'length'],
    ['tool_use', true, 'stop'],
    [null, false, 'stop'],
    ['a_future_reason', false, 'stop'],
  ])('maps stop reason %s (json_object tool: %s) to %s', (reason, jsonTool, expected) => {
    expect(finishReason(reason, jsonTool)).toBe(expected);
  });
});

describe('AnthropicStreamMapper', () => {
  it('takes cumulative usage from message_delta over message_start, including input counts newer models send there', () => {
    const { sut, chunks } = translator();
    sut.handle(start({ input_tokens: 10, cache_read_input_tokens: 0, output_tokens: 1 }));
    sut.handle({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 42, input_tokens: 12, cache_read_input_tokens: 30, cache_creation_input_tokens: null },
    });
    sut.handle({ type: 'message_stop' });
    expect(sut.finish().usage).toMatchObject({ promptTokens: 42, completionTokens: 42, cacheReadTokens: 30 });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 42, total_tokens: 84 } });
  });

  it('sends thinking as reasoning_content; skips signatures, ping, content_block_stop and unknown event types', () => {
    const { sut, chunks } = translator();
    sut.handle(start());
    sut.handle({ type: 'ping' });
    sut.handle({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } });
    sut.handle({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } });
    sut.handle({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQB' } });
    sut.handle({ type: 'content_block_stop', index: 0 });
    sut.handle({ type: 'a_future_event', payload: {} });
    sut.handle({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } });
    sut.handle({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } });
    const deltas = chunks.map((c) => (c.choices as JsonObject[])[0].delta);
    expect(deltas).toEqual([{ role: 'assistant', content: '' }, { reasoning_content: 'hmm' }, { content: 'Hi' }]);
  });

  it('numbers tool calls in order of appearance, whatever their Anthropic block index', () => {
    const { sut, chunks } = translator();
    sut.handle(start());
    for (const [index, id] of [
      [1, 'toolu_a'],
      [3, 'toolu_b'],
    ] as const) {
      sut.handle({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name: 'f', input: {} } });
      sut.handle({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '{}' } });
    }
    const calls = chunks.flatMap((c) => ((c.choices as JsonObject[])[0].delta as JsonObject).tool_calls ?? []);
    expect(calls).toEqual([
      { index: 0, id: 'toolu_a', type: 'function', function: { name: 'f', arguments: '' } },
      { index: 0, function: { arguments: '{}' } },
      { index: 1, id: 'toolu_b', type: 'function', function: { name: 'f', arguments: '' } },
      { index: 1, function: { arguments: '{}' } },
    ]);
  });

  it('reports no usage when Anthropic sent none, so the gateway estimates', () => {
    const { sut } = translator();
    sut.handle({ type: 'message_start', message: { id: 'msg_1', model: 'claude-x' } });
    sut.handle({ type: 'message_stop' });
    expect(sut.finish().usage).toBeNull();
  });

  it('fails a stream that ended without message_stop, and throws error events', () => {
    const { sut } = translator();
    sut.handle(start());
    expect(() => sut.finish()).toThrow('stream ended before message_stop');
    expect(() => sut.handle({ type: 'error', error: { type: 'overloaded_error' } })).toThrow('overloaded_error');
  });
});
