import type OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { FakeAnthropic } from '#test/utils/fake-anthropic';
import { type ProviderGateway, startProviderGateway } from '#test/providers/provider-gateway';

const CANARY = 'sk-ant-canary-chat-5e0c2b9d41';
const UPSTREAM_MODEL = 'claude-sonnet-4-6';

const weather: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('anthropic provider: OpenAI requests and answers translated both ways', () => {
  let fake: FakeAnthropic;
  let gw: ProviderGateway;
  let client: OpenAI;
  const sent = () => fake.requests[0].body;

  beforeAll(async () => {
    fake = await new FakeAnthropic(CANARY).start();
    gw = await startProviderGateway({
      type: 'anthropic',
      baseUrl: fake.url,
      credentials: { api_key: CANARY },
      providerModelId: UPSTREAM_MODEL,
      model: 'claude',
    });
    client = gw.client;
  });
  afterAll(async () => {
    await gw.api.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    gw.events.clear();
  });

  it('sends system and developer messages as the system prompt and merges consecutive turns into alternating ones', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'Hi' },
        { role: 'user', content: 'Are you there?' },
        { role: 'assistant', content: 'Oui.' },
        { role: 'user', content: 'Good.' },
      ],
    });
    const req = fake.requests[0];
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe(CANARY);
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.body).toEqual({
      model: UPSTREAM_MODEL,
      max_tokens: 4096,
      system: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Answer in French.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi' },
            { type: 'text', text: 'Are you there?' },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'Oui.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Good.' }] },
      ],
    });
  });

  it('sends https images as url sources and data URLs as base64 sources', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these' },
            { type: 'image_url', image_url: { url: 'https://example.com/ant.jpg', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    expect(sent().messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/ant.jpg' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
      },
    ]);
  });

  it('sends tools, assistant tool calls as tool_use and tool messages as tool_result blocks of one user turn', async () => {
    await client.chat.completions.create({
      model: 'claude',
      tools: [weather],
      tool_choice: 'required',
      parallel_tool_calls: false,
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18°C' },
        { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: '21°C' }] },
        { role: 'user', content: 'Which is warmer?' },
      ],
    });
    expect(sent()).toMatchObject({
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    expect(sent().messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '21°C' }] },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
    ]);
  });

  it.each([
    ['auto', { type: 'auto' }],
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
    [
      { type: 'function', function: { name: 'get_weather' } },
      { type: 'tool', name: 'get_weather' },
    ],
  ] as const)('translates tool_choice %j to %j', async (choice, expected) => {
    await client.chat.completions.create({
      model: 'claude',
      tools: [weather],
      tool_choice: choice,
      messages: [{ role: 'user', content: 'Weather?' }],
    });
    expect(sent().tool_choice).toEqual(expected);
  });

  it('maps output limit, stop, temperature, top_p and user, and drops sampling options Anthropic lacks', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Count' }],
      max_completion_tokens: 300,
      stop: ['END', '###'],
      temperature: 0.3,
      top_p: 0.9,
      user: 'user-42',
      frequency_penalty: 0.5,
      presence_penalty: 0.1,
      seed: 7,
      logprobs: false,
      n: 1,
    });
    expect(sent()).toEqual({
      model: UPSTREAM_MODEL,
      max_tokens: 300,
      stop_sequences: ['END', '###'],
      temperature: 0.3,
      top_p: 0.9,
      metadata: { user_id: 'user-42' },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Count' }] }],
    });
    fake.reset();
    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Count' }],
      max_tokens: 50,
      stop: 'END',
    });
    expect(sent()).toMatchObject({ max_tokens: 50, stop_sequences: ['END'] });
  });

  it('answers a chat.completion with OpenAI usage that counts cache reads and writes, and bills them by type', async () => {
    fake.reset({
      reply: 'Bonjour!',
      usage: { input_tokens: 20, output_tokens: 5, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 },
    });
    const { data, response } = await client.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'Salut' }] })
      .withResponse();
    expect(data).toMatchObject({
      object: 'chat.completion',
      model: UPSTREAM_MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Bonjour!' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 1220,
        completion_tokens: 5,
        total_tokens: 1225,
        prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 200 },
      },
    });
    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.usage).toEqual({
      promptTokens: 1220,
      completionTokens: 5,
      cacheReadTokens: 1000,
      cacheWriteTokens: 200,
      reasoningTokens: 0,
      estimated: false,
    });
    expect(event.costUsd).toBe('0.001185'); // (20×3 + 1000×0.3 + 200×3.75 + 5×15) / 1e6
  });

  it('answers tool_use as tool_calls with null content and finish_reason tool_calls', async () => {
    fake.reset({ toolUse: { input: { city: 'Paris' } } });
    const data = await client.chat.completions.create({
      model: 'claude',
      tools: [weather],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(data.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
    });
  });
});
