import { VertexGateway } from '#test/providers/vertex-gateway';
import { rpcError } from '#test/utils/fake-vertex.fixtures';
import { waitFor } from '#test/utils/processes';

describe('vertex-ai provider: streams through the openai SDK', () => {
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

  it('relays text deltas as Vertex sends them and ends with the usage-only chunk the client asked for', async () => {
    gw.fake.reset({
      reply: 'one two three four',
      chunkDelayMs: 150,
      usage: { promptTokenCount: 12, candidatesTokenCount: 4, thoughtsTokenCount: 6, cachedContentTokenCount: 2 },
    });
    const stream = await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const arrivals: number[] = [];
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunk.choices[0]?.delta?.content) arrivals.push(Date.now());
    }
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('one two three four');
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    // four events 150 ms apart: relayed one by one, not collected first
    expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThanOrEqual(300);
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 10,
        prompt_tokens_details: { cached_tokens: 2 },
        completion_tokens_details: { reasoning_tokens: 6 },
      },
    });
    expect(gw.fake.requests[0]).toMatchObject({ method: 'streamGenerateContent', query: 'alt=sse' });
    const [event] = await gw.events.count(1);
    expect(event.usage).toMatchObject({ promptTokens: 12, completionTokens: 10, reasoningTokens: 6, estimated: false });
  });

  it('streams a function call as an id-and-name delta followed by an argument delta, finishing with tool_calls', async () => {
    gw.fake.reset({ functionCall: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } } });
    const stream = await gw.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
      ],
      stream: true,
    });
    const deltas = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      const tc = chunk.choices[0]?.delta?.tool_calls?.[0];
      if (tc) deltas.push(tc);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(deltas[0].id).toMatch(/^call_/);
    expect(deltas.slice(1).every((d) => d.id === undefined && d.index === 0)).toBe(true);
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual({
      city: 'Paris',
      unit: 'celsius',
    });
    expect(finish).toBe('tool_calls');
  });

  it('ends a stream that Vertex breaks after the first chunk with an error event and no [DONE]', async () => {
    gw.fake.reset({ reply: 'a b c d', failStreamAfter: 2 });
    const res = await gw.rawStream({ model, messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"content":"a "');
    expect(text).toContain('"error":{');
    expect(text).toContain('"code":"upstream_error"');
    expect(text).not.toContain('[DONE]');
    const [event] = await gw.events.count(1);
    expect(event).toMatchObject({ status: 502, errorCode: 'upstream_error', stream: true });
  });

  it('answers a Vertex error before the first chunk as a normal JSON error with its Retry-After', async () => {
    const retry = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' }];
    gw.fake.reset({ error: { status: 429, body: rpcError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', retry) } });
    const res = await gw.rawStream({ model, messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('12');
    expect(await res.json()).toMatchObject({ error: { code: 'upstream_rate_limited', type: 'rate_limit_error' } });
  });

  it('closes the upstream stream when the client disconnects mid-stream, and bills the call as 499', async () => {
    gw.fake.reset({ reply: 'never ending story', hang: true });
    const controller = new AbortController();
    const res = await gw.rawStream({ model, messages: [{ role: 'user', content: 'x' }] }, controller.signal);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('data: ');
    controller.abort();
    await waitFor(async () => (gw.fake.requests[0]?.aborted ? true : undefined), 10_000, 20);
    const [event] = await gw.events.count(1);
    expect(event).toMatchObject({ status: 499, stream: true });
  });
});
