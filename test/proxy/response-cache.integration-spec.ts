import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { DataSource } from 'typeorm';
import { QueueName } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { toAuditRecord } from '#src/modules/audit/audit-record';
import { UsageReportRepository } from '#src/modules/billing/usage-report.repository';
import { ApiKeyManagementService } from '#src/modules/keys/api-key-management.service';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { adminRequest, type Json, loginEveryRole } from '#test/factories/admin-fixtures';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeAnthropic } from '#test/utils/fake-anthropic';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { drainQueue } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';

/** $1 / $4 per million tokens: the fake's default 12 + 5 tokens cost 0.000032. */
const PRICE = [
  { direction: 'input' as const, unit: '1m_tokens' as const, price: '1' },
  { direction: 'output' as const, unit: '1m_tokens' as const, price: '4' },
];
const FIRST_COST = '0.000032';

/** SPEC §14: identical calls answered from Redis at zero cost, on every surface, never across tenants. */
describe('proxy: response cache', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  let events: EventCapture;
  let token: string;
  let key: { id: string; key: string };
  let client: OpenAI;
  let prompt = 0;
  /** A prompt no earlier case sent, so each case starts with nothing cached. */
  const fresh = (): string => `question ${++prompt} ${Date.now()}`;

  const chat = (
    c: OpenAI,
    content: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) =>
    c.chat.completions
      .create({ model: 'cached', messages: [{ role: 'user', content }], ...extra }, { headers })
      .withResponse();

  /** Waits until `n` answers are stored (the write is off the response path). */
  const stored = (n: number): Promise<true> =>
    waitFor(async () => {
      const redis = api.app.get<RedisClient>(HOT_REDIS);
      return (await redis.keys(`${api.get(RedisKeys).prefix}:rc:*`)).length >= n ? true : undefined;
    });

  const usageRow = (callId: string): Promise<Json> =>
    waitFor(async (): Promise<Json> => {
      const rows = await api.get(DataSource).query<Record<string, unknown>[]>(
        `SELECT model_name, provider_name, status, cost_usd::text AS cost, saved_usd::text AS saved, cache_hit,
                prompt_tokens, completion_tokens
           FROM usage_records WHERE call_id = $1`,
        [callId],
      );
      return rows[0];
    });

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    events = new EventCapture(api);
    token = (await loginEveryRole(api)).admin;
    const provider = await createProvider(api, { name: 'provider-cache', baseUrl: upstream.url });
    const plain = await createModel(api, { providerId: provider.id, name: 'plain-model', pricing: PRICE });
    await createModel(api, { providerId: provider.id, name: 'embed-model', pricing: PRICE });
    const models = api.get(ModelManagementService);
    await models.createAlias({ name: 'cached', modelId: plain.id, cache: { ttl: '1h', scope: 'key' } });
    await models.createAlias({ name: 'shared', modelId: plain.id, cache: { ttl: '1h', scope: 'global' } });
    key = await createKey(api);
    client = new OpenAI({ apiKey: key.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });
  beforeEach(async () => {
    upstream.reset({ reply: 'The cached answer.' });
    events.clear();
    const redis = api.app.get<RedisClient>(HOT_REDIS);
    const found = await redis.keys(`${api.get(RedisKeys).prefix}:rc:*`);
    if (found.length > 0) await redis.del(...found);
  });

  describe('the cache setting', () => {
    it('is validated on aliases, models and keys, answered back, and documented in OpenAPI', async () => {
      const post = (path: string, body: Json) => adminRequest(api, 'POST', path, { token, body });
      const modelId = (await api.get(DataSource).query<{ id: string }[]>(`SELECT id FROM models LIMIT 1`))[0].id;
      const alias = (cache: Json) => post('/admin/aliases', { name: `a-${Math.random()}`, model_id: modelId, cache });
      expect((await alias({ ttl: '8d', scope: 'key' })).status).toBe(400);
      expect((await alias({ ttl: 'soon', scope: 'key' })).status).toBe(400);
      expect((await alias({ ttl: '1h', scope: 'everyone' })).status).toBe(400);
      expect((await alias({ ttl: '1h', scope: 'team' })).status).toBe(201);
      const created = await alias({ ttl: '7d', scope: 'global' });
      expect(created.status).toBe(201);
      expect(created.body.cache).toEqual({ ttl: '7d', scope: 'global' });
      const cleared = await adminRequest(api, 'PATCH', `/admin/aliases/${created.body.id}`, {
        token,
        body: { cache: null },
      });
      expect(cleared.body.cache).toBeNull();

      const keyRes = await post('/admin/api-keys', { name: 'cache-key', cache: { ttl: '5m', scope: 'key' } });
      expect(keyRes.status).toBe(201);
      expect(keyRes.body.cache).toEqual({ ttl: '5m', scope: 'key' });
      const model = await adminRequest(api, 'PATCH', `/admin/models/${modelId}`, {
        token,
        body: { cache: { ttl: '0s', scope: 'key' } },
      });
      expect(model.status).toBe(200);
      expect(model.body.cache).toEqual({ ttl: '0s', scope: 'key' });
      await adminRequest(api, 'PATCH', `/admin/models/${modelId}`, { token, body: { cache: null } });

      const docs = (await (await fetch(`${api.url}/docs-json`)).json()) as Json;
      expect(Object.keys(docs.components.schemas.CacheSettingDto.properties)).toEqual(['ttl', 'scope']);
      const teamRes = await post('/admin/teams', { name: 'cache-team', cache: { ttl: '10m', scope: 'team' } });
      expect(teamRes.status).toBe(201);
      expect(teamRes.body.cache).toEqual({ ttl: '10m', scope: 'team' });
      expect((await post('/admin/teams', { name: 'cache-team-2', cache: { ttl: '8d', scope: 'team' } })).status).toBe(
        400,
      );
      for (const dto of ['AliasCreateDto', 'ModelUpdateDto', 'ApiKeyCreateDto', 'ApiKeyResponseDto', 'TeamCreateDto'])
        expect(docs.components.schemas[dto].properties.cache).toBeDefined();
    });
  });

  it('answers a second identical call from the cache: one upstream call, cost 0, the saved cost recorded', async () => {
    const content = fresh();
    const first = await chat(client, content);
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(first.response.headers.get('x-gateway-cost-usd')).toBe(FIRST_COST);
    await stored(1);

    // key order, `user` and `stream_options` do not change the key
    const second = await chat(client, content, { user: 'someone-else' });
    expect(second.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(second.response.headers.get('x-gateway-cost-usd')).toBe('0');
    expect(second.data).toEqual(first.data);
    expect(upstream.requests).toHaveLength(1);

    const callId = second.response.headers.get('x-gateway-call-id')!;
    expect(await usageRow(callId)).toMatchObject({
      model_name: 'plain-model',
      provider_name: 'provider-cache',
      status: 200,
      cost: '0',
      saved: FIRST_COST,
      cache_hit: true,
      prompt_tokens: 0,
      completion_tokens: 0,
    });
    expect(await usageRow(first.response.headers.get('x-gateway-call-id')!)).toMatchObject({
      cache_hit: false,
      saved: '0',
      cost: FIRST_COST,
    });
    const event = await events.forCall(callId);
    const audit = toAuditRecord(event, { pod: 'test', logBodies: true, bodyMaxBytes: 65536 });
    expect(audit).toMatchObject({ cache_hit: true, saved_usd: FIRST_COST, cost_usd: '0', status: 200 });
    expect(audit.response_body).toEqual(first.data);

    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/llmgw_cache_hits_total\{model="plain-model"\} [1-9]/);
    expect(metrics).toMatch(/llmgw_cache_misses_total\{model="plain-model"\} [1-9]/);
    expect(metrics).toMatch(/llmgw_cache_saved_usd_total\{model="plain-model"\} 0\.0000/);
  });

  it('replays a cached JSON answer to a stream: the openai SDK iterator reads the chunks and the usage chunk', async () => {
    const content = fresh();
    const first = await chat(client, content);
    await stored(1);
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'cached',
        messages: [{ role: 'user', content }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('The cached answer.');
    expect(finish).toBe('stop');
    expect(usage).toEqual(first.data.usage);
    expect(upstream.requests).toHaveLength(1);

    // without include_usage there is no usage chunk
    const plain = await client.chat.completions.create({
      model: 'cached',
      messages: [{ role: 'user', content }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of plain) chunks.push(chunk);
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it('replays Responses and Messages answers as their own SSE: the openai and @anthropic-ai/sdk streams read them', async () => {
    const input = fresh();
    const json = await client.responses.create({ model: 'cached', input });
    await stored(1);
    const stream = await client.responses.create({ model: 'cached', input, stream: true });
    let text = '';
    let completed: OpenAI.Responses.Response | null = null;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toBe('The cached answer.');
    // output_text is the SDK's own convenience on a non-streamed answer
    const { output_text: _text, ...answered } = json;
    expect(completed).toEqual(answered);

    const anthropic = new Anthropic({ apiKey: key.key, baseURL: api.url, maxRetries: 0 });
    const question = fresh();
    const params = { model: 'cached', max_tokens: 100, messages: [{ role: 'user' as const, content: question }] };
    const message = await anthropic.messages.create(params);
    await stored(2);
    const messageStream = anthropic.messages.stream(params);
    const deltas: string[] = [];
    messageStream.on('text', (t) => deltas.push(t));
    const final = await messageStream.finalMessage();
    expect(deltas.join('')).toBe('The cached answer.');
    // the SDK's stream adds its own fields (parsed_output) to the message it assembles
    expect(final).toMatchObject({ ...message });
    expect(upstream.requests).toHaveLength(2);
  });

  it('stores a complete streamed miss: the next identical call, streamed or not, is a hit with the same answer', async () => {
    // chat: the stream's chunks assembled into the chat.completion an unstreamed call gets
    const content = fresh();
    upstream.reset({ reply: 'Streamed and kept.' });
    const stream = await client.chat.completions.create({
      model: 'cached',
      messages: [{ role: 'user', content }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe('Streamed and kept.');
    await stored(1);
    const json = await chat(client, content);
    expect(json.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(json.data.choices[0]).toMatchObject({
      index: 0,
      message: { role: 'assistant', content: 'Streamed and kept.' },
      finish_reason: 'stop',
    });
    expect(json.data.usage).toEqual(usage);
    expect(json.data.object).toBe('chat.completion');
    const again = await client.chat.completions.create({
      model: 'cached',
      messages: [{ role: 'user', content }],
      stream: true,
    });
    let replayed = '';
    for await (const chunk of again) replayed += chunk.choices[0]?.delta.content ?? '';
    expect(replayed).toBe('Streamed and kept.');
    expect(upstream.requests).toHaveLength(1);

    // Responses and Messages translated over a chat provider: the finished object of the stream
    const input = fresh();
    let completed: OpenAI.Responses.Response | null = null;
    for await (const event of await client.responses.create({ model: 'cached', input, stream: true }))
      if (event.type === 'response.completed') completed = event.response;
    await stored(2);
    const { output_text: _text, ...hit } = await client.responses.create({ model: 'cached', input });
    expect(hit).toEqual(completed);

    const anthropic = new Anthropic({ apiKey: key.key, baseURL: api.url, maxRetries: 0 });
    const params = { model: 'cached', max_tokens: 100, messages: [{ role: 'user' as const, content: fresh() }] };
    const streamedMessage = await anthropic.messages.stream(params).finalMessage();
    await stored(3);
    const cached = await anthropic.messages.create(params).withResponse();
    expect(cached.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(streamedMessage).toMatchObject({ ...cached.data });
    expect(upstream.requests).toHaveLength(3);
  });

  it('stores a native Claude stream as its message, and keeps out a stream cut short', async () => {
    const claude = await new FakeAnthropic('sk-ant-test').start();
    try {
      const provider = await createProvider(api, {
        name: `anthropic-${Date.now()}`,
        type: 'anthropic',
        baseUrl: claude.url,
        credentials: { api_key: 'sk-ant-test' },
      });
      const model = await createModel(api, {
        providerId: provider.id,
        name: `claude-cached-${Date.now()}`,
        providerModelId: 'claude-sonnet-4-5',
        pricing: PRICE,
        cache: { ttl: '1h', scope: 'key' },
      });
      const anthropic = new Anthropic({ apiKey: key.key, baseURL: api.url, maxRetries: 0 });
      claude.reset({ reply: 'Native and kept.', toolUse: { name: 'lookup', id: 'toolu_1', input: { q: 'x' } } });
      const params = {
        model: model.name,
        max_tokens: 100,
        messages: [{ role: 'user' as const, content: fresh() }],
        tools: [{ name: 'lookup', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } }],
      };
      const streamed = await anthropic.messages.stream(params).finalMessage();
      await stored(1);
      const hit = await anthropic.messages.create(params).withResponse();
      expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
      expect(hit.data.content).toEqual(streamed.content);
      expect(hit.data).toMatchObject({ id: streamed.id, stop_reason: streamed.stop_reason, usage: streamed.usage });
      expect(claude.requests).toHaveLength(1);

      // a stream cut before message_stop is not an answer: nothing is stored
      claude.reset({ reply: 'Cut short here.', truncateAfter: 4 });
      const cut = { ...params, messages: [{ role: 'user' as const, content: fresh() }] };
      await anthropic.messages
        .stream(cut)
        .finalMessage()
        .catch(() => null);
      await new Promise((r) => setTimeout(r, 300));
      const redis = api.app.get<RedisClient>(HOT_REDIS);
      expect(await redis.keys(`${api.get(RedisKeys).prefix}:rc:*`)).toHaveLength(1);
    } finally {
      await claude.stop();
    }
  });

  it('answers embeddings from the cache too', async () => {
    await api.get(ModelManagementService).createAlias({
      name: 'cached-embed',
      modelId: (
        await api.get(DataSource).query<{ id: string }[]>(`SELECT id FROM models WHERE name = 'embed-model'`)
      )[0].id,
      cache: { ttl: '1m', scope: 'key' },
    });
    const input = fresh();
    const first = await client.embeddings.create({ model: 'cached-embed', input, encoding_format: 'float' });
    await stored(1);
    const second = await client.embeddings
      .create({ model: 'cached-embed', input, encoding_format: 'float' })
      .withResponse();
    expect(second.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(second.data).toEqual(first);
    expect(upstream.requests).toHaveLength(1);
  });

  it('keeps scope key answers to their key, shares global ones, and obeys bypass and refresh', async () => {
    const other = await createKey(api);
    const otherClient = new OpenAI({ apiKey: other.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const content = fresh();
    await chat(client, content);
    await stored(1);
    expect((await chat(client, content)).response.headers.get('x-gateway-cache')).toBe('hit');
    const theirs = await chat(otherClient, content);
    expect(theirs.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(upstream.requests).toHaveLength(2);
    await stored(2);

    // global: another key gets the answer
    const shared = (c: OpenAI, headers: Record<string, string> = {}) =>
      c.chat.completions.create({ model: 'shared', messages: [{ role: 'user', content }] }, { headers }).withResponse();
    upstream.reset({ reply: 'first' });
    await shared(client);
    await stored(3);
    const fromOther = await shared(otherClient);
    expect(fromOther.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(fromOther.data.choices[0].message.content).toBe('first');
    expect(upstream.requests).toHaveLength(1);

    // bypass: neither read nor written
    upstream.reset({ reply: 'second' });
    const bypassed = await shared(client, { 'x-gateway-cache': 'bypass' });
    expect(bypassed.response.headers.get('x-gateway-cache')).toBe('bypass');
    expect(bypassed.data.choices[0].message.content).toBe('second');
    const noStore = await shared(client, { 'cache-control': 'no-store' });
    expect(noStore.response.headers.get('x-gateway-cache')).toBe('bypass');
    expect(upstream.requests).toHaveLength(2);
    expect((await shared(client)).data.choices[0].message.content).toBe('first');

    // refresh: not read, written
    upstream.reset({ reply: 'third' });
    const refreshed = await shared(client, { 'cache-control': 'no-cache' });
    expect(refreshed.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(refreshed.data.choices[0].message.content).toBe('third');
    await waitFor(async () =>
      (await shared(otherClient)).data.choices[0].message.content === 'third' ? true : undefined,
    );
    upstream.reset({ reply: 'fourth' });
    const viaHeader = await shared(client, { 'x-gateway-cache': 'refresh' });
    expect(viaHeader.data.choices[0].message.content).toBe('fourth');
    expect(upstream.requests).toHaveLength(1);
  });

  it("shares scope team answers among the team's keys only, and a team's own setting turns the cache on for its keys", async () => {
    const models = api.get(ModelManagementService);
    const plainId = (
      await api.get(DataSource).query<{ id: string }[]>(`SELECT id FROM models WHERE name = 'plain-model'`)
    )[0].id;
    await models.createAlias({ name: 'team-cached', modelId: plainId, cache: { ttl: '1h', scope: 'team' } });
    const teamRes = async (name: string, body: Json = {}) =>
      (await adminRequest(api, 'POST', '/admin/teams', { token, body: { name, ...body } })).body.id as string;
    const red = await teamRes('red');
    const blue = await teamRes('blue');
    const clientOf = async (teamId: string | null) =>
      new OpenAI({ apiKey: (await createKey(api, { teamId })).key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const [red1, red2, blue1, loner] = await Promise.all([
      clientOf(red),
      clientOf(red),
      clientOf(blue),
      clientOf(null),
    ]);
    const content = fresh();
    const ask = (c: OpenAI, model = 'team-cached') =>
      c.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();
    upstream.reset({ reply: 'red answer' });
    await ask(red1);
    await stored(1);
    const mate = await ask(red2);
    expect(mate.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(mate.data.choices[0].message.content).toBe('red answer');
    expect((await ask(blue1)).response.headers.get('x-gateway-cache')).toBe('miss');
    // a key without a team is a team of one
    expect((await ask(loner)).response.headers.get('x-gateway-cache')).toBe('miss');
    expect(upstream.requests).toHaveLength(3);

    // a team's own setting: its keys cache on a model with none, the other teams' keys do not
    const green = await teamRes('green', { cache: { ttl: '1h', scope: 'team' } });
    const [green1, green2] = await Promise.all([clientOf(green), clientOf(green)]);
    upstream.reset({ reply: 'plain' });
    await ask(green1, 'plain-model');
    await stored(4);
    expect((await ask(green2, 'plain-model')).response.headers.get('x-gateway-cache')).toBe('hit');
    expect((await ask(blue1, 'plain-model')).response.headers.get('x-gateway-cache')).toBeNull();
    expect(upstream.requests).toHaveLength(2);
  });

  it('caches a routed alias by the alias: a hit from whichever target answered, named in the usage row', async () => {
    const provider = await createProvider(api, { name: `provider-routed-${Date.now()}`, baseUrl: upstream.url });
    const a = await createModel(api, { providerId: provider.id, name: `routed-a-${Date.now()}`, pricing: PRICE });
    const b = await createModel(api, { providerId: provider.id, name: `routed-b-${Date.now()}`, pricing: PRICE });
    await api.get(ModelManagementService).createAlias({
      name: 'routed-cached',
      modelId: null,
      routing: {
        strategy: 'weighted',
        targets: [
          { model: a.name, weight: 1, priority: 0 },
          { model: b.name, weight: 1, priority: 0 },
        ],
        retries: 1,
        retryOn: ['5xx'],
      },
      cache: { ttl: '1h', scope: 'key' },
    });
    const content = fresh();
    const ask = () =>
      client.chat.completions.create({ model: 'routed-cached', messages: [{ role: 'user', content }] }).withResponse();
    const first = await ask();
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    const answeredBy = first.response.headers.get('x-gateway-model');
    expect([a.name, b.name]).toContain(answeredBy);
    await stored(1);
    for (let i = 0; i < 4; i++) {
      const hit = await ask();
      expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
      expect(hit.response.headers.get('x-gateway-attempts')).toBe('0');
    }
    expect(upstream.requests).toHaveLength(1);
    const row = await usageRow((await ask()).response.headers.get('x-gateway-call-id')!);
    expect(row).toMatchObject({ model_name: answeredBy, cache_hit: true, cost: '0' });
  });

  it('never stores a failed answer: a 500 is answered and the next call goes upstream', async () => {
    const content = fresh();
    upstream.reset({ error: { status: 500, body: { error: { message: 'boom', type: 'server_error' } } } });
    const failed = await chat(client, content).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect((failed as InstanceType<typeof OpenAI.APIError>).headers?.get('x-gateway-cache')).toBe('miss');
    upstream.reset({ reply: 'recovered' });
    const next = await chat(client, content);
    expect(next.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(next.data.choices[0].message.content).toBe('recovered');
    expect(upstream.requests).toHaveLength(1);
  });

  it('calls the provider once for 20 concurrent identical misses, and the others are hits', async () => {
    upstream.reset({ reply: 'only once', delayMs: 300 });
    const content = fresh();
    const answers = await Promise.all(Array.from({ length: 20 }, () => chat(client, content)));
    expect(upstream.requests).toHaveLength(1);
    expect(new Set(answers.map((a) => a.data.choices[0].message.content))).toEqual(new Set(['only once']));
    const outcomes = answers.map((a) => a.response.headers.get('x-gateway-cache'));
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'hit')).toHaveLength(19);
  });

  it('bills a hit 0: the budget and token limit are untouched, a request of the rate limit is used, reports count it', async () => {
    const limited = await createKey(api, {
      rateLimit: 100,
      tokensPerMinute: 1_000_000,
      monthlyBudget: '1',
      cache: { ttl: '10m', scope: 'key' },
    });
    const limitedClient = new OpenAI({ apiKey: limited.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const view = async (): Promise<Json> =>
      (
        (await (
          await fetch(`${api.url}/gateway/key`, { headers: { authorization: `Bearer ${limited.key}` } })
        ).json()) as Json
      ).spend;
    const content = fresh();
    // the key's own setting turns the cache on for a model that has none
    const call = () =>
      limitedClient.chat.completions
        .create({ model: 'plain-model', messages: [{ role: 'user', content }] })
        .withResponse();
    const first = await call();
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    await usageRow(first.response.headers.get('x-gateway-call-id')!);
    const before = await view();
    expect(before.spent_usd).toBe(FIRST_COST);
    await stored(1);
    const hit = await call();
    expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(hit.response.headers.get('x-gateway-cost-usd')).toBe('0');
    expect(Number(hit.response.headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(
      Number(first.response.headers.get('x-ratelimit-remaining-requests')),
    );
    expect(hit.response.headers.get('x-ratelimit-limit-tokens')).toBeNull();
    expect(await usageRow(hit.response.headers.get('x-gateway-call-id')!)).toMatchObject({
      cost: '0',
      saved: FIRST_COST,
      cache_hit: true,
    });
    await drainQueue(api, QueueName.Billing);
    const after = await view();
    expect(after).toMatchObject({ spent_usd: FIRST_COST, reserved_usd: '0' });
    expect(upstream.requests).toHaveLength(1);

    const report = await api.get(UsageReportRepository).report({ apiKeyId: limited.id }, []);
    expect(report.totals).toMatchObject({ cache_hits: 1, saved_usd: FIRST_COST, cost_usd: FIRST_COST, requests: 2 });
    const tomorrow = new Date(Date.now() + 86_400_000);
    const daily = await api
      .get(UsageReportRepository)
      .report({ apiKeyId: limited.id, to: new Date(tomorrow.toISOString().slice(0, 10)) }, ['day']);
    expect(daily.totals).toMatchObject({ cache_hits: 1, saved_usd: FIRST_COST });

    // a spent budget still gets its cached answers (they cost nothing); a budget of 0 refuses every call
    const keys = api.get(ApiKeyManagementService);
    await keys.update(limited.id, { monthlyBudget: FIRST_COST });
    const spent = await waitFor(async () => {
      const refused = await limitedClient.chat.completions
        .create({ model: 'plain-model', messages: [{ role: 'user', content: fresh() }] })
        .catch((e: unknown) => e);
      return refused instanceof OpenAI.RateLimitError ? refused : undefined;
    });
    expect(spent.code).toBe('budget_exceeded');
    const stillHit = await call();
    expect(stillHit.response.headers.get('x-gateway-cache')).toBe('hit');
    await keys.update(limited.id, { monthlyBudget: 0 });
    const blocked = await waitFor(async () => {
      const r = await call().catch((e: unknown) => e);
      return r instanceof OpenAI.RateLimitError ? r : undefined;
    });
    expect(blocked.code).toBe('budget_exceeded');
    expect(blocked.headers?.get('x-gateway-cache')).toBe('hit');
    expect(upstream.requests).toHaveLength(1);

    // a ttl of 0 on the key switches off the cache its alias turned on
    await keys.update(limited.id, { monthlyBudget: 1, cache: { ttl: '0s', scope: 'key' } });
    const off = await waitFor(async () => {
      const r = await limitedClient.chat.completions
        .create({ model: 'cached', messages: [{ role: 'user', content }] })
        .withResponse();
      return r.response.headers.get('x-gateway-cache') === null ? r : undefined;
    });
    expect(off.response.headers.get('x-gateway-cost-usd')).not.toBe('0');
  });
});
