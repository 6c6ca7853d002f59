import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { createGateway, createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';
import { REDIS_TEST_URL } from '#test/utils/test-env';

const chat = (api: TestApp, key: string, body: Record<string, unknown> = {}): Promise<Response> =>
  fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body }),
  });

describe('rate limits', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  let redis: Redis;
  let gw: Awaited<ReturnType<typeof createGateway>>;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    gw = await createGateway(api, upstream.url);
    redis = new Redis(REDIS_TEST_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await api.close();
    await upstream.stop();
  });

  it('sends OpenAI x-ratelimit headers and refuses with 429 and Retry-After past the limit, using no slot when refused', async () => {
    const key = await createKey(api, { rateLimit: 2 });
    const first = await chat(api, key.key);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|\d+s|1m0s)$/);
    expect((await chat(api, key.key)).headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const refused = await chat(api, key.key);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await refused.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
    const window = await redis.zcard(api.get(RedisKeys).apiKey(key.id).requests);
    expect(window).toBe(2);
  });

  it('is a true sliding window over Redis time: N admissions 59.5 s ago refuse now and admit 0.5–1.5 s later', async () => {
    const key = await createKey(api, { rateLimit: 3 });
    const [sec, micro] = await redis.time();
    const past = Number(sec) * 1000 + Math.floor(Number(micro) / 1000) - 59_500;
    const zset = api.get(RedisKeys).apiKey(key.id).requests;
    await redis.zadd(zset, past, 'seed-1', past, 'seed-2', past, 'seed-3');
    expect((await chat(api, key.key)).status).toBe(429);
    const refusedAt = Date.now();
    let admittedAfter = -1;
    while (Date.now() - refusedAt < 3000) {
      await new Promise((r) => setTimeout(r, 100));
      if ((await chat(api, key.key)).status === 200) {
        admittedAfter = Date.now() - refusedAt;
        break;
      }
    }
    expect(admittedAfter).toBeGreaterThanOrEqual(300);
    expect(admittedAfter).toBeLessThanOrEqual(1500);
  });

  it('does not give a burst at the end of one minute and the start of the next twice the limit', async () => {
    const key = await createKey(api, { rateLimit: 4 });
    const [sec, micro] = await redis.time();
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    // four admissions 30 s ago: a fixed per-minute window would reset at the minute boundary, this one does not
    await redis.zadd(
      api.get(RedisKeys).apiKey(key.id).requests,
      now - 30_000,
      'a',
      now - 30_000,
      'b',
      now - 30_000,
      'c',
      now - 30_000,
      'd',
    );
    expect((await chat(api, key.key)).status).toBe(429);
  });

  it('admits exactly the limit from a concurrent burst of 50', async () => {
    const key = await createKey(api, { rateLimit: 5 });
    const statuses = await Promise.all(Array.from({ length: 50 }, () => chat(api, key.key).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(45);
  });

  it('admits exactly the limit from a burst of 50 split across two gateway instances', async () => {
    const other = await startApi();
    try {
      const key = await createKey(api, { rateLimit: 5 });
      const statuses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => chat(i % 2 ? other : api, key.key).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    } finally {
      await other.close();
    }
  });

  it('refuses every call with rate_limit 0', async () => {
    const key = await createKey(api, { rateLimit: 0 });
    expect((await chat(api, key.key)).status).toBe(429);
  });

  it('limits tokens per minute: admitted while under, charged when known, refused once over', async () => {
    upstream.reset({ usage: { prompt_tokens: 60, completion_tokens: 40 } });
    const key = await createKey(api, { tokensPerMinute: 150 });
    const first = await chat(api, key.key);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('150');
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('150');
    await new Promise((r) => setTimeout(r, 100)); // settlement happens after the response
    const second = await chat(api, key.key);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-ratelimit-remaining-tokens')).toBe('50');
    await new Promise((r) => setTimeout(r, 100));
    const third = await chat(api, key.key);
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({
      error: { code: 'rate_limit_exceeded', message: expect.stringContaining('tokens per minute') },
    });
    upstream.reset();
  });

  it('passes keys without limits through with no rate-limit headers', async () => {
    const res = await chat(api, gw.key);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBeNull();
  });

  it('records refused calls in the call events but not as admitted', async () => {
    const events = new EventCapture(api);
    const key = await createKey(api, { rateLimit: 0 });
    const res = await chat(api, key.key);
    const event = await events.forCall(res.headers.get('x-gateway-call-id')!);
    expect(event).toMatchObject({
      admitted: false,
      status: 429,
      errorCode: 'rate_limit_exceeded',
      model: { name: 'gpt-4o-mini' },
    });
  });
});

describe('Redis unreachable', () => {
  let upstream: FakeOpenAi;
  beforeAll(async () => {
    upstream = await new FakeOpenAi().start();
  });
  afterAll(() => upstream.stop());

  async function withRedisDown(
    mode: 'open' | 'closed',
    fn: (api: TestApp, key: string, plainKey: string) => Promise<void>,
  ): Promise<void> {
    await resetState();
    const setup = await startApi();
    const gw = await createGateway(setup, upstream.url, { rateLimit: 100 });
    await setup.close();
    // a second app whose hot-path Redis points nowhere, but which shares the database
    const api = await startApi({
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_FAILURE_MODE: mode,
      REDIS_COMMAND_TIMEOUT: '200ms',
    });
    try {
      await fn(api, gw.key, gw.key);
    } finally {
      await api.close();
    }
  }

  it('refuses limited keys with 503 when REDIS_FAILURE_MODE=closed', async () => {
    await withRedisDown('closed', async (api, key) => {
      const res = await chat(api, key);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { type: 'api_error', code: 'service_unavailable' } });
    });
  });

  it('lets limited keys through unmetered, counted, when REDIS_FAILURE_MODE=open, and still bills and logs the call at shutdown', async () => {
    let callId = '';
    let logDir = '';
    await withRedisDown('open', async (api, key) => {
      logDir = join(api.config.env.DATA_DIR, 'logs');
      const res = await chat(api, key);
      expect(res.status).toBe(200);
      callId = res.headers.get('x-gateway-call-id')!;
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(metrics).toMatch(/llmgw_unmetered_calls_total [1-9]/);
    });
    // the billing queue was unreachable, so the shutdown wrote the usage row to PostgreSQL directly
    const check = await startApi();
    try {
      const rows = await check.get(DataSource).query('SELECT status FROM usage_records WHERE call_id = $1', [callId]);
      expect(rows).toEqual([{ status: 200 }]);
    } finally {
      await check.close();
    }
    // and the audit buffer was unreachable, so the shutdown stored its record directly (no bucket: DATA_DIR/logs)
    const files = (await readdir(logDir, { recursive: true })).filter((f) => f.endsWith('.jsonl.gz'));
    const records = (
      await Promise.all(files.map(async (f) => gunzipSync(await readFile(join(logDir, f))).toString('utf8')))
    )
      .flatMap((text) => text.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as { call_id: string; status: number });
    expect(records.filter((r) => r.call_id === callId)).toEqual([
      expect.objectContaining({ call_id: callId, status: 200 }),
    ]);
  });
});
