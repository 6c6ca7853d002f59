import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { DataSource } from 'typeorm';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { adminRequest, type Json, loginEveryRole } from '#test/factories/admin-fixtures';
import { CANARY_PROVIDER_KEY, createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeAnthropic } from '#test/utils/fake-anthropic';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

const price = (input: string, output: string) => [
  { direction: 'input' as const, unit: '1m_tokens' as const, price: input },
  { direction: 'output' as const, unit: '1m_tokens' as const, price: output },
];
const serverError = { status: 500, body: { error: { message: 'boom', type: 'server_error' } } };
const unavailable = { status: 503, body: { error: { message: 'overloaded', type: 'server_error' } } };

/** SPEC §11: aliases that route over several models, with retries, fallbacks and exact money. */
describe('proxy: routing over several targets', () => {
  let api: TestApp;
  let a: FakeOpenAi;
  let b: FakeOpenAi;
  let c: FakeOpenAi;
  let claude: FakeAnthropic;
  let events: EventCapture;
  let token: string;
  let key: { id: string; key: string };
  let client: OpenAI;

  const alias = async (name: string, routing: Json): Promise<Json> => {
    const res = await adminRequest(api, 'POST', '/admin/aliases', { token, body: { name, routing } });
    if (res.status !== 201) throw new Error(`alias ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /** An alias created through the service (not the admin API: see the note above the multi-process cases). */
  const routedAlias = (name: string, targets: { model: string; priority?: number }[], retries = 0) =>
    api.get(ModelManagementService).createAlias({
      name,
      modelId: null,
      routing: {
        strategy: 'weighted',
        targets: targets.map((t) => ({ model: t.model, weight: 1, priority: t.priority ?? 0 })),
        retries,
        retryOn: ['429', '5xx', 'timeout', 'connect'],
      },
    });

  beforeAll(async () => {
    await resetState();
    [a, b, c] = await Promise.all([new FakeOpenAi().start(), new FakeOpenAi().start(), new FakeOpenAi().start()]);
    claude = await new FakeAnthropic(CANARY_PROVIDER_KEY).start();
    api = await startApi();
    events = new EventCapture(api);
    token = (await loginEveryRole(api)).admin;
    // A $0.15/$0.60, B $1/$4, C (a fallback) $2/$8 per million tokens
    for (const [fake, name, p] of [
      [a, 'model-a', price('0.15', '0.6')],
      [b, 'model-b', price('1', '4')],
      [c, 'model-c', price('2', '8')],
    ] as const) {
      const provider = await createProvider(api, { name: `provider-${name}`, baseUrl: fake.url });
      await createModel(api, { providerId: provider.id, name, pricing: [...p] });
    }
    const anthropic = await createProvider(api, { name: 'provider-claude', type: 'anthropic', baseUrl: claude.url });
    await createModel(api, {
      providerId: anthropic.id,
      name: 'claude-native',
      providerModelId: 'claude-sonnet-4-5',
      pricing: price('3', '15'),
    });
    key = await createKey(api);
    client = new OpenAI({ apiKey: key.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await api.close();
    await Promise.all([a.stop(), b.stop(), c.stop(), claude.stop()]);
  });
  beforeEach(async () => {
    for (const f of [a, b, c]) f.reset();
    claude.reset();
    events.clear();
    // each case starts with no target failures or cooldowns left by the one before
    const redis = api.app.get<RedisClient>(HOT_REDIS);
    const found = await redis.keys(`{${api.get(RedisKeys).prefix}:rt}:*`);
    if (found.length > 0) await redis.del(...found);
  });

  const usageRow = (callId: string): Promise<Json> =>
    waitFor(async (): Promise<Json> => {
      const rows = await api.get(DataSource).query<Record<string, unknown>[]>(
        `SELECT model_name, provider_name, alias, attempts, status, cost_usd::text AS cost, prompt_tokens, completion_tokens
           FROM usage_records WHERE call_id = $1`,
        [callId],
      );
      return rows[0];
    });

  describe('the routing field', () => {
    it('is validated on write, shown with model names, listed in /v1/models, and keeps its models from being deleted', async () => {
      const post = (routing: Json) =>
        adminRequest(api, 'POST', '/admin/aliases', { token, body: { name: `bad-${Math.random()}`, routing } });
      expect((await post({ targets: [{ model: 'no-such-model' }] })).status).toBe(400);
      expect((await post({ targets: [{ model: 'model-a', weight: 0 }] })).status).toBe(400);
      expect((await post({ targets: [] })).status).toBe(400);
      expect((await post({ targets: [{ model: 'model-a' }, { model: 'model-a' }] })).status).toBe(400);
      const badStrategy = await post({ strategy: 'fastest', targets: [{ model: 'model-a' }] });
      expect(badStrategy.status).toBe(400);
      expect(JSON.stringify(badStrategy.body)).toContain('strategy must be one of weighted, least_busy, latency, cost');
      for (const timeout of ['soon', '50ms', '11m', 30])
        expect((await post({ targets: [{ model: 'model-a' }], attempt_timeout: timeout })).status).toBe(400);
      const timed = await post({ strategy: 'least_busy', targets: [{ model: 'model-a' }], attempt_timeout: '1500ms' });
      expect(timed.status).toBe(201);
      expect(timed.body.routing).toMatchObject({ strategy: 'least_busy', attempt_timeout: '1500ms' });

      const created = await alias('shown', { targets: [{ model: 'model-a', weight: 3 }, { model: 'model-b' }] });
      expect(created.model_id).toBeNull();
      expect(created.routing).toEqual({
        strategy: 'weighted',
        targets: [
          { model: 'model-a', model_id: expect.any(String), weight: 3, priority: 0 },
          { model: 'model-b', model_id: expect.any(String), weight: 1, priority: 0 },
        ],
        retries: 1,
        retry_on: ['429', '5xx', 'timeout', 'connect'],
        attempt_timeout: null,
      });
      const listed = await client.models.list();
      expect(listed.data.find((m) => m.id === 'shown')).toMatchObject({ owned_by: 'llm-gateway' });
      // an alias cannot be a target (no cycles)
      expect((await post({ targets: [{ model: 'shown' }] })).status).toBe(400);
      const modelB = created.routing.targets[1].model_id as string;
      expect((await adminRequest(api, 'DELETE', `/admin/models/${modelB}`, { token })).status).toBe(409);
    });
  });

  it('answers a 500 of target A from B: billed once at B’s price, with the model, the attempts and their record', async () => {
    await alias('a-then-b', { targets: [{ model: 'model-a' }, { model: 'model-b', priority: 1 }] });
    a.reset({ error: serverError });
    b.reset({ reply: 'from B', usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    const { data, response } = await client.chat.completions
      .create({ model: 'a-then-b', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('from B');
    expect(response.headers.get('x-gateway-model')).toBe('model-b');
    expect(response.headers.get('x-gateway-attempts')).toBe('2');
    // 1000 × $1/M + 500 × $4/M at B's prices
    expect(response.headers.get('x-gateway-cost-usd')).toBe('0.003');
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
    const callId = response.headers.get('x-gateway-call-id')!;
    expect(await usageRow(callId)).toMatchObject({
      model_name: 'model-b',
      provider_name: 'provider-model-b',
      alias: 'a-then-b',
      attempts: 2,
      status: 200,
      cost: '0.003',
    });
    const event = await events.forCall(callId);
    expect(event.attempts).toEqual([
      expect.objectContaining({ model: 'model-a', status: 502, errorCode: 'upstream_error' }),
      expect.objectContaining({ model: 'model-b', status: 200, errorCode: null }),
    ]);
    expect(event.fellBack).toBe(true);
  });

  it('falls back to the next priority when a whole group gives 503, and answers a provider 400 at once', async () => {
    await alias('groups', {
      targets: [
        { model: 'model-a', priority: 0 },
        { model: 'model-b', priority: 0 },
        { model: 'model-c', priority: 1 },
      ],
      retries: 1,
    });
    a.reset({ error: unavailable });
    b.reset({ error: unavailable });
    c.reset({ reply: 'from the fallback' });
    const answer = await client.chat.completions.create({
      model: 'groups',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(answer.choices[0].message.content).toBe('from the fallback');
    expect([a.requests.length, b.requests.length, c.requests.length]).toEqual([1, 1, 1]);

    for (const f of [a, b, c]) f.reset();
    const badRequest = { status: 400, body: { error: { message: 'context too long', type: 'invalid_request_error' } } };
    a.reset({ error: badRequest });
    b.reset({ error: badRequest });
    const refused = await client.chat.completions
      .create({ model: 'groups', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(a.requests.length + b.requests.length).toBe(1);
    expect(c.requests).toHaveLength(0);
  });

  it('switches a stream only before its first byte: a failing first target is replaced, a cut stream is not', async () => {
    await alias('streamed', { targets: [{ model: 'model-a' }, { model: 'model-b', priority: 1 }] });
    a.reset({ error: serverError });
    b.reset({ reply: 'whole from B' });
    const parts: string[] = [];
    const stream = await client.chat.completions.create({
      model: 'streamed',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    for await (const chunk of stream) parts.push(chunk.choices[0]?.delta?.content ?? '');
    expect(parts.join('')).toBe('whole from B');

    a.reset({ reply: 'one two three four', failStreamAfter: 2 });
    b.reset({ reply: 'never' });
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'streamed', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const text = await res.text();
    expect(res.headers.get('x-gateway-model')).toBe('model-a');
    expect(text).toContain('"error"');
    expect(text).not.toContain('[DONE]');
    expect(b.requests).toHaveLength(0);
  });

  it('routes embeddings the same way', async () => {
    await alias('embed', { targets: [{ model: 'model-a' }, { model: 'model-b' }], strategy: 'cost' });
    a.reset({ error: unavailable });
    const { response } = await client.embeddings.create({ model: 'embed', input: 'hello' }).withResponse();
    expect(response.headers.get('x-gateway-model')).toBe('model-b');
    expect(a.requests[0].path).toBe('/v1/embeddings');
  });

  it('falls back from a native Claude target (529) to a translated one and still answers in Anthropic’s format', async () => {
    await alias('claude-or-gpt', { targets: [{ model: 'claude-native' }, { model: 'model-a', priority: 1 }] });
    claude.reset({
      error: { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
    });
    a.reset({ reply: 'translated answer' });
    const anthropic = new Anthropic({ apiKey: key.key, baseURL: api.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'claude-or-gpt',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'translated answer' }]);
    expect(claude.requests).toHaveLength(1);
    expect(a.requests[0].path).toBe('/v1/chat/completions');

    // the last target's own error reaches the client unchanged when no target is left
    await alias('claude-only', { targets: [{ model: 'claude-native' }] });
    const refused = await anthropic.messages
      .create({ model: 'claude-only', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect((refused as { status: number }).status).toBe(529);
  });

  it('reserves the budget for the dearest target: the output limit is what the dearest price allows', async () => {
    // B costs $4 per million output tokens: 2,000 output tokens are $0.008 on B, $0.0012 on A
    await alias('cheap-first', { targets: [{ model: 'model-a' }, { model: 'model-b', priority: 1 }] });
    const poor = await createKey(api, { monthlyBudget: '0.005' });
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${poor.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cheap-first', max_tokens: 2000, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    // admitted with the output limit lowered to what the dearest target's price allows within the budget
    expect(res.status).toBe(200);
    const lowered = Number(res.headers.get('x-gateway-max-tokens'));
    expect(lowered).toBeGreaterThan(0);
    expect(lowered).toBeLessThan(1250);
    expect(a.requests[0].body.max_tokens ?? a.requests[0].body.max_completion_tokens).toBe(lowered);
  });

  it('sends a routed call’s pick in the same socket write as its admission, and its end with its settle', async () => {
    await alias('one-write', { strategy: 'least_busy', targets: [{ model: 'model-a' }, { model: 'model-b' }] });
    a.reset({ reply: 'from A' });
    b.reset({ reply: 'from B' });
    const metered = await createKey(api, { rateLimit: 1000, monthlyBudget: 100 });
    const meteredClient = new OpenAI({ apiKey: metered.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    // the key's first call builds its spend counter (one more admission round trip): measure the second
    await meteredClient.chat.completions.create({ model: 'one-write', messages: [{ role: 'user', content: 'Hi' }] });
    // every write the hot client hands its socket, as text
    const stream = (api.app.get<RedisClient>(HOT_REDIS) as unknown as { stream: Record<string, unknown> }).stream;
    const writes: string[] = [];
    const write = stream._write as (chunk: Buffer | string, ...rest: unknown[]) => void;
    const writev = stream._writev as (chunks: { chunk: Buffer | string }[], cb: unknown) => void;
    stream._write = (chunk: Buffer | string, ...rest: unknown[]) => {
      writes.push(String(chunk));
      write.call(stream, chunk, ...rest);
    };
    stream._writev = (chunks: { chunk: Buffer | string }[], cb: unknown) => {
      writes.push(chunks.map((c) => String(c.chunk)).join(''));
      writev.call(stream, chunks, cb);
    };
    try {
      const { response } = await meteredClient.chat.completions
        .create({ model: 'one-write', messages: [{ role: 'user', content: 'Hi' }] })
        .withResponse();
      const callId = response.headers.get('x-gateway-call-id')!;
      const auditBuffer = api.get(RedisKeys).auditBuffer();
      const ofCall = () => writes.filter((w) => w.includes(callId) && !w.includes(auditBuffer));
      await waitFor(async () => (ofCall().length >= 2 ? true : undefined), 5000, 20);
      // admission + pick, then settle + the attempt's end: two scripts (EVAL until Redis knows them, then
      // EVALSHA) in each of two writes
      expect(ofCall().map((w) => w.match(/\r\neval(sha)?\r\n/gi)?.length)).toEqual([2, 2]);
    } finally {
      stream._write = write;
      stream._writev = writev;
    }
  });

  it('cools a target down at once for a provider 429 with Retry-After', async () => {
    await alias('retry-after', { targets: [{ model: 'model-a' }, { model: 'model-b', priority: 1 }], retries: 0 });
    a.reset({
      error: {
        status: 429,
        body: { error: { message: 'slow down', type: 'rate_limit_error' } },
        headers: { 'retry-after': '60' },
      },
    });
    b.reset({ reply: 'from B' });
    const first = await client.chat.completions
      .create({ model: 'retry-after', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(first.response.headers.get('x-gateway-attempts')).toBe('2');
    const second = await client.chat.completions
      .create({ model: 'retry-after', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(second.response.headers.get('x-gateway-attempts')).toBe('1');
    expect(a.requests).toHaveLength(1);
  });

  it('never overshoots a budget under 100 concurrent calls over targets of different prices', async () => {
    // A answers every other call with a 500 (and soon cools down), so B, ≈7× dearer, answers many: the reservation
    // must cover B
    await alias('mixed-prices', { targets: [{ model: 'model-a' }, { model: 'model-b', priority: 1 }] });
    const budget = '0.02';
    const tight = await createKey(api, { monthlyBudget: budget });
    // as real providers: the prompt "Hi" (its upper bound is a few tokens), and output up to the limit sent
    const usage = { prompt_tokens: 1, completion_tokens: 300 };
    a.reset({ reply: 'A', usage, honourMaxTokens: true, error: serverError, errorEvery: 2 });
    b.reset({ reply: 'B', usage, honourMaxTokens: true });
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(`${api.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tight.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'mixed-prices',
            max_tokens: 300,
            messages: [{ role: 'user', content: 'Hi' }],
          }),
        }).then(async (r) => ({ status: r.status, body: await r.text() })),
      ),
    );
    const answered = results.filter((r) => r.status === 200).length;
    expect(answered).toBeGreaterThan(0);
    expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const billed = await waitFor(async () => {
      const [row] = await api
        .get(DataSource)
        .query<{ n: string; total: string }[]>(
          `SELECT count(*) AS n, COALESCE(sum(cost_usd), 0)::text AS total FROM usage_records WHERE api_key_id = $1`,
          [tight.id],
        );
      return Number(row.n) === answered ? row : undefined;
    }, 30_000);
    expect(Number(billed.total)).toBeLessThanOrEqual(Number(budget));
    // B answered a share of the calls: the case exercises the dearer target, not only the cheap one
    expect(b.requests.length).toBeGreaterThan(5);
  });

  // the apps the next two cases start register their admin JWT strategy in passport's process-wide registry (the
  // last one wins); once they are closed, this spec's admin JWT no longer verifies, so these cases come last and
  // create what they need through the services (a test artifact: a process runs one app)
  it('moves the sixth call of the minute off a target with rpm_limit 5, across two gateway processes', async () => {
    const quoted = await createProvider(api, { name: 'provider-quoted', baseUrl: a.url });
    await createModel(api, { providerId: quoted.id, name: 'model-quoted', rpmLimit: 5, pricing: price('0.15', '0.6') });
    await routedAlias('quoted', [{ model: 'model-quoted' }, { model: 'model-b', priority: 1 }]);
    await routedAlias('quoted-only', [{ model: 'model-quoted' }]);
    const other = await startApi();
    try {
      const call = (app: TestApp, model: string) =>
        fetch(`${app.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
        });
      const answered: string[] = [];
      for (let i = 0; i < 6; i++)
        answered.push((await call(i % 2 ? other : api, 'quoted')).headers.get('x-gateway-model')!);
      expect(answered).toEqual([...Array(5).fill('model-quoted'), 'model-b']);
      expect(a.requests).toHaveLength(5);
      // a target at quota with nowhere else to go: 429 upstream_capacity, nothing sent upstream
      const full = await call(other, 'quoted-only');
      expect(full.status).toBe(429);
      expect(await full.json()).toMatchObject({ error: { code: 'upstream_capacity', type: 'rate_limit_error' } });
      expect(a.requests).toHaveLength(5);

      // tpm_limit: the tokens a call used count against the next ones, on every process
      const tokens = await createProvider(api, { name: 'provider-tpm', baseUrl: c.url });
      await createModel(api, { providerId: tokens.id, name: 'model-tpm', tpmLimit: 1000, pricing: price('2', '8') });
      await routedAlias('tpm', [{ model: 'model-tpm' }, { model: 'model-b', priority: 1 }]);
      c.reset({ reply: 'big', usage: { prompt_tokens: 900, completion_tokens: 200 } });
      expect((await call(api, 'tpm')).headers.get('x-gateway-model')).toBe('model-tpm');
      await waitFor(async () =>
        (await call(other, 'tpm')).headers.get('x-gateway-model') === 'model-b' ? true : undefined,
      );
      expect(c.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('cools a target down on every gateway process after 3 failures in a minute, until the cooldown ends', async () => {
    await routedAlias('cooling', [{ model: 'model-a' }, { model: 'model-b', priority: 1 }]);
    const env = { ROUTING_COOLDOWN: '1500ms', ROUTING_COOLDOWN_FAILURES: '3' };
    const [one, two] = await Promise.all([startApi(env), startApi(env)]);
    try {
      const call = (app: TestApp) =>
        new OpenAI({ apiKey: key.key, baseURL: `${app.url}/v1`, maxRetries: 0 }).chat.completions
          .create({ model: 'cooling', messages: [{ role: 'user', content: 'Hi' }] })
          .withResponse();
      a.reset({ error: serverError });
      b.reset({ reply: 'from B' });
      for (let i = 0; i < 3; i++) expect((await call(one)).response.headers.get('x-gateway-attempts')).toBe('2');
      expect(a.requests).toHaveLength(3);
      // the other process skips A at once: one attempt, on B
      const skipped = await call(two);
      expect(skipped.response.headers.get('x-gateway-model')).toBe('model-b');
      expect(skipped.response.headers.get('x-gateway-attempts')).toBe('1');
      expect(a.requests).toHaveLength(3);
      // once the cooldown is over A is tried again (and answers now)
      a.reset({ reply: 'A is back' });
      await new Promise((r) => setTimeout(r, 1700));
      const back = await call(two);
      expect(back.data.choices[0].message.content).toBe('A is back');
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
