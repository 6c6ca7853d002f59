import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { chatToResponse, responsesUsage } from '#src/modules/proxy/surfaces/responses/responses-response.translator';

const ids = { id: 'resp_abc', createdAt: 1_760_000_000 };
const usage = {
  prompt_tokens: 120,
  completion_tokens: 40,
  total_tokens: 160,
  prompt_tokens_details: { cached_tokens: 100 },
  completion_tokens_details: { reasoning_tokens: 12 },
};
const request = {
  model: 'claude-sonnet',
  instructions: 'Be brief.',
  input: 'Weather in Paris and Rome?',
  tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }, { type: 'web_search' }],
  temperature: 0.3,
  max_output_tokens: 800,
};

function completion(message: JsonObject, finishReason = 'stop'): JsonObject {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'claude-sonnet-4-5-20250929',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }],
    usage,
  };
}

describe('chatToResponse', () => {
  it('turns text and two tool calls into a message and two function_call items, echoing the request', () => {
    const sut = chatToResponse(
      completion(
        {
          content: 'Checking both.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        'tool_calls',
      ),
      request,
      ids,
    );
    expect(sut).toEqual({
      id: 'resp_abc',
      object: 'response',
      created_at: 1_760_000_000,
      status: 'completed',
      background: false,
      error: null,
      incomplete_details: null,
      instructions: 'Be brief.',
      max_output_tokens: 800,
      metadata: {},
      model: 'claude-sonnet',
      output: [
        {
          id: 'msg_abc_0',
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Checking both.', annotations: [], logprobs: [] }],
        },
        {
          id: 'fc_abc_1',
          type: 'function_call',
          status: 'completed',
          arguments: '{"city":"Paris"}',
          call_id: 'call_a',
          name: 'get_weather',
        },
        {
          id: 'fc_abc_2',
          type: 'function_call',
          status: 'completed',
          arguments: '{"city":"Rome"}',
          call_id: 'call_b',
          name: 'get_weather',
        },
      ],
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: false,
      temperature: 0.3,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: request.tools,
      top_p: null,
      truncation: 'disabled',
      usage: {
        input_tokens: 120,
        input_tokens_details: { cached_tokens: 100 },
        output_tokens: 40,
        output_tokens_details: { reasoning_tokens: 12 },
        total_tokens: 160,
      },
    });
  });

  it('answers a cut-off answer (finish_reason length) as incomplete, its last item incomplete', () => {
    const sut = chatToResponse(completion({ content: 'The weather in Par' }, 'length'), request, ids);
    expect(sut.status).toBe('incomplete');
    expect(sut.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(sut.output).toEqual([
      {
        id: 'msg_abc_0',
        type: 'message',
        status: 'incomplete',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'The weather in Par', annotations: [], logprobs: [] }],
      },
    ]);
  });

  it('answers a content_filter stop as incomplete for content_filter', () => {
    const sut = chatToResponse(completion({ content: '' }, 'content_filter'), request, ids);
    expect(sut.incomplete_details).toEqual({ reason: 'content_filter' });
  });

  it('puts a refusal in a refusal part', () => {
    const sut = chatToResponse(completion({ content: null, refusal: "I can't help with that." }), request, ids);
    expect((sut.output as JsonObject[])[0].content).toEqual([{ type: 'refusal', refusal: "I can't help with that." }]);
  });

  it('gives tool calls without text no message item', () => {
    const sut = chatToResponse(
      completion({
        content: null,
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
      }),
      request,
      ids,
    );
    expect((sut.output as JsonObject[]).map((o) => [o.type, o.id])).toEqual([['function_call', 'fc_abc_0']]);
  });

  it('gives an empty answer one empty message, so clients that look for a message find one', () => {
    const sut = chatToResponse(completion({ content: '' }), request, ids);
    expect(sut.output).toEqual([
      {
        id: 'msg_abc_0',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: '', annotations: [], logprobs: [] }],
      },
    ]);
  });

  it('maps chat logprobs onto the output text', () => {
    const c = completion({ content: 'Hi' });
    (c.choices as JsonObject[])[0].logprobs = {
      content: [
        { token: 'Hi', logprob: -0.1, bytes: null, top_logprobs: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105] }] },
      ],
    };
    const sut = chatToResponse(c, request, ids);
    const part = ((sut.output as JsonObject[])[0].content as JsonObject[])[0];
    expect(part.logprobs).toEqual([
      { token: 'Hi', logprob: -0.1, bytes: [], top_logprobs: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105] }] },
    ]);
  });

  it('puts reasoning_content first as a reasoning summary when the request asked for one, else leaves it out', () => {
    const completion = {
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Paris is sunny.', reasoning_content: 'Look up Paris.' },
          finish_reason: 'length',
        },
      ],
    };
    const asked = chatToResponse(completion, { ...request, reasoning: { summary: 'detailed' } }, ids);
    expect(asked.output).toEqual([
      { id: 'rs_abc_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Look up Paris.' }] },
      expect.objectContaining({ id: 'msg_abc_1', type: 'message', status: 'incomplete' }),
    ]);
    const notAsked = chatToResponse(completion, { ...request, reasoning: { effort: 'low' } }, ids);
    expect((notAsked.output as JsonObject[]).map((o) => o.type)).toEqual(['message']);
  });

  it('echoes the request metadata and the client’s settings', () => {
    const sut = chatToResponse(
      completion({ content: 'x' }),
      { ...request, metadata: { ticket: '42' }, tool_choice: 'required', text: { format: { type: 'json_object' } } },
      ids,
    );
    expect(sut).toMatchObject({
      metadata: { ticket: '42' },
      tool_choice: 'required',
      text: { format: { type: 'json_object' } },
    });
  });
});

describe('responsesUsage', () => {
  it.each<[string, JsonObject | undefined, JsonObject | null]>([
    ['no usage', undefined, null],
    [
      'usage without details, total computed',
      { prompt_tokens: 5, completion_tokens: 7 },
      {
        input_tokens: 5,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 7,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 12,
      },
    ],
  ])('%s', (_name, chatUsage, expected) => {
    expect(responsesUsage(chatUsage)).toEqual(expected);
  });
});
