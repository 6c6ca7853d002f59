import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import Decimal from 'decimal.js';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { QueueName } from '#src/core/queue/queue.constants';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { ApiKeyManagementService } from '#src/modules/keys/api-key-management.service';
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
import { waitFor } from '#test/utils/processes';
import { queueOf } from '#test/utils/queues';
import { PrivateRedis } from '#test/utils/redis-server';
import { resetState } from '#test/utils/reset';

/**
 * The Redis spend counter never drifts below what PostgreSQL billed (issue 14 item 3), and the month a call
 * counts in is one instant, Redis's, everywhere (item 5). The Redis here keeps an append-only file, so the
 * counter survives a restart as on a production Redis with persistence: only a correct counter is then right.
 */
async function chat(api: TestApp, key: string, model: string): Promise<number> {
  const res = await fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: MESSAGES, max_tokens: 100 }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function gatewaySpend(api: TestApp, key: string): Promise<{ month: string; spent: string }> {
  const res = await fetch(`${api.url}/gateway/key`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { spend: { month: string; spent_usd: string } };
  return { month: body.spend.month, spent: new Decimal(body.spend.spent_usd).toFixed() };
}

describe('budget counters that cannot drift below real spend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmgw-aof-'));
  const persistent = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  let server: PrivateRedis;
  let redis: Redis;
  let upstream: BudgetUpstream;
  let api: TestApp;
  let m: BudgetModel;

  beforeAll(async () => {
    await resetState();
    server = await PrivateRedis.start(persistent);
    redis = server.client();
    upstream = await new BudgetUpstream().start();
    api = await startApi({ REDIS_URL: server.url, REDIS_FAILURE_MODE: 'open' });
    m = await createBudgetModel(api, upstream.url, 'drift-model');
  });
  afterAll(async () => {
    await api.close();
    redis.disconnect();
    await server.stop();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    upstream.release();
    upstream.holdJson = false;
    if (!server.running) await server.start(persistent);
  });

  /** The counter, /gateway/key and PostgreSQL all agree on the key's spend. */
  async function expectExact(key: { id: string; key: string }, calls: number): Promise<void> {
    await waitForBilled(api, key.id, calls);
    const pg = await billed(api, key.id);
    expect(pg.rows).toBe(calls);
    const counter = await waitFor(async () => {
      const l = await ledger(redis, api, key.id);
      return l.spend === usdToNanos(pg.sumUsd) ? l : undefined;
    }, 10_000).catch(async () => ledger(redis, api, key.id));
    expect(counter.spend).toBe(usdToNanos(pg.sumUsd));
    expect((await gatewaySpend(api, key.key)).spent).toBe(pg.sumUsd);
    expect(counter.reservedTotal).toBe(counter.reserved);
  }

  it('adds the cost of a call whose settle failed (Redis down when it ended) as billing writes it', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    expect(await chat(api, key.key, m.model)).toBe(200);
    upstream.holdJson = true;
    upstream.hold();
    const pending = chat(api, key.key, m.model);
    await waitFor(async () => ((await ledger(redis, api, key.id)).reserved > 0 ? true : undefined));
    await server.stop();
    upstream.release();
    expect(await pending).toBe(200); // answered; its settle failed
    await server.start(persistent); // the counter and the open reservation come back from the AOF
    await expectExact(key, 2);
  });

  it('adds the cost of calls admitted fail-open while Redis was unreachable', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    expect(await chat(api, key.key, m.model)).toBe(200);
    await waitForBilled(api, key.id, 1);
    await server.stop();
    expect(await chat(api, key.key, m.model)).toBe(200); // REDIS_FAILURE_MODE=open: unmetered
    expect(await chat(api, key.key, m.model)).toBe(200);
    await server.start(persistent);
    await expectExact(key, 3);
  });

  it('rebuilds the counter from PostgreSQL when a budget is removed and set again in the same month', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    const keys = api.get(ApiKeyManagementService);
    expect(await chat(api, key.key, m.model)).toBe(200);
    await waitForBilled(api, key.id, 1);
    await keys.update(key.id, { monthlyBudget: null });
    await new Promise((r) => setTimeout(r, 300)); // the key caches hear the change
    expect(await chat(api, key.key, m.model)).toBe(200);
    expect(await chat(api, key.key, m.model)).toBe(200);
    await waitForBilled(api, key.id, 3);
    await keys.update(key.id, { monthlyBudget: '5' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await chat(api, key.key, m.model)).toBe(200);
    await expectExact(key, 4);
  });

  it('corrects a counter that differs from PostgreSQL every BUDGET_RECONCILE_INTERVAL, on one pod', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    for (let i = 0; i < 3; i++) expect(await chat(api, key.key, m.model)).toBe(200);
    await waitForBilled(api, key.id, 3);
    const k = api.get(RedisKeys).apiKey(key.id);
    const month = `month:${(await gatewaySpend(api, key.key)).month}`;
    await redis.set(k.spend(month), 1, 'KEEPTTL'); // drifted: far below what was billed
    const reconciling = await startApi({
      REDIS_URL: server.url,
      BUDGET_RECONCILE_INTERVAL: '1s',
      POD_NAME: 'reconciler',
    });
    try {
      const pg = await billed(api, key.id);
      await waitFor(
        async () => ((await redis.get(k.spend(month))) === String(usdToNanos(pg.sumUsd)) ? true : undefined),
        15_000,
        100,
      );
      expect(reconciling.logs.text()).toContain('budget counter corrected from PostgreSQL');
    } finally {
      await reconciling.close();
      await queueOf(api, QueueName.Billing).removeJobScheduler('budget-reconcile');
    }
  });

  it('counts a call admitted at 23:59:59.9 UTC on the last day in the month Redis says, in Redis and PostgreSQL', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    const [seconds] = await redis.time();
    const redisMonth = new Date(Number(seconds) * 1000).toISOString().slice(0, 7);
    const nextMonthStart = Date.UTC(Number(redisMonth.slice(0, 4)), Number(redisMonth.slice(5, 7)), 1);
    const lastMonthLastInstant = Date.UTC(Number(redisMonth.slice(0, 4)), Number(redisMonth.slice(5, 7)) - 1, 1) - 100;
    // this process's clock (the gateway's) at 23:59:59.9 of the previous month's last day, then a month before
    for (const fakeNow of [lastMonthLastInstant, lastMonthLastInstant - 31 * 86_400_000]) {
      jest.useFakeTimers({
        now: fakeNow,
        advanceTimers: true,
        doNotFake: [
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'requestAnimationFrame',
          'cancelAnimationFrame',
          'requestIdleCallback',
          'cancelIdleCallback',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
      });
      try {
        expect(await chat(api, key.key, m.model)).toBe(200);
      } finally {
        jest.useRealTimers();
      }
    }
    expect(nextMonthStart).toBeGreaterThan(Date.now());
    await waitForBilled(api, key.id, 2);
    const rows = await api
      .get(DataSource)
      .query<{ month: string }[]>(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM usage_records WHERE api_key_id = $1`,
        [key.id],
      );
    expect(rows.map((r) => r.month)).toEqual([redisMonth, redisMonth]);
    const aggregates = await api
      .get(DataSource)
      .query<{ month: string }[]>(
        `SELECT substr(period, 7) AS month FROM budget_spend WHERE subject_type = 'key' AND subject_id = $1 AND period LIKE 'month:%'`,
        [key.id],
      );
    expect(aggregates.map((a) => a.month)).toEqual([redisMonth]);
    const k = api.get(RedisKeys).apiKey(key.id);
    const previous = new Date(lastMonthLastInstant).toISOString().slice(0, 7);
    expect(await redis.exists(k.spend(`month:${previous}`))).toBe(0);
    await expectExact(key, 2);
  });
});
