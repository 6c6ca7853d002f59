import { chatReplay } from '#src/modules/proxy/surfaces/chat-replay';
import { messagesReplay } from '#src/modules/proxy/surfaces/messages/messages-replay';
import { responsesReplay } from '#src/modules/proxy/surfaces/responses/responses-replay';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed events under test, checked by expect()
type Event = Record<string, any>;
const dataOf = (events: string[]): Event[] =>
  events.filter((e) => !e.includes('[DONE]')).map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)) as Event);

describe('replaying a cached answer as SSE', () => {
  it('chat: role, tool call with its whole arguments, finish reason, usage only when asked, [DONE]', () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    };
    const events = chatReplay(completion, true);
    expect(events.at(-1)).toBe('data: [DONE]\n\n');
    const chunks = dataOf(events);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'chatcmpl-1')).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[1].choices[0].delta.tool_calls).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
    ]);
    expect(chunks[2].choices[0].finish_reason).toBe('tool_calls');
    expect(chunks[3]).toMatchObject({ choices: [], usage: completion.usage });
    expect(dataOf(chatReplay(completion, false)).some((c) => c.usage)).toBe(false);
  });

  it('messages: tool_use input as one input_json_delta, thinking with its signature, stop reason and usage', () => {
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 'sig' },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 7 },
    };
    const events = dataOf(messagesReplay(message));
    expect(events.map((e): unknown => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0].message).toMatchObject({ content: [], stop_reason: null, usage: { output_tokens: 0 } });
    expect(events[3].delta).toEqual({ type: 'signature_delta', signature: 'sig' });
    expect(events[5].content_block).toEqual({ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} });
    expect(events[6].delta).toEqual({ type: 'input_json_delta', partial_json: '{"a":1}' });
    expect(events[8]).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: message.usage });
  });

  it('responses: a function call item with its arguments, numbered events, the whole response at the end', () => {
    const response = {
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      output: [{ type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"a":1}' }],
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    };
    const events = dataOf(responsesReplay(response));
    expect(events.map((e): unknown => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e): unknown => e.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(events[0].response).toMatchObject({ status: 'in_progress', output: [] });
    expect(events[4].arguments).toBe('{"a":1}');
    expect(events[6].response).toEqual(response);
  });
});
