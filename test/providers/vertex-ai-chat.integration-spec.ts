import type { APIError } from 'openai';
import type { ChatCompletionMessageFunctionToolCall } from 'openai/resources/chat/completions';
import { VertexGateway } from '#test/providers/vertex-gateway';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};

describe('vertex-ai provider: chat through the openai SDK', () => {
  const gw = new VertexGateway();
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

  it('translates system, multi-turn history, images, tool calls and results and sampling into one generateContent request', async () => {
    gw.fake.reset({ reply: 'Sunny tomorrow too.' });
    const res = await gw.client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images, and the weather in Paris?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/photos/cat.jpg?size=large' } },
            { type: 'image_url', image_url: { url: 'gs://canary-bucket/dog.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_abc', content: '{"temperature":21}' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      stop: ['END'],
      max_tokens: 50,
      temperature: 0.3,
      top_p: 0.9,
      user: 'dropped-user-id',
    });
    expect(res.choices[0].message.content).toBe('Sunny tomorrow too.');

    const sent = gw.fake.requests[0];
    expect(sent.path).toBe(
      '/v1/projects/canary-project-4417/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent',
    );
    expect(sent.headers.authorization).toMatch(/^Bearer ya29\.canary-access-token-/);
    expect(sent.body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'What is in these images, and the weather in Paris?' },
            { inlineData: { mimeType: 'image/png', data: PNG } },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/photos/cat.jpg?size=large' } },
            { fileData: { mimeType: 'image/png', fileUri: 'gs://canary-bucket/dog.png' } },
          ],
        },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_weather', response: { temperature: 21 } } },
            { text: 'And tomorrow?' },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Current weather of a city',
              parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      generationConfig: { maxOutputTokens: 50, temperature: 0.3, topP: 0.9, stopSequences: ['END'] },
    });
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
  ] as const)('maps tool_choice %s to functionCallingConfig %o', async (choice, config) => {
    await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [WEATHER_TOOL],
      tool_choice: choice,
    });
    expect(gw.fake.requests[0].body.toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('asks for JSON with response_format json_object and a translated responseSchema with json_schema', async () => {
    await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_object' },
    });
    expect(gw.fake.requests[0].body.generationConfig).toEqual({ responseMimeType: 'application/json' });

    await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'A person' }],
      reasoning_effort: 'low',
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          strict: true,
          schema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              name: { type: 'string', description: 'Full name' },
              age: { type: ['integer', 'null'], minimum: 0 },
              role: { enum: ['admin', 'user'] },
              address: { $ref: '#/$defs/address' },
            },
            required: ['name', 'age', 'role', 'address'],
            $defs: { address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
          },
        },
      },
    });
    expect(gw.fake.requests[1].body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      thinkingConfig: { thinkingBudget: 1024 },
      responseSchema: {
        type: 'OBJECT',
        properties: {
          name: { type: 'STRING', description: 'Full name' },
          age: { type: 'INTEGER', nullable: true, minimum: 0 },
          role: { type: 'STRING', enum: ['admin', 'user'] },
          address: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
        },
        required: ['name', 'age', 'role', 'address'],
      },
    });
  });

  it('refuses with a 400 naming the parameter a schema Vertex cannot express, or a parameter it has no equivalent for', async () => {
    const tree = {
      $ref: '#/$defs/node',
      $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } } } },
    };
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { response_format: { type: 'json_schema', json_schema: { name: 'tree', schema: tree } } },
        'response_format.json_schema.schema',
        'invalid_schema',
      ],
      [{ logprobs: true }, 'logprobs', 'unsupported_parameter'],
      [
        { messages: [{ role: 'tool', tool_call_id: 'call_unknown', content: 'x' }] },
        'messages[0].tool_call_id',
        'invalid_value',
      ],
    ];
    for (const [extra, param, code] of cases) {
      const err = (await gw.client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'x' }], ...extra } as never)
        .catch((e: unknown) => e)) as APIError;
      expect({ status: err.status, code: err.code, param: err.param }).toEqual({ status: 400, code, param });
    }
    expect(gw.fake.requests).toHaveLength(0);
  });

  it('answers in OpenAI format with cached prompt tokens and thinking tokens mapped into usage and the billed event', async () => {
    gw.fake.reset({
      reply: 'Done.',
      usage: { promptTokenCount: 100, candidatesTokenCount: 20, cachedContentTokenCount: 40, thoughtsTokenCount: 30 },
    });
    const { data, response } = await gw.client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Think.' }] })
      .withResponse();
    expect(data).toMatchObject({
      object: 'chat.completion',
      model: 'gemini-2.5-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 50,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 40 },
        completion_tokens_details: { reasoning_tokens: 30 },
      },
    });
    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.usage).toEqual({
      promptTokens: 100,
      completionTokens: 50,
      cacheReadTokens: 40,
      cacheWriteTokens: 0,
      reasoningTokens: 30,
      estimated: false,
    });
    expect(event.provider).toMatchObject({ type: 'vertex-ai' });
  });

  it('asks for n candidates and returns them as n choices', async () => {
    const res = await gw.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], n: 2 });
    expect(gw.fake.requests[0].body.generationConfig).toEqual({ candidateCount: 2 });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1]);
  });

  it.each([
    [{ finishReason: 'MAX_TOKENS' }, 'length'],
    [{ finishReason: 'SAFETY' }, 'content_filter'],
    [{ finishReason: 'RECITATION' }, 'content_filter'],
    [{ finishReason: 'PROHIBITED_CONTENT' }, 'content_filter'],
    [{ blockReason: 'BLOCKLIST' }, 'content_filter'],
  ])('maps Gemini %o to finish_reason %s', async (options, expected) => {
    gw.fake.reset(options);
    const res = await gw.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0].finish_reason).toBe(expected);
  });

  it('returns function calls as tool_calls with generated ids, and sends the thought signature back with the call', async () => {
    gw.fake.reset({
      functionCall: { name: 'get_weather', args: { city: 'Paris' }, thoughtSignature: 'c2lnbmF0dXJlLWJ5dGVz' },
    });
    const res = await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [WEATHER_TOOL],
    });
    const call = res.choices[0].message.tool_calls![0] as ChatCompletionMessageFunctionToolCall;
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(res.choices[0].message.content).toBeNull();
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(call.id).toMatch(/^call_[0-9a-f]{24}/);

    gw.fake.reset({ reply: '21 degrees.' });
    await gw.client.chat.completions.create({
      model,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'sunny' },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(gw.fake.requests[0].body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnbmF0dXJlLWJ5dGVz' },
        ],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'sunny' } } }] },
    ]);
  });
});
