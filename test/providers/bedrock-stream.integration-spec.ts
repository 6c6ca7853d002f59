import { BedrockGateway } from '#test/providers/bedrock-gateway';
import { waitFor } from '#test/utils/processes';

describe('bedrock provider: ConverseStream through the openai SDK', () => {
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

  it('relays text deltas as Bedrock sends them and ends with the usage-only chunk the client asked for', async () => {
    gw.fake.reset({
      reply: 'one two three four',
      chunkDelayMs: 150,
      usage: { inputTokens: 10, outputTokens: 4, cacheReadInputTokens: 6, cacheWriteInputTokens: 2 },
    });
    const stream = await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    const arrivals: number[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunk.choices[0]?.delta?.content) arrivals.push(Date.now());
    }
    expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant' });
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('one two three four');
    // four events 150 ms apart: relayed one by one, not collected first
    expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThanOrEqual(300);
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 18,
        completion_tokens: 4,
        prompt_tokens_details: { cached_tokens: 6, cache_write_tokens: 2 },
      },
    });
    expect(gw.fake.requests[0].operation).toBe('converse-stream');
    const [event] = await gw.events.count(1);
    expect(event.usage).toMatchObject({ promptTokens: 18, cacheReadTokens: 6, cacheWriteTokens: 2, estimated: false });
  });

  it('streams a tool call as an id-and-name delta followed by argument deltas, finishing with tool_calls', async () => {
    gw.fake.reset({
      toolUse: { name: 'get_weather', input: { city: 'Paris', unit: 'celsius' }, toolUseId: 'tooluse_s1' },
    });
    const stream = await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      stream: true,
    });
    const deltas = [];
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const tc = chunk.choices[0]?.delta?.tool_calls?.[0];
      if (tc) deltas.push(tc);
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('Let me check.');
    expect(deltas[0]).toEqual({
      index: 0,
      id: 'tooluse_s1',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.slice(1).every((d) => d.index === 0 && d.id === undefined)).toBe(true);
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual({
      city: 'Paris',
      unit: 'celsius',
    });
    expect(finish).toBe('tool_calls');
  });

  it('ends the stream with an error event and no [DONE] when Bedrock sends an exception event mid-stream', async () => {
    gw.fake.reset({
      reply: 'a b c d',
      streamException: { after: 3, type: 'modelStreamErrorException', message: 'boom' },
    });
    const res = await gw.rawStream({ model, messages: [{ role: 'user', content: 'x' }] });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('"content":"a "');
    expect(text).toContain('"code":"upstream_error"');
    expect(text).not.toContain('[DONE]');
    const [event] = await gw.events.count(1);
    expect(event).toMatchObject({ status: 502, errorCode: 'upstream_error' });
  });

  it('answers an exception event before any content as a normal JSON error (throttling → 429)', async () => {
    gw.fake.reset({ streamException: { after: 0, type: 'throttlingException', message: 'Too many requests.' } });
    const res = await gw.rawStream({ model, messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ error: { code: 'upstream_rate_limited', type: 'rate_limit_error' } });
  });

  it('closes the connection to Bedrock when the client disconnects mid-stream, and bills the call as 499', async () => {
    gw.fake.reset({ reply: 'never ending', hang: true });
    const controller = new AbortController();
    const res = await gw.rawStream({ model, messages: [{ role: 'user', content: 'x' }] }, controller.signal);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('data: ');
    controller.abort();
    await waitFor(async () => (gw.fake.requests[0]?.aborted ? true : undefined), 10_000, 20);
    const [event] = await gw.events.count(1);
    expect(event).toMatchObject({ status: 499, stream: true });
  });
});

describe('bedrock provider: UPSTREAM_TIMEOUT', () => {
  const gw = new BedrockGateway({ UPSTREAM_TIMEOUT: '1s' });
  let model: string;

  beforeAll(async () => {
    await gw.start();
    model = await gw.model();
  });
  afterAll(() => gw.stop());

  it('ends a stream that stays silent longer than UPSTREAM_TIMEOUT with an upstream_timeout error event', async () => {
    gw.fake.reset({ reply: 'stalls', hang: true });
    const res = await gw.rawStream({ model, messages: [{ role: 'user', content: 'x' }] });
    const text = await res.text();
    expect(text).toContain('"content":"stalls"');
    expect(text).toContain('"code":"upstream_timeout"');
    await waitFor(async () => (gw.fake.requests[0]?.aborted ? true : undefined), 10_000, 20);
  });
});
