import OpenAI from 'openai';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { periodId } from '#src/modules/billing/budget-period';
import { adminRequest, type Json, loginEveryRole } from '#test/factories/admin-fixtures';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

const price = [
  { direction: 'input' as const, unit: '1m_tokens' as const, price: '1' },
  { direction: 'output' as const, unit: '1m_tokens' as const, price: '4' },
];

/**
 * SPEC §11, the live part of routing: `least_busy` and `latency` read calls in flight and time-to-first-byte
 * averages every pod shares in Redis (in the admission's round trip), `attempt_timeout` bounds the wait for a
 * provider's headers, and a call refused for provider capacity after its admission gives its admission back.
 */
describe('proxy: routing by live state', () => {
  let api: TestApp;
  let a: FakeOpenAi;
  let b: FakeOpenAi;
  let events: EventCapture;
  let token: string;
  let key: { id: string; key: string };
  let redis: RedisClient;
  let keys: RedisKeys;

  const alias = async (name: string, routing: Json): Promise<void> => {
    const res = await adminRequest(api, 'POST', '/admin/aliases', { token, body: { name, routing } });
    if (res.status !== 201) throw new Error(`alias ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  const chat = (model: string, apiKey = key.key, stream = false): Promise<Response> =>
    fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hi' }] }),
    });

  /** `n` calls, `concurrency` at a time: the model that answered each. */
  const answeredBy = async (model: string, n: number, concurrency: number): Promise<string[]> => {
    const out: string[] = [];
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < n) {
        started++;
        const res = await chat(model);
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        out.push(res.headers.get('x-gateway-model')!);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return out;
  };

  beforeAll(async () => {
    await resetState();
    [a, b] = await Promise.all([new FakeOpenAi().start(), new FakeOpenAi().start()]);
    api = await startApi();
    events = new EventCapture(api);
    token = (await loginEveryRole(api)).admin;
    for (const [fake, name] of [
      [a, 'model-a'],
      [b, 'model-b'],
    ] as const) {
      const provider = await createProvider(api, { name: `provider-${name}`, baseUrl: fake.url });
      await createModel(api, { providerId: provider.id, name, pricing: price });
    }
    key = await createKey(api);
    redis = api.app.get<RedisClient>(HOT_REDIS);
    keys = api.get(RedisKeys);
  });
  afterAll(async () => {
    await api.close();
    await Promise.all([a.stop(), b.stop()]);
  });
  beforeEach(async () => {
    for (const f of [a, b]) f.reset();
    events.clear();
    const found = await redis.keys(`{${keys.prefix}:rt}:*`);
    if (found.length > 0) await redis.del(...found);
  });

  it('weighted: 2,000 calls over weights 3:1 land within ±5 % of 75/25', async () => {
    await alias('three-to-one', {
      targets: [
        { model: 'model-a', weight: 3 },
        { model: 'model-b', weight: 1 },
      ],
    });
    const answered = await answeredBy('three-to-one', 2000, 16);
    const onA = answered.filter((m) => m === 'model-a').length / answered.length;
    expect(onA).toBeGreaterThanOrEqual(0.7);
    expect(onA).toBeLessThanOrEqual(0.8);
    expect(a.requests.length + b.requests.length).toBe(2000);
  }, 60_000);

  it('least_busy sends concurrent calls to the target with fewer calls in flight on every pod', async () => {
    await alias('busy', { strategy: 'least_busy', targets: [{ model: 'model-a' }, { model: 'model-b' }] });
    a.reset({ delayMs: 400 }); // A holds each call: its calls in flight pile up
    b.reset({ delayMs: 10 });
    const answered = await answeredBy('busy', 40, 8);
    const onB = answered.filter((m) => m === 'model-b').length;
    // equal weights: `weighted` would split about 20/20
    expect(onB).toBeGreaterThanOrEqual(28);
    // every call left the in-flight sets once it ended
    const busy = await redis.keys(`{${keys.prefix}:rt}:*:busy`);
    for (const k of busy) expect(await redis.zcard(k)).toBe(0);
  });

  it('latency prefers the target with the lowest recent time to first byte once both are measured', async () => {
    await alias('fastest', { strategy: 'latency', targets: [{ model: 'model-a' }, { model: 'model-b' }] });
    a.reset({ delayMs: 150 });
    b.reset({ delayMs: 5 });
    const answered = await answeredBy('fastest', 40, 4);
    // an unmeasured target is tried first (each gets measured), then the fast one takes the calls
    expect(answered.slice(-20)).toEqual(Array(20).fill('model-b'));
    expect(a.requests.length).toBeGreaterThan(0);
    expect(a.requests.length).toBeLessThanOrEqual(10);
    const [avgA, avgB] = await Promise.all(
      ['model-a', 'model-b'].map(async (name) => {
        const id = (await adminRequest(api, 'GET', '/admin/models?limit=100', { token })).body.data.find(
          (m: Json) => m.name === name,
        ).id as string;
        return Number(await redis.hget(keys.target(id).latency, 'v'));
      }),
    );
    expect(avgA).toBeGreaterThanOrEqual(150);
    expect(avgB).toBeLessThan(avgA);
  });

  it('attempt_timeout moves a call whose provider sends no headers in time to the next target, JSON and stream', async () => {
    await alias('bounded', {
      targets: [{ model: 'model-a' }, { model: 'model-b', priority: 1 }],
      attempt_timeout: '300ms',
    });
    a.reset({ delayMs: 3000 });
    b.reset({ reply: 'from B in time' });
    const started = performance.now();
    const res = await chat('bounded');
    const body = (await res.json()) as Json;
    expect(performance.now() - started).toBeLessThan(2500);
    expect(body.choices[0].message.content).toBe('from B in time');
    expect(res.headers.get('x-gateway-model')).toBe('model-b');
    expect(res.headers.get('x-gateway-attempts')).toBe('2');
    const event = await events.forCall(res.headers.get('x-gateway-call-id')!);
    expect(event.attempts).toEqual([
      expect.objectContaining({ model: 'model-a', status: 504 }),
      expect.objectContaining({ model: 'model-b', status: 200 }),
    ]);

    const client = new OpenAI({ apiKey: key.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const parts: string[] = [];
    const stream = await client.chat.completions.create({
      model: 'bounded',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    for await (const chunk of stream) parts.push(chunk.choices[0]?.delta?.content ?? '');
    expect(parts.join('')).toBe('from B in time');
    expect(a.requests).toHaveLength(2);
    expect(b.requests).toHaveLength(2);

    // a provider that sends its headers in time is not cut off while it streams past the bound
    a.reset({ reply: 'slow but steady stream', chunkDelayMs: 120 });
    const slow = await client.chat.completions.create({
      model: 'bounded',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const slowParts: string[] = [];
    for await (const chunk of slow) slowParts.push(chunk.choices[0]?.delta?.content ?? '');
    expect(slowParts.join('')).toBe('slow but steady stream');
    expect(b.requests).toHaveLength(2);
  });

  it('gives the admission back (request slot, reservation) when every target is at its provider quota', async () => {
    const quoted = await createProvider(api, { name: 'provider-capped', baseUrl: a.url });
    await createModel(api, { providerId: quoted.id, name: 'model-capped', rpmLimit: 1, pricing: price });
    await alias('capped', { targets: [{ model: 'model-capped' }] });
    const limited = await createKey(api, { rateLimit: 100, monthlyBudget: '10' });
    expect((await chat('capped', limited.key)).status).toBe(200);
    const refused = await chat('capped', limited.key);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'upstream_capacity' } });
    const k = keys.apiKey(limited.id);
    // only the answered call holds a slot of the key's rate limit; no reservation is left open
    expect(await redis.zcard(k.requests)).toBe(1);
    expect(await redis.zscore(k.requests, refused.headers.get('x-gateway-call-id')!)).toBeNull();
    expect(Number((await redis.get(k.reservedTotal(periodId('month', new Date())))) ?? 0)).toBe(0);
    expect(a.requests).toHaveLength(1);
  });
});
