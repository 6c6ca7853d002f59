import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { chatToResponse } from '#src/modules/proxy/surfaces/responses/responses-response.translator';
import { ResponsesStreamTranslator } from '#src/modules/proxy/surfaces/responses/responses-stream.translator';

const ids = { id: 'resp_abc', createdAt: 1_760_000_000 };
const request = {
  model: 'claude-sonnet',
  input: 'Weather in Paris and Rome?',
  tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
  stream: true,
};
const usage = {
  prompt_tokens: 120,
  completion_tokens: 40,
  total_tokens: 160,
  prompt_tokens_details: { cached_tokens: 100 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

function chunk(delta: JsonObject, finishReason: string | null = null): JsonObject {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'claude-sonnet-4-5',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

const toolDelta = (index: number, fields: JsonObject, args: string): JsonObject => ({
  tool_calls: [{ index, ...fields, function: { ...(fields.name ? { name: fields.name } : {}), arguments: args } }],
});

/** Text, then two parallel tool calls streamed id/name first and arguments in fragments, then the usage chunk. */
const CHUNKS: JsonObject[] = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me check ' }),
  chunk({ content: 'both cities.' }),
  chunk(toolDelta(0, { id: 'call_a', type: 'function', name: 'get_weather' }, '')),
  chunk(toolDelta(0, {}, '{"city":')),
  chunk(toolDelta(0, {}, '"Paris"}')),
  chunk(toolDelta(1, { id: 'call_b', type: 'function', name: 'get_weather' }, '{"city"')),
  chunk(toolDelta(1, {}, ':"Rome"}')),
  chunk({}, 'tool_calls'),
  { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'claude-sonnet-4-5', choices: [], usage },
];

function run(chunks: JsonObject[], finishUsage: JsonObject | null = null, req: JsonObject = request): JsonObject[] {
  const events: JsonObject[] = [];
  const sut = new ResponsesStreamTranslator((e) => events.push(e), req, ids);
  sut.start();
  chunks.forEach((c) => sut.chunk(c));
  sut.finish(finishUsage);
  // what the client reads: each event as JSON
  return events.map((e) => JSON.parse(JSON.stringify(e)) as JsonObject);
}

function accumulate(events: JsonObject[]): Response {
  let snapshot: Response | undefined;
  for (const event of events) snapshot = accumulateResponse(event as unknown as ResponseStreamEvent, snapshot);
  return snapshot!;
}

describe('ResponsesStreamTranslator', () => {
  it('sends the typed events in order, numbered from 0', () => {
    const events = run(CHUNKS);
    expect(events.map((e) => [e.type, e.output_index ?? null])).toEqual([
      ['response.created', null],
      ['response.in_progress', null],
      ['response.output_item.added', 0],
      ['response.content_part.added', 0],
      ['response.output_text.delta', 0],
      ['response.output_text.delta', 0],
      ['response.output_text.done', 0],
      ['response.content_part.done', 0],
      ['response.output_item.done', 0],
      ['response.output_item.added', 1],
      ['response.function_call_arguments.delta', 1],
      ['response.function_call_arguments.delta', 1],
      ['response.output_item.added', 2],
      ['response.function_call_arguments.delta', 2],
      ['response.function_call_arguments.delta', 2],
      ['response.function_call_arguments.done', 1],
      ['response.output_item.done', 1],
      ['response.function_call_arguments.done', 2],
      ['response.output_item.done', 2],
      ['response.completed', null],
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0].response).toMatchObject({
      id: 'resp_abc',
      status: 'in_progress',
      output: [],
      model: 'claude-sonnet',
    });
    expect(events[4]).toEqual({
      type: 'response.output_text.delta',
      sequence_number: 4,
      item_id: 'msg_abc_0',
      output_index: 0,
      content_index: 0,
      delta: 'Let me check ',
      logprobs: [],
    });
  });

  it("builds, through the openai SDK's own accumulator, exactly the output response.completed carries", () => {
    const events = run(CHUNKS);
    const completed = events[events.length - 1].response as JsonObject;
    const sut = accumulate(events.slice(0, -1));
    expect(sut.output).toEqual(completed.output);
    expect(sut.output_text).toBe('Let me check both cities.');
    expect(accumulate(events).output_text).toBe('Let me check both cities.');
    expect(completed.output).toEqual([
      expect.objectContaining({ type: 'message', id: 'msg_abc_0', status: 'completed' }),
      expect.objectContaining({ type: 'function_call', call_id: 'call_a', arguments: '{"city":"Paris"}' }),
      expect.objectContaining({ type: 'function_call', call_id: 'call_b', arguments: '{"city":"Rome"}' }),
    ]);
  });

  it('completes with the same response chatToResponse gives for the same answer, usage from the usage chunk', () => {
    const events = run(CHUNKS);
    const completion = {
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check both cities.',
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
    expect(events[events.length - 1].response).toEqual(chatToResponse(completion, request, ids));
  });

  it('takes the usage finish() is given over the stream’s own', () => {
    const events = run(CHUNKS, { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    expect((events[events.length - 1].response as JsonObject).usage).toMatchObject({
      input_tokens: 1,
      output_tokens: 2,
    });
  });

  it('ends a cut-off answer with response.incomplete and an incomplete message', () => {
    const events = run([chunk({ content: 'The weather in Par' }), chunk({}, 'length')]);
    const last = events[events.length - 1];
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ type: 'message', status: 'incomplete' }],
    });
    expect(accumulate(events.slice(0, -1)).output).toEqual((last.response as JsonObject).output);
  });

  it('streams a refusal as refusal events in a refusal part', () => {
    const events = run([chunk({ refusal: "I can't " }), chunk({ refusal: 'help.' }), chunk({}, 'stop')]);
    expect(events.map((e) => e.type)).toContain('response.refusal.delta');
    const last = events[events.length - 1].response as JsonObject;
    expect(accumulate(events.slice(0, -1)).output).toEqual(last.output);
    expect((last.output as JsonObject[])[0].content).toEqual([{ type: 'refusal', refusal: "I can't help." }]);
  });

  it('opens a tool call once its name arrives, the arguments held until then sent as one delta', () => {
    const events = run([
      chunk({ tool_calls: [{ index: 0, id: 'call_x', function: { arguments: '{"a"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: ':1}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    expect(events.slice(2, 4).map((e) => [e.type, e.delta ?? null])).toEqual([
      ['response.output_item.added', null],
      ['response.function_call_arguments.delta', '{"a":1}'],
    ]);
    expect(accumulate(events).output).toEqual([
      {
        id: 'fc_abc_0',
        type: 'function_call',
        status: 'completed',
        arguments: '{"a":1}',
        call_id: 'call_x',
        name: 'f',
      },
    ]);
  });

  describe('reasoning summaries', () => {
    const withSummary = { ...request, reasoning: { effort: 'medium', summary: 'auto' } };
    const THINKING: JsonObject[] = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'The user wants ' }),
      chunk({ reasoning_content: 'the weather.' }),
      chunk({ content: 'Checking.' }),
      chunk(toolDelta(0, { id: 'call_a', type: 'function', name: 'get_weather' }, '{"city":"Paris"}')),
      chunk({}, 'tool_calls'),
    ];

    it('streams reasoning_content as a reasoning item with one summary part, before the message', () => {
      const events = run(THINKING, usage, withSummary);
      expect(events.slice(2, 9).map((e) => [e.type, e.output_index ?? null])).toEqual([
        ['response.output_item.added', 0],
        ['response.reasoning_summary_part.added', 0],
        ['response.reasoning_summary_text.delta', 0],
        ['response.reasoning_summary_text.delta', 0],
        ['response.reasoning_summary_text.done', 0],
        ['response.reasoning_summary_part.done', 0],
        ['response.output_item.done', 0],
      ]);
      expect(events[4]).toEqual({
        type: 'response.reasoning_summary_text.delta',
        sequence_number: 4,
        item_id: 'rs_abc_0',
        output_index: 0,
        summary_index: 0,
        delta: 'The user wants ',
      });
      const completed = events[events.length - 1].response as JsonObject;
      expect(completed.output).toEqual([
        { id: 'rs_abc_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'The user wants the weather.' }] },
        expect.objectContaining({ type: 'message', id: 'msg_abc_1' }),
        expect.objectContaining({ type: 'function_call', id: 'fc_abc_2', arguments: '{"city":"Paris"}' }),
      ]);
      // the openai SDK's accumulator builds the same output from the events
      expect(accumulate(events.slice(0, -1)).output).toEqual(completed.output);
    });

    it('matches chatToResponse for the same answer', () => {
      const completion = {
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: 'Checking.',
              reasoning_content: 'The user wants the weather.',
              tool_calls: [
                { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage,
      };
      const events = run(THINKING, usage, withSummary);
      expect(events[events.length - 1].response).toEqual(chatToResponse(completion, withSummary, ids));
    });

    it('leaves reasoning out when the request asked for no summary, and counts it as generated either way', () => {
      const events = run(THINKING, usage);
      expect(events.map((e) => e.type)).not.toContain('response.reasoning_summary_text.delta');
      const output = (events[events.length - 1].response as JsonObject).output as JsonObject[];
      expect(output.map((o) => o.type)).toEqual(['message', 'function_call']);
    });
  });

  it('translates only choice 0', () => {
    const other = { ...chunk({ content: 'other' }), choices: [{ index: 1, delta: { content: 'other' } }] };
    const events = run([other, chunk({ content: 'mine' }), chunk({}, 'stop')]);
    expect(accumulate(events).output_text).toBe('mine');
  });

  it('gives an empty answer one empty message', () => {
    const events = run([chunk({ role: 'assistant', content: '' }), chunk({}, 'stop')]);
    expect(accumulate(events.slice(0, -1)).output).toEqual((events[events.length - 1].response as JsonObject).output);
    expect(accumulate(events).output_text).toBe('');
  });

  it('ends a broken stream with one error event and nothing after it', () => {
    const events: JsonObject[] = [];
    const sut = new ResponsesStreamTranslator((e) => events.push(e), request, ids);
    sut.start();
    sut.chunk(chunk({ content: 'Hi' }));
    sut.fail({ message: 'The provider failed.', type: 'api_error', code: 'upstream_error' });
    sut.chunk(chunk({ content: 'late' }));
    sut.finish(null);
    expect(events[events.length - 1]).toEqual({
      type: 'error',
      sequence_number: events.length - 1,
      code: 'upstream_error',
      message: 'The provider failed.',
      param: null,
    });
  });

  it('reports what was generated so far and the response assembled so far', () => {
    const sut = new ResponsesStreamTranslator(() => undefined, request, ids);
    sut.start();
    CHUNKS.slice(0, 6).forEach((c) => sut.chunk(c));
    expect(sut.generatedText()).toBe('Let me check both cities.get_weather{"city":"Paris"}');
    expect(sut.assembled()).toMatchObject({
      status: 'in_progress',
      output: [
        { type: 'message', status: 'completed' },
        { type: 'function_call', status: 'in_progress', arguments: '{"city":"Paris"}' },
      ],
    });
    sut.finish(null);
    expect(sut.assembled()).toMatchObject({ status: 'completed' });
  });
});
