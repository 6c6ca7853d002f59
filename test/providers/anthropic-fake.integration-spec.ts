import Anthropic from '@anthropic-ai/sdk';
import { apiKeyOf, errorBody, FakeAnthropic } from '#test/utils/fake-anthropic';

/**
 * The official Anthropic SDK against the fake: if the SDK reads the fake's JSON, SSE events and errors as it
 * reads Anthropic's, the gateway tests that use the fake exercise the real wire format.
 */
describe('fake Anthropic server, checked by @anthropic-ai/sdk', () => {
  const KEY = 'sk-ant-fake-sdk-check';
  let fake: FakeAnthropic;
  let client: Anthropic;
  const weatherTool = {
    name: 'get_weather',
    description: 'Get the current weather in a given location',
    input_schema: {
      type: 'object' as const,
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['location'],
    },
  };

  beforeAll(async () => {
    fake = await new FakeAnthropic(KEY).start();
    client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('the SDK reads a non-streamed message with its text, stop reason and cache usage', async () => {
    fake.reset({
      reply: 'Hi! My name is Claude.',
      usage: { input_tokens: 10, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 50 },
    });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'Hi! My name is Claude.' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 50 },
    });
    expect(fake.requests[0].path).toBe('/v1/messages');
    expect(apiKeyOf(fake.requests[0])).toBe(KEY);
    expect(fake.requests[0].headers['anthropic-version']).toBeTruthy();
  });

  it('the SDK assembles a streamed answer, text deltas and tool input from input_json_delta events', async () => {
    fake.reset({
      reply: 'Okay, let me check.',
      toolUse: { input: { location: 'San Francisco, CA', unit: 'celsius' } },
    });
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'What is the weather like in San Francisco?' }],
    });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.join('')).toBe('Okay, let me check.');
    expect(final.content).toMatchObject([
      { type: 'text', text: 'Okay, let me check.' },
      { type: 'tool_use', name: 'get_weather', input: { location: 'San Francisco, CA', unit: 'celsius' } },
    ]);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toMatchObject({ input_tokens: 2095, output_tokens: 503 });
    expect(fake.requests[0].body.stream).toBe(true);
  });

  it('the SDK raises the documented HTTP errors with their status, type and retry-after', async () => {
    const ask = () =>
      client.messages.create({ model: 'claude-x', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    fake.reset({
      error: { status: 429, body: errorBody('rate_limit_error', 'Rate limited'), headers: { 'retry-after': '17' } },
    });
    const limited = await ask().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe('17');

    fake.reset({ error: { status: 529, body: errorBody('overloaded_error', 'Overloaded') } });
    const overloaded = await ask().catch((e: unknown) => e);
    expect(overloaded).toMatchObject({ status: 529, error: { type: 'error', error: { type: 'overloaded_error' } } });

    fake.reset();
    const badKey = new Anthropic({ apiKey: 'wrong', baseURL: fake.url, maxRetries: 0 });
    await expect(
      badKey.messages.create({ model: 'claude-x', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('the SDK raises a mid-stream error event as an overloaded_error', async () => {
    fake.reset({ reply: 'one two three', streamError: { afterEvents: 4 } });
    const stream = client.messages.stream({
      model: 'claude-x',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    await expect(stream.finalMessage()).rejects.toMatchObject({ error: { error: { type: 'overloaded_error' } } });
    expect(texts).toEqual(['one ']);
  });

  it('the SDK gets a 400 invalid_request_error for a tool_result that answers no tool_use, as Anthropic answers', async () => {
    const err = await client.messages
      .create({
        model: 'claude-x',
        max_tokens: 8,
        messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_missing', content: '42' }] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('toolu_missing');
  });
});
