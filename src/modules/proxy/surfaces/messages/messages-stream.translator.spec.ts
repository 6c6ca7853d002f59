import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import type { Message, MessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { chatToMessage } from '#src/modules/proxy/surfaces/messages/messages-response.translator';
import { MessagesStreamTranslator } from '#src/modules/proxy/surfaces/messages/messages-stream.translator';

const ids = { id: 'msg_abc' };
const request = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
  tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
  stream: true,
};
const usage = {
  prompt_tokens: 1200,
  completion_tokens: 40,
  total_tokens: 1240,
  prompt_tokens_details: { cached_tokens: 1000 },
  completion_tokens_details: { reasoning_tokens: 0 },
};
const anthropicUsage = {
  input_tokens: 200,
  output_tokens: 40,
  cache_read_input_tokens: 1000,
  cache_creation_input_tokens: 0,
};

function chunk(delta: JsonObject, finishReason: string | null = null): JsonObject {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4.1-2025-04-14',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

const toolDelta = (index: number, fields: JsonObject, args: string): JsonObject => ({
  tool_calls: [{ index, ...fields, function: { ...(fields.name ? { name: fields.name } : {}), arguments: args } }],
});

const usageChunk = (u: JsonObject): JsonObject => ({ ...chunk({}), choices: [], usage: u });

/** Text, then two parallel tool calls streamed id/name first and arguments in fragments, then the usage chunk. */
const CHUNKS: JsonObject[] = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me check ' }),
  chunk({ content: 'both cities (°C).' }),
  chunk(toolDelta(0, { id: 'call_a', type: 'function', name: 'get_weather' }, '')),
  chunk(toolDelta(0, {}, '{"city":')),
  chunk(toolDelta(0, {}, '"Paris"}')),
  chunk(toolDelta(1, { id: 'call_b', type: 'function', name: 'get_weather' }, '{"city"')),
  chunk(toolDelta(1, {}, ':"Rome"}')),
  chunk({}, 'tool_calls'),
  usageChunk(usage),
];

function run(
  chunks: JsonObject[],
  finishUsage: JsonObject | null = null,
): { sut: MessagesStreamTranslator; events: JsonObject[] } {
  const events: JsonObject[] = [];
  const sut = new MessagesStreamTranslator((e) => events.push(e), request, ids);
  sut.start();
  chunks.forEach((c) => sut.chunk(c));
  sut.finish(finishUsage);
  return { sut, events };
}

