import type { Redis } from 'ioredis';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { periodId } from '#src/modules/billing/budget-period';
import { AdmissionService } from '#src/modules/calls/admission';
import { ApiKeyAuthService } from '#src/modules/keys/api-key-auth.service';
import { ModelResolver } from '#src/modules/models/model-resolver.service';
import { createKey } from '#test/factories/gateway-fixtures';
import { BudgetUpstream } from '#test/limits/budget-upstream';
import {
  type BudgetModel,
  MESSAGES,
  billed,
  createBudgetModel,
  ledger,
  usdToNanos,
  waitForBilled,
} from '#test/limits/budget-helpers';
import { startApi, type TestApp } from '#test/utils/app';
import { PrivateRedis } from '#test/utils/redis-server';
import { resetState } from '#test/utils/reset';

/**
 * What one budgeted key keeps in Redis, and what admission costs, must not grow with traffic or with calls in
 * flight (issue 14 items 1, 2 and 6). Each test runs the gateway on a Redis of its own, so memory and command
 * statistics are the gateway's alone.
 */
async function chat(api: TestApp, key: string, model: string): Promise<number> {
  const res = await fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: MESSAGES, max_tokens: 20 }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function chatMany(api: TestApp, key: string, model: string, n: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      expect(await chat(api, key, model)).toBe(200);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Bytes Redis uses for every key under one API key's hash tag. */
async function keyMemory(redis: Redis, api: TestApp, apiKeyId: string): Promise<number> {
  const tag = api.get(RedisKeys).apiKey(apiKeyId).requests.replace(/:rpm$/, '');
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${tag.replace(/[{}[\]*?]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) total += (await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0')) as number;
  } while (cursor !== '0');
  return total;
}

/** Commands Redis ran (including from scripts), by name, since the last CONFIG RESETSTAT. */
async function commandCounts(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const counts: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

describe('budget state in Redis', () => {
  let server: PrivateRedis;
  let redis: Redis;
  let upstream: BudgetUpstream;
  let api: TestApp;
  let m: BudgetModel;

  beforeAll(async () => {
    await resetState();
    server = await PrivateRedis.start();
    redis = server.client();
    upstream = await new BudgetUpstream().start();
    // long enough for 3,000 calls on a loaded machine, short enough for the paused-admission test below
    api = await startApi({ REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT: '1s' });
    m = await createBudgetModel(api, upstream.url, 'state-model');
  });
  afterAll(async () => {
    await api.close();
    redis.disconnect();
    await server.stop();
    await upstream.stop();
  });

  it("keeps one budgeted key's Redis memory flat: 3,000 calls use within 2 KB of what 30 do (no per-call state)", async () => {
    const key = await createKey(api, { monthlyBudget: '1000' });
    await chatMany(api, key.key, m.model, 30);
    await waitForBilled(api, key.id, 30);
    const after30 = await keyMemory(redis, api, key.id);
    await chatMany(api, key.key, m.model, 2970);
    await waitForBilled(api, key.id, 3000);
    const after3000 = await keyMemory(redis, api, key.id);
    expect(after30).toBeGreaterThan(0);
    expect(Math.abs(after3000 - after30)).toBeLessThan(2048);
    const l = await ledger(redis, api, key.id);
    expect(l.reserved).toBe(0);
    expect(l.reservedTotal).toBe(0);
  }, 180_000);

  it('admits a key with 2,000 open reservations with exactly the commands it needs with none', async () => {
    const key = await createKey(api, { monthlyBudget: '1000', rateLimit: 100_000 });
    const authed = await api.get(ApiKeyAuthService).authenticate(key.key);
    const resolution = (await api.get(ModelResolver).resolve(m.model))!;
    const admissions = api.get(AdmissionService);
    const admitOnce = async (callId: string): Promise<Record<string, number>> => {
      await redis.config('RESETSTAT');
      await admissions.admit({
        callId,
        key: authed,
        model: resolution.model,
        endpoint: 'chat',
        promptTokenUpperBound: () => 20,
        requestedOutputTokens: 10,
        serviceTier: null,
      });
      const counts = await commandCounts(redis);
      delete counts.config;
      delete counts.info;
      return counts;
    };
    // the app's own background work (queue polling, billing of earlier calls) can land in a window: each
    // command's fewest calls over three admissions is what admission itself sends
    const admitOne = async (callId: string): Promise<Record<string, number>> => {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await admitOnce(`${callId}-${i}`));
      const names = new Set(runs.flatMap((r) => Object.keys(r)));
      const fewest: Record<string, number> = {};
      for (const name of names) {
        const n = Math.min(...runs.map((r) => r[name] ?? 0));
        if (n > 0) fewest[name] = n;
      }
      return fewest;
    };
    await admitOne('warm-up'); // builds the month counter
    const withNone = await admitOne('with-none');

    const k = api.get(RedisKeys).apiKey(key.id);
    const month = periodId('month', new Date());
    const [seconds] = await redis.time();
    const until = (Number(seconds) + 3600) * 1000;
    const fill = redis.multi();
    for (let i = 0; i < 2000; i++) {
      fill.hset(k.reservations(month), `open-${i}`, 1000);
      fill.zadd(k.reservationExpiry(month), until, `open-${i}`);
    }
    fill.incrby(k.reservedTotal(month), 2000 * 1000);
    await fill.exec();
    const withMany = await admitOne('with-many');

    expect(withMany).toEqual(withNone);
    expect(withMany.hvals ?? 0).toBe(0);
    expect(withMany.hgetall ?? 0).toBe(0);
    // the running total still counts every open reservation against the budget
    expect((await ledger(redis, api, key.id)).reservedTotal).toBe((await ledger(redis, api, key.id)).reserved);
  });

  it('admits and settles through scripts Redis lost (SCRIPT FLUSH, as after a restart): loaded again, each call counted once', async () => {
    const key = await createKey(api, { monthlyBudget: '1000', rateLimit: 1000 });
    for (let i = 0; i < 2; i++) expect(await chat(api, key.key, m.model)).toBe(200);
    await waitForBilled(api, key.id, 2);
    await redis.script('FLUSH');
    await redis.config('RESETSTAT');
    for (let i = 0; i < 3; i++) expect(await chat(api, key.key, m.model)).toBe(200);
    await waitForBilled(api, key.id, 5);
    const counts = await commandCounts(redis);
    // the pre-encoded EVALSHA met NOSCRIPT, and ioredis' own command loaded the scripts with EVAL
    expect(counts.eval ?? 0).toBeGreaterThanOrEqual(2);
    const l = await ledger(redis, api, key.id);
    expect(l.spend).toBe(usdToNanos((await billed(api, key.id)).sumUsd));
    expect(l.reserved).toBe(0);
    expect(l.reservedTotal).toBe(0);
    expect(await redis.zcard(api.get(RedisKeys).apiKey(key.id).requests)).toBe(5);
  });

  it('gives back the slot and reservation of an admission that timed out on the gateway side', async () => {
    const key = await createKey(api, { monthlyBudget: '1', rateLimit: 5 });
    expect(await chat(api, key.key, m.model)).toBe(200); // builds the counter, takes one request slot
    const k = api.get(RedisKeys).apiKey(key.id);
    const slotsBefore = await redis.zcard(k.requests);

    const pauser = server.client();
    await pauser.call('CLIENT', 'PAUSE', '2500', 'WRITE');
    const refused = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: m.model, messages: MESSAGES, max_tokens: 20 }),
    });
    expect(refused.status).toBe(503); // REDIS_FAILURE_MODE=closed: the admission did not answer in time
    pauser.disconnect();

    // Redis runs the late admission when the pause ends; the release sent after it on the same connection
    // undoes it (reads are not paused, so wait past the pause before looking)
    await new Promise((r) => setTimeout(r, 3000));
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.zcard(k.requests)).toBe(slotsBefore);
    expect((await ledger(redis, api, key.id)).reserved).toBe(0);
    expect((await ledger(redis, api, key.id)).reservedTotal).toBe(0);
  });
});
