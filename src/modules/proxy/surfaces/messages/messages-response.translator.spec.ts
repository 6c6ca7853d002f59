import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { chatToMessage, messagesUsage } from '#src/modules/proxy/surfaces/messages/messages-response.translator';

const ids = { id: 'msg_abc' };
const request = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
};
const usage = {
  prompt_tokens: 1200,
  completion_tokens: 40,
  total_tokens: 1240,
  prompt_tokens_details: { cached_tokens: 1000 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

function completion(message: JsonObject, finishReason: string | null = 'stop', extra: JsonObject = {}): JsonObject {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1-2025-04-14',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason, ...extra }],
    usage,
  };
}

const call = (id: string, args: string): JsonObject => ({
  id,
  type: 'function',
  function: { name: 'get_weather', arguments: args },
});

describe('messagesUsage', () => {
  it('excludes cached tokens from input_tokens: 1,200 prompt with 1,000 cached is 200 input and 1,000 cache read', () => {
    expect(messagesUsage(usage)).toEqual({
      input_tokens: 200,
      output_tokens: 40,
      cache_read_input_tokens: 1000,
      cache_creation_input_tokens: 0,
    });
  });

  it('excludes cache writes too, reporting them as cache_creation_input_tokens', () => {
    const sut = messagesUsage({
      prompt_tokens: 5000,
      completion_tokens: 10,
      prompt_tokens_details: { cached_tokens: 3000, cache_write_tokens: 1500 },
    });
    expect(sut).toEqual({
      input_tokens: 500,
      output_tokens: 10,
      cache_read_input_tokens: 3000,
      cache_creation_input_tokens: 1500,
    });
  });

  it.each<[string, JsonObject | null | undefined]>([
    ['null', null],
    ['undefined', undefined],
    ['an empty object', {}],
  ])('reads %s as zeros', (_name, chatUsage) => {
    expect(messagesUsage(chatUsage)).toEqual({
      input_tokens: 0,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it('never reports negative input tokens', () => {
    const sut = messagesUsage({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 12 } });
    expect(sut.input_tokens).toBe(0);
  });
});

describe('chatToMessage', () => {
  it('turns text and two tool calls into a text block and two tool_use blocks with parsed input', () => {
    const sut = chatToMessage(
      completion(
        {
          content: 'Checking both.',
          tool_calls: [call('call_a', '{"city":"Paris"}'), call('call_b', '{"city":"Rome"}')],
        },
        'tool_calls',
      ),
      request,
      ids,
    );
    expect(sut).toEqual({
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'Checking both.' },
        { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_b', name: 'get_weather', input: { city: 'Rome' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 200, output_tokens: 40, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 },
    });
  });

  it.each<[string | null, string]>([
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['tool_calls', 'tool_use'],
    ['content_filter', 'refusal'],
    [null, 'end_turn'],
  ])('maps finish_reason %p to %s', (finishReason, stopReason) => {
    const sut = chatToMessage(completion({ content: 'Hi' }, finishReason), request, ids);
    expect(sut.stop_reason).toBe(stopReason);
    expect(sut.stop_sequence).toBeNull();
  });

  it('reads stop beside tool calls as tool_use, so the client runs them', () => {
    const sut = chatToMessage(completion({ content: null, tool_calls: [call('call_a', '{}')] }, 'stop'), request, ids);
    expect(sut.stop_reason).toBe('tool_use');
    expect(sut.content).toEqual([{ type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} }]);
  });

  it('says stop_sequence when the provider names one of the request stop sequences, else end_turn', () => {
    const withStops = { ...request, stop_sequences: ['END', '###'] };
    const named = chatToMessage(completion({ content: 'a' }, 'stop', { stop_reason: '###' }), withStops, ids);
    expect([named.stop_reason, named.stop_sequence]).toEqual(['stop_sequence', '###']);
    const unnamed = chatToMessage(completion({ content: 'a' }, 'stop'), withStops, ids);
    expect([unnamed.stop_reason, unnamed.stop_sequence]).toEqual(['end_turn', null]);
    const notRequested = chatToMessage(completion({ content: 'a' }, 'stop', { stop_reason: 'other' }), withStops, ids);
    expect(notRequested.stop_reason).toBe('end_turn');
  });

  it('turns a chat refusal into text ending the answer as a refusal', () => {
    const sut = chatToMessage(completion({ content: null, refusal: 'I cannot help with that.' }), request, ids);
    expect(sut.content).toEqual([{ type: 'text', text: 'I cannot help with that.' }]);
    expect(sut.stop_reason).toBe('refusal');
  });

  it('gives unparseable or non-object arguments an empty input, and a missing call id a deterministic one', () => {
    const sut = chatToMessage(
      completion(
        {
          content: null,
          tool_calls: [
            call('call_a', '{"city": "Par'),
            call('call_b', '["Rome"]'),
            { type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          ],
        },
        'tool_calls',
      ),
      request,
      ids,
    );
    expect(sut.content).toEqual([
      { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} },
      { type: 'tool_use', id: 'call_b', name: 'get_weather', input: {} },
      { type: 'tool_use', id: 'toolu_abc_2', name: 'get_weather', input: { city: 'Oslo' } },
    ]);
  });

  it('answers an empty completion with no content and zero usage', () => {
    const sut = chatToMessage({ choices: [{ index: 0, message: { role: 'assistant', content: '' } }] }, request, ids);
    expect(sut.content).toEqual([]);
    expect(sut.stop_reason).toBe('end_turn');
    expect(sut.usage).toEqual(messagesUsage(null));
  });
});
