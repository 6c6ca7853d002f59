import type OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { FakeAnthropic } from '#test/utils/fake-anthropic';
import { collectChunks, type ProviderGateway, startProviderGateway } from '#test/providers/provider-gateway';

const CANARY = 'sk-ant-canary-stream-71d0a4c3e9';
const UPSTREAM_MODEL = 'claude-sonnet-4-6';

const weather: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('anthropic provider: streams and finish reasons', () => {
  let fake: FakeAnthropic;
  let gw: ProviderGateway;
  let client: OpenAI;

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

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['refusal', 'content_filter'],
    ['tool_use', 'tool_calls'],
  ])('maps stop_reason %s to finish_reason %s, streamed and not', async (stopReason, finish) => {
    const toolUse = stopReason === 'tool_use' ? { input: { city: 'Oslo' } } : undefined;
    fake.reset({ reply: 'Partial answer', stopReason, toolUse });
    const request = { model: 'claude', tools: [weather], messages: [{ role: 'user' as const, content: 'Go' }] };
    const data = await client.chat.completions.create(request);
    expect(data.choices[0].finish_reason).toBe(finish);
    const chunks = await collectChunks(await client.chat.completions.create({ ...request, stream: true }));
    const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean);
    expect(finishes).toEqual([finish]);
  });

  it('streams text as chat.completion.chunk deltas and ends with a usage chunk only when asked', async () => {
    fake.reset({ reply: 'Streaming from Claude, word by word.', chunkDelayMs: 5 });
    const plain = await collectChunks(
      await client.chat.completions.create({
        model: 'claude',
        messages: [{ role: 'user', content: 'Go' }],
        stream: true,
      }),
    );
    expect(fake.requests[0].body.stream).toBe(true);
    expect(plain[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const contents = plain.map((c) => c.choices[0]?.delta?.content).filter((t) => t);
    expect(contents.length).toBeGreaterThan(3);
    expect(contents.join('')).toBe('Streaming from Claude, word by word.');
    expect(plain.every((c) => c.object === 'chat.completion.chunk' && c.choices.length === 1)).toBe(true);

    fake.reset({ usage: { input_tokens: 9, output_tokens: 4, cache_read_input_tokens: 300 } });
    const withUsage = await collectChunks(
      await client.chat.completions.create({
        model: 'claude',
        messages: [{ role: 'user', content: 'Go' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(withUsage.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 309, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 300 } },
    });
  });

  it('reports a streamed call with cache reads and writes to billing as provider usage', async () => {
    fake.reset({
      usage: { input_tokens: 40, output_tokens: 12, cache_read_input_tokens: 500, cache_creation_input_tokens: 60 },
    });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'Go' }], stream: true })
      .withResponse();
    await collectChunks(stream);
    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event).toMatchObject({ status: 200, stream: true });
    expect(event.usage).toMatchObject({
      promptTokens: 600,
      completionTokens: 12,
      cacheReadTokens: 500,
      cacheWriteTokens: 60,
      estimated: false,
    });
  });

  it('streams a tool call as OpenAI tool_calls deltas: index 0, id and name first, then argument fragments', async () => {
    fake.reset({ reply: 'Let me check.', toolUse: { input: { city: 'Paris', unit: 'celsius' } } });
    const chunks = await collectChunks(
      await client.chat.completions.create({
        model: 'claude',
        tools: [weather],
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        stream: true,
      }),
    );
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    const fragments = calls.slice(1).map((c) => c.function?.arguments);
    expect(fragments.length).toBeGreaterThan(2);
    expect(calls.every((c) => c.index === 0)).toBe(true);
    expect(JSON.parse(fragments.join(''))).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Let me check.');
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('tool_calls');
  });
});