/** What the gateway writes: one SSE event per translator event. */
function sse(events: JsonObject[]): string {
  return events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

/** The bytes in small pieces cut anywhere (inside a UTF-8 character too), as a network delivers them. */
function byteStream(text: string, size = 7): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/**
 * The SDK's own reading of the SSE bytes. `MessageStream.fromReadableStream` takes newline-delimited JSON
 * (what `Stream.toReadableStream` writes), so the bytes go through the SDK's SSE decoder first, as they do
 * in `client.messages.stream()`.
 */
function sdkStream(events: JsonObject[]): MessageStream {
  const response = new Response(byteStream(sse(events)), { headers: { 'content-type': 'text/event-stream' } });
  const decoded = Stream.fromSSEResponse<MessageStreamEvent>(response, new AbortController());
  return MessageStream.fromReadableStream(decoded.toReadableStream());
}

/** The SDK's final message as JSON, without the `parsed_output: null` its parser adds. */
async function sdkFinalMessage(events: JsonObject[]): Promise<JsonObject> {
  const final: Message = await sdkStream(events).finalMessage();
  const { parsed_output: parsed, ...message } = JSON.parse(JSON.stringify(final)) as JsonObject;
  expect(parsed).toBeNull();
  return message;
}

describe('MessagesStreamTranslator', () => {
  it('sends message_start, one block at a time, then message_delta and message_stop', () => {
    const { events } = run(CHUNKS);
    expect(events.map((e) => [e.type, e.index ?? null])).toEqual([
      ['message_start', null],
      ['content_block_start', 0],
      ['content_block_delta', 0],
      ['content_block_delta', 0],
      ['content_block_stop', 0],
      ['content_block_start', 1],
      ['content_block_delta', 1],
      ['content_block_delta', 1],
      ['content_block_stop', 1],
      ['content_block_start', 2],
      ['content_block_delta', 2],
      ['content_block_delta', 2],
      ['content_block_stop', 2],
      ['message_delta', null],
      ['message_stop', null],
    ]);
    expect(events[0]).toEqual({
      type: 'message_start',
      message: {
        id: 'msg_abc',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      },
    });
    expect(events[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(events[2]).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'Let me check ' },
    });
    expect(events[5]).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} },
    });
    expect(events[6]).toEqual({
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: '{"city":' },
    });
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: anthropicUsage,
    });
  });

  it('assembles what the official SDK assembles from the SSE bytes: text, parsed tool input, stop reason, full usage', async () => {
    const { sut, events } = run(CHUNKS);
    const assembled = sut.assembled();
    expect(assembled).toEqual({
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'Let me check both cities (°C).' },
        { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_b', name: 'get_weather', input: { city: 'Rome' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: anthropicUsage,
    });
    expect(await sdkFinalMessage(events)).toEqual(assembled);
  });

  it('streams what chatToMessage answers for the same completion', () => {
    const { sut } = run(CHUNKS);
    const completion = {
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check both cities (°C).',
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage,
    };
    expect(sut.assembled()).toEqual(chatToMessage(completion, request, ids));
  });

  it('prefers the usage given to finish() over the stream’s own', async () => {
    const given = { prompt_tokens: 50, completion_tokens: 5, prompt_tokens_details: { cache_write_tokens: 30 } };
    const { sut, events } = run([chunk({ content: 'Hi' }, 'stop'), usageChunk(usage)], given);
    const expected = {
      input_tokens: 20,
      output_tokens: 5,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 30,
    };
    expect(sut.assembled().usage).toEqual(expected);
    expect((await sdkFinalMessage(events)).usage).toEqual(expected);
  });

  it('opens a tool call that names itself after its first argument fragment, arguments kept', async () => {
    const { sut, events } = run([
      chunk(toolDelta(0, { id: 'call_x', type: 'function' }, '{"ci')),
      chunk(toolDelta(0, { name: 'get_weather' }, 'ty":"Oslo"}')),
      chunk({}, 'tool_calls'),
    ]);
    expect(sut.assembled().content).toEqual([
      { type: 'tool_use', id: 'call_x', name: 'get_weather', input: { city: 'Oslo' } },
    ]);
    expect((await sdkFinalMessage(events)).content).toEqual(sut.assembled().content);
  });

  it('gives a call without an id a deterministic one', () => {
    const { sut } = run([chunk({ content: 'x' }), chunk(toolDelta(0, { name: 'ls' }, '{}')), chunk({}, 'tool_calls')]);
    expect(sut.assembled().content).toEqual([
      { type: 'text', text: 'x' },
      { type: 'tool_use', id: 'toolu_abc_1', name: 'ls', input: {} },
    ]);
  });

  it.each<[string, JsonObject[], string, string | null]>([
    ['length', [chunk({ content: 'Once upon' }, 'length')], 'max_tokens', null],
    ['content_filter', [chunk({ content: 'I' }, 'content_filter')], 'refusal', null],
    ['a refusal delta', [chunk({ refusal: 'I cannot help.' }), chunk({}, 'stop')], 'refusal', null],
    ['stop', [chunk({ content: 'Done.' }, 'stop')], 'end_turn', null],
    [
      'a named stop sequence',
      [{ ...chunk({ content: 'a' }), choices: [{ index: 0, delta: {}, finish_reason: 'stop', stop_reason: 'END' }] }],
      'stop_sequence',
      'END',
    ],
  ])('ends on %s', async (_name, chunks, stopReason, stopSequence) => {
    const events: JsonObject[] = [];
    const sut = new MessagesStreamTranslator((e) => events.push(e), { ...request, stop_sequences: ['END'] }, ids);
    sut.start();
    chunks.forEach((c) => sut.chunk(c));
    sut.finish(null);
    expect(sut.assembled()).toMatchObject({ stop_reason: stopReason, stop_sequence: stopSequence });
    expect(await sdkFinalMessage(events)).toEqual(sut.assembled());
  });

  it('answers an empty completion with no blocks', async () => {
    const { sut, events } = run([chunk({ role: 'assistant', content: '' }), chunk({}, 'stop')]);
    expect(events.map((e) => e.type)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(sut.assembled().content).toEqual([]);
    expect(await sdkFinalMessage(events)).toEqual(sut.assembled());
  });

  it('only reads choice 0', () => {
    const { sut } = run([
      { ...chunk({}), choices: [{ index: 1, delta: { content: 'other' }, finish_reason: null }] },
      chunk({ content: 'mine' }, 'stop'),
    ]);
    expect(sut.assembled().content).toEqual([{ type: 'text', text: 'mine' }]);
  });

  it('ends a broken stream with an error event the SDK raises, and sends nothing after it', async () => {
    const events: JsonObject[] = [];
    const sut = new MessagesStreamTranslator((e) => events.push(e), request, ids);
    sut.start();
    sut.chunk(chunk({ content: 'Partial' }));
    sut.fail({ type: 'overloaded_error', message: 'Overloaded' });
    sut.chunk(chunk({ content: ' more' }));
    sut.finish(usage);
    expect(events.at(-1)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(events.map((e) => e.type)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'error']);
    await expect(sdkStream(events).finalMessage()).rejects.toMatchObject({
      type: 'overloaded_error',
      apiMessage: 'Overloaded',
    });
    expect(sut.assembled()).toMatchObject({ content: [{ type: 'text', text: 'Partial' }], stop_reason: null });
  });

  it('counts the generated text, tool names and arguments, pending calls included', () => {
    const events: JsonObject[] = [];
    const sut = new MessagesStreamTranslator((e) => events.push(e), request, ids);
    sut.start();
    CHUNKS.slice(0, 6).forEach((c) => sut.chunk(c));
    sut.chunk(chunk(toolDelta(1, { id: 'call_b', type: 'function' }, '{"q":1}')));
    expect(sut.generatedText()).toBe('Let me check both cities (°C).get_weather{"city":"Paris"}{"q":1}');
    expect(sut.assembled()).toMatchObject({ stop_reason: null, usage: { input_tokens: 0 } });
  });
});
