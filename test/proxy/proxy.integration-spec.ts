import { jest } from '@jest/globals';
import OpenAI from 'openai';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { ApiKeyGuard } from '#src/modules/proxy/api-key.guard';
import { CANARY_PROVIDER_KEY, createGateway, createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

describe('proxy: OpenAI-compatible API through the openai SDK', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  let gw: Awaited<ReturnType<typeof createGateway>>;
  let client: OpenAI;
  let events: EventCapture;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    events = new EventCapture(api);
    gw = await createGateway(api, upstream.url);
    client = new OpenAI({ apiKey: gw.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.reset();
    events.clear();
  });

  it('creates a chat completion and passes OpenAI fields through untouched', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const { data, response } = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Hi' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
        ],
        tools,
        tool_choice: 'auto',
        response_format: { type: 'json_object' },
        n: 1,
        logprobs: true,
        temperature: 0.2,
      })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Hello there!');
    expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5 });
    expect(response.headers.get('x-gateway-call-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-request-id')).toBe(response.headers.get('x-gateway-call-id'));
    expect(Number(response.headers.get('x-gateway-overhead-ms'))).toBeGreaterThanOrEqual(0);

    const sent = upstream.requests[0];
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${CANARY_PROVIDER_KEY}`);
    expect(sent.body).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      tools,
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      n: 1,
      logprobs: true,
      temperature: 0.2,
    });
    expect((sent.body.messages as unknown[])[1]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Hi' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      ],
    });

    const event = await events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event).toMatchObject({
      admitted: true,
      status: 200,
      model: { name: 'gpt-4o-mini' },
      usage: { promptTokens: 12, completionTokens: 5, estimated: false },
    });
    expect(event.costUsd).toBe('0.0000048'); // 12 × 0.15e-6 + 5 × 0.6e-6
  });

  it('echoes a valid client x-request-id and keeps its own call id', async () => {
    const { response } = await client.chat.completions
      .create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-request-id': 'trace-123' } },
      )
      .withResponse();
    expect(response.headers.get('x-request-id')).toBe('trace-123');
    const event = await events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.clientRequestId).toBe('trace-123');
  });

  it('streams every chunk as it arrives, ends with [DONE], and drops the usage chunk unless asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello there, streaming world!');
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('stop');
    expect(upstream.requests[0].body.stream_options).toEqual({ include_usage: true });

    const withUsage = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const last = [];
    for await (const chunk of withUsage) last.push(chunk);
    expect(last.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 5 } });
  });

  it('sends the raw SSE framing: data lines and a final data: [DONE]', async () => {
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-gateway-call-id')).toBeTruthy();
    const text = await res.text();
    const lines = text.split('\n\n').filter(Boolean);
    expect(lines.every((l) => l.startsWith('data: '))).toBe(true);
    expect(lines.at(-1)).toBe('data: [DONE]');
    expect(text).not.toContain('"choices":[]');
  });

  it('streams tool calls with their argument deltas', async () => {
    upstream.reset({ toolCall: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      stream: true,
    });
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      const tc = chunk.choices[0]?.delta?.tool_calls?.[0];
      if (tc?.function?.name) name += tc.function.name;
      if (tc?.function?.arguments) args += tc.function.arguments;
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ city: 'Paris', unit: 'celsius' });
  });

  it('estimates usage with a tokenizer when a stream ends without usage', async () => {
    upstream.reset({ omitUsage: true, reply: 'one two three four' });
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'count to four' }],
        stream: true,
      }),
    });
    await res.text();
    const event = await events.forCall(res.headers.get('x-gateway-call-id')!);
    expect(event.usage.estimated).toBe(true);
    expect(event.usage.completionTokens).toBe(4);
    expect(event.usage.promptTokens).toBeGreaterThan(3);
  });

  it('creates embeddings as floats and as base64, the SDK default, even when the provider answers floats', async () => {
    const floats = await client.embeddings.create({
      model: 'gpt-4o-mini',
      input: ['a', 'b'],
      encoding_format: 'float',
    });
    expect(floats.data.map((d) => d.embedding)).toEqual([
      [0.25, -0.5, 0.125],
      [1.25, -0.5, 0.125],
    ]);
    upstream.reset({ floatsOnly: true });
    const sdkDefault = await client.embeddings.create({ model: 'gpt-4o-mini', input: 'a' });
    expect(upstream.requests[0].body.encoding_format).toBe('base64');
    expect(sdkDefault.data[0].embedding).toEqual([0.25, -0.5, 0.125]);
    upstream.reset();
    const passthrough = await client.embeddings.create({ model: 'gpt-4o-mini', input: 'a' });
    expect(passthrough.data[0].embedding).toEqual([0.25, -0.5, 0.125]);
  });

  it('lists and retrieves the models and aliases a key may use', async () => {
    await api
      .get(ModelManagementService)
      .createAlias({ name: 'fast', modelId: gw.modelId, config: { temperature: 0 } });
    const all = await client.models.list();
    expect(all.data.map((m) => m.id)).toEqual(['fast', 'gpt-4o-mini']);
    expect(all.data[0]).toMatchObject({ object: 'model', owned_by: expect.any(String) });
    expect(await client.models.retrieve('fast')).toMatchObject({ id: 'fast', object: 'model' });

    const limited = await createKey(api, { allowedModels: ['fast'] });
    const limitedClient = new OpenAI({ apiKey: limited.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    expect((await limitedClient.models.list()).data.map((m) => m.id)).toEqual(['fast']);
    await expect(limitedClient.models.retrieve('gpt-4o-mini')).rejects.toMatchObject({ status: 404 });
  });

  it('merges alias defaults under the client values', async () => {
    await api
      .get(ModelManagementService)
      .createAlias({ name: 'careful', modelId: gw.modelId, config: { temperature: 0, top_p: 0.5, max_tokens: 100 } });
    await client.chat.completions.create({
      model: 'careful',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.9,
    });
    expect(upstream.requests[0].body).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      temperature: 0.9,
      top_p: 0.5,
      max_tokens: 100,
    });
  });

  it('shows the calling key its own view at /gateway/key', async () => {
    const res = await fetch(`${api.url}/gateway/key`, { headers: { 'x-api-key': gw.key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: gw.keyId,
      allowed_models: [],
      rate_limit: null,
      monthly_budget: null,
    });
  });

  it("serves the call routes from Fastify past Nest's guards, with the key guard's checks and refusals", async () => {
    const guard = api.get(ApiKeyGuard);
    const throughNest = jest.spyOn(guard, 'canActivate');
    const keyChecks = jest.spyOn(guard, 'authenticate');
    try {
      const answered = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(answered.object).toBe('chat.completion');
      const refused = await fetch(`${api.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-not-a-key', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', input: 'x' }),
      });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
      expect(keyChecks).toHaveBeenCalledTimes(2);
      expect(throughNest).not.toHaveBeenCalled();
      // the other proxy routes still run through Nest and its guards
      await client.models.list();
      expect(throughNest).toHaveBeenCalledTimes(1);
    } finally {
      throughNest.mockRestore();
      keyChecks.mockRestore();
    }
  });
});

describe('proxy: latency accounting', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });

  it('reports gateway overhead apart from a 200 ms upstream: overhead < 50 ms, latency ≥ 200 ms, TTFT between', async () => {
    const events = new EventCapture(api);
    const gw = await createGateway(api, upstream.url);
    const client = new OpenAI({ apiKey: gw.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'warm up' }] });
    upstream.reset({ delayMs: 200 });
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    const overhead = Number(response.headers.get('x-gateway-overhead-ms'));
    expect(overhead).toBeLessThan(50);
    const event = await events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.overheadMs).toBeLessThan(50);
    expect(event.latencyMs).toBeGreaterThanOrEqual(200);
    expect(event.ttftMs).toBeGreaterThan(event.overheadMs);
    expect(event.ttftMs).toBeLessThanOrEqual(event.latencyMs);
  });
});
