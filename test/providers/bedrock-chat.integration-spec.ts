import type { APIError } from 'openai';
import { BedrockGateway, CLAUDE } from '#test/providers/bedrock-gateway';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const PARAMETERS = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Current weather of a city', parameters: PARAMETERS },
};
const WEATHER_SPEC = {
  toolSpec: { name: 'get_weather', description: 'Current weather of a city', inputSchema: { json: PARAMETERS } },
};

describe('bedrock provider: chat through the openai SDK', () => {
  const gw = new BedrockGateway();
  let model: string;

  beforeAll(async () => {
    await gw.start();
    model = await gw.model();
  });
  afterAll(() => gw.stop());
  beforeEach(() => {
    gw.fake.reset();
    gw.events.clear();
  });

  it('translates system, multi-turn history, images, tool calls and results and inference settings into one Converse request', async () => {
    gw.fake.reset({ reply: 'Sunny tomorrow too.' });
    const res = await gw.client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image, and the weather in Paris?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          ],
        },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            { id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'tooluse_1', content: '{"temperature":21}' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [WEATHER_TOOL],
      tool_choice: 'auto',
      stop: 'END',
      max_completion_tokens: 64,
      temperature: 0.2,
      top_p: 0.8,
      seed: 7,
    });
    expect(res.choices[0].message.content).toBe('Sunny tomorrow too.');
    const sent = gw.fake.requests[0];
    expect(sent).toMatchObject({ modelId: CLAUDE, operation: 'converse', httpVersion: '1.1' });
    expect(sent.body).toEqual({
      system: [{ text: 'Be brief.' }],
      messages: [
        {
          role: 'user',
          content: [
            { text: 'What is in this image, and the weather in Paris?' },
            { image: { format: 'png', source: { bytes: PNG } } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { text: 'Let me check.' },
            { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } },
          ],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'tooluse_1', content: [{ text: '{"temperature":21}' }] } },
            { text: 'And tomorrow?' },
          ],
        },
      ],
      toolConfig: { tools: [WEATHER_SPEC], toolChoice: { auto: {} } },
      inferenceConfig: { maxTokens: 64, temperature: 0.2, topP: 0.8, stopSequences: ['END'] },
    });
  });

  it.each([
    ['required', 'any', 'required', { tools: [WEATHER_SPEC], toolChoice: { any: {} } }],
    [
      'a named function',
      'tool',
      { type: 'function', function: { name: 'get_weather' } },
      { tools: [WEATHER_SPEC], toolChoice: { tool: { name: 'get_weather' } } },
    ],
    ['none', 'no toolConfig', 'none', undefined],
  ])('maps tool_choice %s to %s', async (_label, _expected, choice, expected) => {
    await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [WEATHER_TOOL],
      tool_choice: choice as never,
    });
    expect(gw.fake.requests[0].body.toolConfig).toEqual(expected);
  });

  it('keeps the tools for tool_choice none when the history has tool calls, which Converse requires', async () => {
    await gw.client.chat.completions.create({
      model,
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 't1', content: 'sunny' },
      ],
      tools: [WEATHER_TOOL],
      tool_choice: 'none',
    });
    expect(gw.fake.requests[0].body.toolConfig).toEqual({ tools: [WEATHER_SPEC] });
  });

  it('asks for structured output when response_format is a json_schema', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
      additionalProperties: false,
    };
    await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'A name' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
    });
    expect(gw.fake.requests[0].body.outputConfig).toEqual({
      textFormat: {
        type: 'json_schema',
        structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'person' } },
      },
    });
  });

  it('refuses with a 400 naming the parameter what Converse cannot take: image links, json_object, several choices', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
          ],
        },
        'messages[0].content[0]',
      ],
      [{ response_format: { type: 'json_object' } }, 'response_format'],
      [{ n: 2 }, 'n'],
      [{ presence_penalty: 0.5 }, 'presence_penalty'],
    ];
    for (const [extra, param] of cases) {
      const err = (await gw.client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'x' }], ...extra } as never)
        .catch((e: unknown) => e)) as APIError;
      expect({ status: err.status, param: err.param, type: err.type }).toEqual({
        status: 400,
        param,
        type: 'invalid_request_error',
      });
    }
    expect(
      (await gw.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], n: 1 })).choices,
    ).toHaveLength(1);
    expect(gw.fake.requests).toHaveLength(1);
  });

  it('answers in OpenAI format with cache reads and writes counted in the prompt, as billed', async () => {
    gw.fake.reset({
      reply: 'Done.',
      usage: { inputTokens: 30, outputTokens: 12, cacheReadInputTokens: 100, cacheWriteInputTokens: 50 },
    });
    const { data, response } = await gw.client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(data).toMatchObject({
      object: 'chat.completion',
      model: CLAUDE,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 180,
        completion_tokens: 12,
        total_tokens: 192,
        prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 50 },
      },
    });
    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.usage).toEqual({
      promptTokens: 180,
      completionTokens: 12,
      cacheReadTokens: 100,
      cacheWriteTokens: 50,
      reasoningTokens: 0,
      estimated: false,
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
  ])('maps stopReason %s to finish_reason %s', async (stopReason, expected) => {
    gw.fake.reset({ stopReason });
    const res = await gw.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0].finish_reason).toBe(expected);
  });

  it('returns toolUse blocks as tool_calls with their ids and JSON-string arguments', async () => {
    gw.fake.reset({ toolUse: { name: 'get_weather', input: { city: 'Paris', days: 2 }, toolUseId: 'tooluse_abc' } });
    const res = await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [WEATHER_TOOL],
    });
    expect(res.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: 'Let me check.',
        tool_calls: [
          {
            id: 'tooluse_abc',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris","days":2}' },
          },
        ],
      },
    });
  });
});
