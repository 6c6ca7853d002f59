import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { BillingJob, QueueName, type UsageJobData } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';
import { drainQueue, queueOf } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';

const DAY = 86_400_000;

describe('billing batches: many calls per job, one transaction', () => {
  let api: TestApp;
  let db: DataSource;
  let redis: RedisClient;
  let keys: { id: string; name: string }[];

  beforeAll(async () => {
    await resetState();
    api = await startApi();
    db = api.get(DataSource);
    redis = api.app.get<RedisClient>(HOT_REDIS);
  });
  beforeEach(async () => {
    await db.query('TRUNCATE usage_records, usage_daily, budget_spend');
    keys = [];
    for (const name of ['batch-a', 'batch-b']) keys.push({ ...(await createKey(api, { name })), name });
  });
  afterAll(() => api.close());

  let seq = 0;
  function event(key: { id: string; name: string }, at: Date, overrides: Partial<UsageJobData> = {}): UsageJobData {
    seq++;
    return {
      callId: randomUUID(),
      clientRequestId: null,
      apiKeyId: key.id,
      apiKeyName: key.name,
      modelId: null,
      modelName: seq % 2 ? 'gpt-4o' : 'gpt-4o-mini',
      alias: null,
      providerId: null,
      providerName: 'openai',
      endpoint: 'chat',
      promptTokens: 10 + seq,
      completionTokens: 3 * seq,
      cacheReadTokens: seq % 3,
      cacheWriteTokens: seq % 5,
      reasoningTokens: seq % 7,
      costUsd: new Decimal(seq).div(1_000_000).plus('0.0000001').toFixed(),
      costNanos: seq * 1000 + 100,
      estimated: seq % 4 === 0,
      unpriced: seq % 9 === 0,
      status: 200,
      errorCode: null,
      stream: false,
      latencyMs: 12.3,
      ttftMs: 4.5,
      overheadMs: 0.4,
      createdAt: at.toISOString(),
      periods: { key: `month:${at.toISOString().slice(0, 7)}` },
      ...overrides,
    };
  }

  /** The rollups PostgreSQL holds must equal the sums of usage_records, row for row. */
  async function expectRollupsMatchRecords(): Promise<void> {
    const fromRecords = await db.query(
      `SELECT (created_at AT TIME ZONE 'UTC')::date::text AS day, api_key_id, coalesce(model_name, '') AS model,
         count(*)::int AS requests, sum(prompt_tokens)::int AS prompt, sum(completion_tokens)::int AS completion,
         sum(cache_read_tokens)::int AS cache_read, sum(cache_write_tokens)::int AS cache_write,
         sum(reasoning_tokens)::int AS reasoning, sum(cost_usd)::text AS cost,
         count(*) FILTER (WHERE estimated)::int AS estimated, count(*) FILTER (WHERE unpriced)::int AS unpriced
       FROM usage_records GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    const daily = await db.query(
      `SELECT day::text AS day, api_key_id, model_name AS model, requests::int AS requests, prompt_tokens::int AS prompt,
         completion_tokens::int AS completion, cache_read_tokens::int AS cache_read, cache_write_tokens::int AS cache_write,
         reasoning_tokens::int AS reasoning, cost_usd::text AS cost, estimated_requests::int AS estimated,
         unpriced_requests::int AS unpriced
       FROM usage_daily ORDER BY 1, 2, 3`,
    );
    const norm = (rows: { cost: string }[]): unknown[] =>
      rows.map((r) => ({ ...r, cost: new Decimal(r.cost).toFixed() }));
    expect(norm(daily)).toEqual(norm(fromRecords));
    const months = await db.query(
      `SELECT api_key_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*)::int AS requests,
         sum(cost_usd)::text AS cost FROM usage_records GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const spend = await db.query(
      `SELECT subject_id AS api_key_id, substr(period, 7) AS month, requests::int AS requests, cost_usd::text AS cost
       FROM budget_spend WHERE subject_type = 'key' AND period LIKE 'month:%' ORDER BY 1, 2`,
    );
    expect(norm(spend)).toEqual(norm(months));
  }

  const markUnbilled = (events: UsageJobData[]): Promise<unknown> =>
    Promise.all(
      events.map((e) =>
        redis.hset(api.get(RedisKeys).apiKey(e.apiKeyId).unbilled(e.periods!.key), e.callId, String(e.costNanos)),
      ),
    );
  const unbilled = async (events: UsageJobData[]): Promise<string[]> => {
    const left: string[] = [];
    for (const e of events)
      if (await redis.hexists(api.get(RedisKeys).apiKey(e.apiKeyId).unbilled(e.periods!.key), e.callId))
        left.push(e.callId);
    return left;
  };

  it('writes every call of a batch once, across keys, models, days and months, with rollups equal to the records', async () => {
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - DAY / 2);
    const times = [now, new Date(now.getTime() - 2 * DAY), lastMonth];
    const events = Array.from({ length: 60 }, (_, i) => event(keys[i % 2], times[i % 3]));
    // one call delivered before in a batch of its own, and one repeated inside the big batch
    const queue = queueOf(api, QueueName.Billing);
    await markUnbilled(events);
    await queue.add(BillingJob.RecordUsageBatch, { events: [events[7]] }, { jobId: 'early' });
    await drainQueue(api, QueueName.Billing);
    await queue.add(BillingJob.RecordUsageBatch, { events: [...events, events[11]] }, { jobId: 'big' });
    await drainQueue(api, QueueName.Billing);

    expect((await queue.getJob('early'))?.returnvalue).toBe(1);
    expect((await queue.getJob('big'))?.returnvalue).toBe(59);
    const rows: { call_id: string; n: number }[] = await db.query(
      'SELECT call_id, count(*)::int AS n FROM usage_records GROUP BY call_id',
    );
    expect(rows.map((r) => r.call_id).sort()).toEqual(events.map((e) => e.callId).sort());
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const sum: [{ cost: string }] = await db.query('SELECT sum(cost_usd)::text AS cost FROM usage_records');
    expect(new Decimal(sum[0].cost).toFixed()).toBe(
      events.reduce((a, e) => a.plus(e.costUsd), new Decimal(0)).toFixed(),
    );
    await expectRollupsMatchRecords();
    expect(await unbilled(events)).toEqual([]);

    // the same batch delivered again bills nothing more
    await queue.add(BillingJob.RecordUsageBatch, { events }, { jobId: 'again' });
    await drainQueue(api, QueueName.Billing);
    expect((await queue.getJob('again'))?.returnvalue).toBe(0);
    await expectRollupsMatchRecords();
    const [{ n }] = await db.query('SELECT count(*)::int AS n FROM usage_records');
    expect(n).toBe(60);
  });

  it('bills the rest of a batch at once and retries a call PostgreSQL refuses as its own job, named by its call id', async () => {
    const events = Array.from({ length: 6 }, () => event(keys[0], new Date()));
    const poison = event(keys[1], new Date(), { promptTokens: 5000 });
    const batch = [...events.slice(0, 3), poison, ...events.slice(3)];
    await markUnbilled(batch);
    await db.query('ALTER TABLE usage_records ADD CONSTRAINT test_batch_prompt_cap CHECK (prompt_tokens < 1000)');
    try {
      const queue = queueOf(api, QueueName.Billing);
      await queue.add(BillingJob.RecordUsageBatch, { events: batch }, { jobId: 'with-poison' });
      const own = await waitFor(async () => (await queue.getJob(poison.callId)) ?? undefined);
      expect(own.name).toBe(BillingJob.RecordUsage);
      expect(own.data).toEqual(poison);
      await waitFor(async () => ((await queue.getJob('with-poison'))?.returnvalue === 6 ? true : undefined));
      expect(await (await queue.getJob('with-poison'))!.getState()).toBe('completed');
      const written: { call_id: string }[] = await db.query('SELECT call_id FROM usage_records');
      expect(written.map((r) => r.call_id).sort()).toEqual(events.map((e) => e.callId).sort());
      await expectRollupsMatchRecords();
      // only the refused call keeps its unbilled marker (the budget rebuild still counts it)
      expect(await unbilled(batch)).toEqual([poison.callId]);
      expect(await waitFor(async () => ((await own.getState()) === 'delayed' ? true : undefined))).toBe(true);

      await db.query('ALTER TABLE usage_records DROP CONSTRAINT test_batch_prompt_cap');
      await (await queue.getJob(poison.callId))!.promote();
      await drainQueue(api, QueueName.Billing);
      expect((await queue.getJob(poison.callId))?.returnvalue).toBe(true);
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM usage_records');
      expect(n).toBe(7);
      await expectRollupsMatchRecords();
      expect(await unbilled(batch)).toEqual([]);
    } finally {
      await db.query('ALTER TABLE usage_records DROP CONSTRAINT IF EXISTS test_batch_prompt_cap');
    }
  });
});
