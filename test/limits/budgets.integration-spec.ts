import Decimal from 'decimal.js';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { BillingJob, QueueName } from '#src/core/queue/queue.constants';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { periodId } from '#src/modules/billing/budget-period';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { billingJobsByCall, queueOf } from '#test/utils/queues';
import { deleteRedisPrefix, resetState } from '#test/utils/reset';
import { waitFor } from '#test/utils/processes';
import { REDIS_TEST_URL } from '#test/utils/test-env';
import { BudgetUpstream } from '#test/limits/budget-upstream';
import {
  type BudgetModel,
  MESSAGES,
  billed,
  createBudgetModel,
  ledger,
  nanosToUsd,
  realCost,
  refusalFigures,
  sampleLedger,
  seedMonthSpend,
  usdToNanos,
  waitForBilled,
  worstCase,
} from '#test/limits/budget-helpers';

interface CallResult {
  status: number;
  headers: Headers;
  text: string;
}

async function call(api: TestApp, key: string, body: Record<string, unknown>): Promise<CallResult> {
  const res = await fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: MESSAGES, ...body }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const errorOf = (r: CallResult): { message: string; type: string; code: string } =>
  (JSON.parse(r.text) as { error: { message: string; type: string; code: string } }).error;

describe('monthly budgets', () => {
  let api: TestApp;
  let upstream: BudgetUpstream;
  let redis: Redis;
  let m: BudgetModel;

  beforeAll(async () => {
    await resetState();
    upstream = await new BudgetUpstream().start();
    api = await startApi();
    m = await createBudgetModel(api, upstream.url, 'budget-model');
    redis = new Redis(REDIS_TEST_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await api.close();
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    upstream.chunkDelayMs = 0;
    upstream.promptTokens = 10;
  });

  it('holds under 100 concurrent streamed calls against a nearly spent budget, refusing none whose worst case fits', async () => {
    const key = await createKey(api, { monthlyBudget: '10' });
    await seedMonthSpend(api, key.id, '9.5');
    const budget = usdToNanos('10');
    const maxTokens = 500;
    const maximal = worstCase(m, maxTokens);
    upstream.chunkDelayMs = 15;
    const sampler = sampleLedger(redis, api, key.id);
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        call(api, key.key, {
          model: m.model,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: maxTokens,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    await waitForBilled(api, key.id, ok.length);
    const seen = await sampler.stop();

    const refused = results.filter((r) => r.status !== 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    // spend + open reservations never passed the budget at any instant sampled, and spend never did
    expect(seen.samples).toBeGreaterThan(5);
    expect(seen.maxCommitted).toBeLessThanOrEqual(budget);
    expect(seen.maxSpend).toBeLessThanOrEqual(budget);
    // every refusal is the budget's: a 503 here names its cause (a Redis timeout, the database) in the diff
    expect(refused.map((r) => [r.status, errorOf(r).code, r.status === 429 ? '' : errorOf(r).message])).toEqual(
      refused.map(() => [429, 'budget_exceeded', '']),
    );
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.headers.get('x-should-retry')).toBe('false');
      const error = errorOf(r);
      expect(error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
      const f = refusalFigures(error.message);
      expect(f.budget).toBe('10');
      // refused only when not even the prompt plus the minimal answer fits what was left
      expect(f.left).toBeLessThan(worstCase(m, 16));
    }
    // every admitted call sent its (possibly lowered) limit upstream and was billed at most its reservation
    expect(upstream.requests).toHaveLength(ok.length);
    for (const req of upstream.requests) {
      expect(req.outputLimit).not.toBeNull();
      expect(req.outputLimit!).toBeGreaterThanOrEqual(16);
      expect(req.outputLimit!).toBeLessThanOrEqual(maxTokens);
    }
    const lowered = ok.filter((r) => r.headers.get('x-gateway-max-tokens') !== null);
    expect(lowered.length).toBeGreaterThan(0);
    for (const r of lowered) expect(Number(r.headers.get('x-gateway-max-tokens'))).toBeLessThan(maxTokens);

    const final = await ledger(redis, api, key.id);
    expect(final.reserved).toBe(0);
    expect(final.spend!).toBeLessThanOrEqual(budget);
    expect(final.spend!).toBeGreaterThanOrEqual(budget - maximal);
    // PostgreSQL agrees to the nano-dollar with the Redis counter and with what the upstream generated
    const expected = upstream.requests.reduce((s, r) => s + realCost(upstream.promptTokens, r.outputLimit!), 0);
    const pg = await billed(api, key.id);
    expect(pg.rows).toBe(ok.length);
    expect(pg.sumUsd).toBe(nanosToUsd(expected));
    expect(pg.aggregateUsd).toBe(nanosToUsd(usdToNanos('9.5') + expected));
    expect(final.spend).toBe(usdToNanos('9.5') + expected);
  });

  it('lowers the output limit when only part of it fits, says so in x-gateway-max-tokens, and sends it upstream', async () => {
    const key = await createKey(api, { monthlyBudget: '1' });
    const left = worstCase(m, 100) + 50_000; // room for 100 output tokens and half of another
    await seedMonthSpend(api, key.id, nanosToUsd(usdToNanos('1') - left));
    const r = await call(api, key.key, { model: m.model, max_tokens: 1000 });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-gateway-max-tokens')).toBe('100');
    expect(upstream.requests.at(-1)!.outputLimit).toBe(100);
    expect(upstream.requests.at(-1)!.body.max_tokens).toBe(100);
  });

  it('reserves the output of every choice when a call asks for n completions', async () => {
    const key = await createKey(api, { monthlyBudget: '1' });
    const left = worstCase(m, 150); // room for the prompt and 150 output tokens in all
    await seedMonthSpend(api, key.id, nanosToUsd(usdToNanos('1') - left));
    const r = await call(api, key.key, { model: m.model, max_tokens: 100, n: 3 });
    expect(r.status).toBe(200);
    // 3 × 100 does not fit; 3 × 50 does
    expect(r.headers.get('x-gateway-max-tokens')).toBe('50');
    expect(upstream.requests.at(-1)!.outputLimit).toBe(50);
    await waitFor(async () => ((await ledger(redis, api, key.id)).reserved === 0 ? true : undefined));
    const spent = (await ledger(redis, api, key.id)).spend!;
    expect(spent).toBe(usdToNanos('1') - left + realCost(upstream.promptTokens, 150));
    expect(spent).toBeLessThanOrEqual(usdToNanos('1'));
  });

  it('refuses instead of lowering with BUDGET_NEAR_LIMIT=refuse, naming the budget and what is left', async () => {
    const refusing = await startApi({ BUDGET_NEAR_LIMIT: 'refuse' });
    try {
      const key = await createKey(api, { monthlyBudget: '2.5' });
      const left = worstCase(m, 100);
      await seedMonthSpend(api, key.id, nanosToUsd(usdToNanos('2.5') - left));
      const tooBig = await call(refusing, key.key, { model: m.model, max_tokens: 101 });
      expect(tooBig.status).toBe(429);
      expect(tooBig.headers.get('x-should-retry')).toBe('false');
      const error = errorOf(tooBig);
      expect(error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
      expect(error.message).toContain('$2.5');
      expect(refusalFigures(error.message)).toMatchObject({ left, needed: worstCase(m, 101) });
      expect(upstream.requests).toHaveLength(0);
      // exactly the worst case fits: admitted (≤, not <)
      const fits = await call(refusing, key.key, { model: m.model, max_tokens: 100 });
      expect(fits.status).toBe(200);
      expect(fits.headers.get('x-gateway-max-tokens')).toBeNull();
    } finally {
      await refusing.close();
    }
  });

  it('refuses with 429 budget_exceeded when not even the prompt and BUDGET_MIN_OUTPUT_TOKENS fit', async () => {
    const key = await createKey(api, { monthlyBudget: '1' });
    const left = worstCase(m, 16) - 1;
    await seedMonthSpend(api, key.id, nanosToUsd(usdToNanos('1') - left));
    const r = await call(api, key.key, { model: m.model, max_tokens: 1000 });
    expect(r.status).toBe(429);
    expect(r.headers.get('x-should-retry')).toBe('false');
    expect(refusalFigures(errorOf(r).message)).toMatchObject({ budget: '1', left });
    expect(upstream.requests).toHaveLength(0);
    expect((await ledger(redis, api, key.id)).reserved).toBe(0);
  });

  it('sends the reserved output limit upstream for keys with a budget, and leaves other keys untouched', async () => {
    const capped = await createBudgetModel(api, upstream.url, 'capped-model', { maxOutputTokens: 300 });
    const withBudget = await createKey(api, { monthlyBudget: '100' });
    const without = await createKey(api, {});
    expect((await call(api, withBudget.key, { model: m.model })).status).toBe(200);
    expect(upstream.requests.at(-1)!.outputLimit).toBe(4096); // BUDGET_DEFAULT_OUTPUT_TOKENS
    expect((await call(api, withBudget.key, { model: capped.model })).status).toBe(200);
    expect(upstream.requests.at(-1)!.outputLimit).toBe(300); // the model's own limit
    expect((await call(api, withBudget.key, { model: m.model, max_completion_tokens: 77 })).status).toBe(200);
    expect(upstream.requests.at(-1)!.body.max_completion_tokens).toBe(77);
    expect((await call(api, without.key, { model: m.model })).status).toBe(200);
    expect(upstream.requests.at(-1)!.outputLimit).toBeNull();
  });

  it('reports the cost in x-gateway-cost-usd and the month in /gateway/key', async () => {
    const key = await createKey(api, { monthlyBudget: '1' });
    upstream.promptTokens = 12;
    const costs: string[] = [];
    for (const maxTokens of [100, 250]) {
      const r = await call(api, key.key, { model: m.model, max_tokens: maxTokens });
      expect(r.status).toBe(200);
      costs.push(r.headers.get('x-gateway-cost-usd')!);
    }
    // 12 × $1/M + 100 × $100/M; 12 × $1/M + 250 × $100/M
    expect(costs).toEqual(['0.010012', '0.025012']);
    const view = await waitFor(async () => {
      const res = await fetch(`${api.url}/gateway/key`, { headers: { authorization: `Bearer ${key.key}` } });
      const body = (await res.json()) as { monthly_budget: string; spend: Record<string, string> };
      return body.spend.spent_usd === '0.035024' ? body : undefined;
    });
    expect(view.spend).toEqual({
      month: new Date().toISOString().slice(0, 7),
      period: { kind: 'month', start: `${new Date().toISOString().slice(0, 7)}-01T00:00:00.000Z` },
      spent_usd: '0.035024',
      reserved_usd: '0',
      remaining_usd: '0.964976',
    });
    await waitForBilled(api, key.id, 2);
    expect(await billed(api, key.id)).toMatchObject({ rows: 2, sumUsd: '0.035024', aggregateUsd: '0.035024' });
  });

  it('shows an open stream as reserved in /gateway/key and releases it at settlement', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    upstream.hold();
    const pending = call(api, key.key, { model: m.model, stream: true, max_tokens: 200 });
    const during = await waitFor(async () => {
      const l = await ledger(redis, api, key.id);
      return l.reserved > 0 ? l : undefined;
    });
    expect(during.reserved).toBe(worstCase(m, 200));
    const res = await fetch(`${api.url}/gateway/key`, { headers: { authorization: `Bearer ${key.key}` } });
    const view = (await res.json()) as { spend: Record<string, string> };
    expect(view.spend.reserved_usd).toBe(nanosToUsd(worstCase(m, 200)));
    upstream.release();
    expect((await pending).status).toBe(200);
    await waitFor(async () => ((await ledger(redis, api, key.id)).reserved === 0 ? true : undefined));
    expect((await ledger(redis, api, key.id)).spend).toBe(realCost(upstream.promptTokens, 200));
  });

  it('bills a billing event enqueued again after its first job completed once (usage row, daily rollup, month)', async () => {
    const key = await createKey(api, { monthlyBudget: '3' });
    const r = await call(api, key.key, { model: m.model, max_tokens: 40 });
    const callId = r.headers.get('x-gateway-call-id')!;
    await waitForBilled(api, key.id, 1);
    const before = await billed(api, key.id);
    const queue = queueOf(api, QueueName.Billing);
    const first = (await billingJobsByCall(queue, ['completed'])).get(callId)!;
    expect(first.job.name).toBe(BillingJob.RecordUsageBatch);
    expect(first.job.returnvalue).toBe(1);
    const data = first.event;
    // once as a single event (a replay), once in a batch again
    await queue.add(BillingJob.RecordUsage, data, { jobId: `${callId}-replay` });
    await queue.add(BillingJob.RecordUsageBatch, { events: [data] }, { jobId: `${callId}-batch` });
    for (const id of [`${callId}-replay`, `${callId}-batch`]) {
      const job = await waitFor(async () => {
        const j = await queue.getJob(id);
        return j && (await j.isCompleted()) ? j : undefined;
      });
      expect(job.returnvalue).toBeFalsy(); // the processor found the row already there (false, or 0 rows)
    }
    expect(await billed(api, key.id)).toEqual(before);
    expect(before).toMatchObject({ rows: 1, aggregateRequests: 1, sumUsd: nanosToUsd(realCost(10, 40)) });
    const daily = await api
      .get(DataSource)
      .query<{ requests: number; cost: string }[]>(
        'SELECT requests::int AS requests, cost_usd::text AS cost FROM usage_daily WHERE api_key_id = $1',
        [key.id],
      );
    expect(daily.map((d) => ({ requests: d.requests, cost: new Decimal(d.cost).toFixed() }))).toEqual([
      { requests: 1, cost: '0.00401' },
    ]);
  });
});

describe('reservations of long calls on a live pod', () => {
  let api: TestApp;
  let upstream: BudgetUpstream;
  let redis: Redis;
  let m: BudgetModel;

  beforeAll(async () => {
    await resetState();
    upstream = await new BudgetUpstream().start();
    // refreshed every second (TTL / 3, at least 1 s), so a call outliving the TTL must be refreshed twice
    api = await startApi({ BUDGET_RESERVATION_TTL: '1500ms' });
    m = await createBudgetModel(api, upstream.url, 'long-call-model');
    redis = new Redis(REDIS_TEST_URL);
  });
  afterAll(async () => {
    upstream.release();
    redis.disconnect();
    await api.close();
    await upstream.stop();
  });

  it('keeps the reservation of a non-streamed call that outlives BUDGET_RESERVATION_TTL', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    upstream.holdJson = true;
    upstream.hold();
    const pending = call(api, key.key, { model: m.model, max_tokens: 100 });
    const held = await waitFor(async () => {
      const l = await ledger(redis, api, key.id);
      return l.reserved > 0 ? l : undefined;
    });
    const [callId] = Object.keys(held.reservations);
    await new Promise((r) => setTimeout(r, 3500));
    const k = api.get(RedisKeys).apiKey(key.id);
    const [seconds, micros] = await redis.time();
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const expiresAt = Number(await redis.zscore(k.reservationExpiry(periodId('month', new Date())), callId));
    expect(expiresAt).toBeGreaterThan(nowMs);
    expect((await ledger(redis, api, key.id)).reserved).toBe(held.reserved);
    upstream.release();
    expect((await pending).status).toBe(200);
  });
});

describe('budget counters after Redis loses them', () => {
  let api: TestApp;
  let upstream: BudgetUpstream;
  let redis: Redis;
  let m: BudgetModel;

  beforeAll(async () => {
    await resetState();
    upstream = await new BudgetUpstream().start();
    api = await startApi();
    m = await createBudgetModel(api, upstream.url, 'rebuild-model');
    redis = new Redis(REDIS_TEST_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await api.close();
    await upstream.stop();
  });

  const spendKey = (apiKeyId: string): string =>
    api.get(RedisKeys).apiKey(apiKeyId).spend(periodId('month', new Date()));

  it("rebuilds the budget from PostgreSQL after a flush of this gateway's Redis keys, and the budget still holds", async () => {
    const key = await createKey(api, { monthlyBudget: '1' });
    for (let i = 0; i < 3; i++)
      expect((await call(api, key.key, { model: m.model, max_tokens: 1000 })).status).toBe(200);
    await waitForBilled(api, key.id, 3);
    const spentBefore = 3 * realCost(10, 1000);
    expect((await ledger(redis, api, key.id)).spend).toBe(spentBefore);

    await deleteRedisPrefix(api.config.env.REDIS_PREFIX); // FLUSHDB of this run's keys only
    expect((await ledger(redis, api, key.id)).spend).toBeNull();

    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await call(api, key.key, { model: m.model, max_tokens: 1000 })).status);
    // $1 holds 9 full calls of $0.10001 (3 before the flush, 6 after), then lowered ones, then refusals
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses.at(-1)).toBe(429);
    const admitted = statuses.filter((s) => s === 200).length;
    await waitForBilled(api, key.id, 3 + admitted);
    const final = await ledger(redis, api, key.id);
    const pg = await billed(api, key.id);
    expect(final.spend).toBe(usdToNanos(pg.aggregateUsd!));
    expect(final.spend!).toBeLessThanOrEqual(usdToNanos('1'));
    expect(final.spend!).toBeGreaterThanOrEqual(usdToNanos('1') - worstCase(m, 1000));
  });

  it('counts settled calls whose billing rows are not written yet when rebuilding (a lagging worker)', async () => {
    const key = await createKey(api, { monthlyBudget: '1' });
    expect((await call(api, key.key, { model: m.model, max_tokens: 500 })).status).toBe(200);
    await waitForBilled(api, key.id, 1);
    const queue = queueOf(api, QueueName.Billing);
    await queue.pause();
    try {
      for (let i = 0; i < 3; i++)
        expect((await call(api, key.key, { model: m.model, max_tokens: 500 })).status).toBe(200);
      await waitFor(async () => ((await billingJobsByCall(queue, ['waiting'])).size >= 3 ? true : undefined));
      expect((await billed(api, key.id)).rows).toBe(1);
      await redis.del(spendKey(key.id)); // the counter alone is lost (expiry, eviction)
      expect((await call(api, key.key, { model: m.model, max_tokens: 500 })).status).toBe(200);
      await waitFor(async () => ((await ledger(redis, api, key.id)).reserved === 0 ? true : undefined));
      expect((await ledger(redis, api, key.id)).spend).toBe(5 * realCost(10, 500));
    } finally {
      await queue.resume();
    }
    await waitForBilled(api, key.id, 5);
    expect((await ledger(redis, api, key.id)).spend).toBe(5 * realCost(10, 500));
    expect((await billed(api, key.id)).aggregateUsd).toBe(nanosToUsd(5 * realCost(10, 500)));
  });

  it('rebuilds a missing counter once, by one pod under a lock, while two instances admit concurrently', async () => {
    const other = await startApi();
    try {
      const key = await createKey(api, { monthlyBudget: '50' });
      await seedMonthSpend(api, key.id, '7.25');
      const rebuilt = (): number =>
        [...api.logs.lines, ...other.logs.lines].filter(
          (l) => l.includes('budget counter rebuilt') && l.includes(key.id),
        ).length;
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => call(i % 2 ? other : api, key.key, { model: m.model, max_tokens: 10 })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
      expect(rebuilt()).toBe(1);
      await waitFor(async () => ((await ledger(redis, api, key.id)).reserved === 0 ? true : undefined));
      expect((await ledger(redis, api, key.id)).spend).toBe(usdToNanos('7.25') + 30 * realCost(10, 10));
      await waitForBilled(api, key.id, 30);
    } finally {
      await other.close();
    }
  });

  it('never loses or double-counts a call when the counter is rebuilt while billing jobs are being written', async () => {
    const key = await createKey(api, { monthlyBudget: '1000' });
    let stop = false;
    const deleter = (async () => {
      while (!stop) {
        await redis.del(spendKey(key.id));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let calls = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) {
          expect((await call(api, key.key, { model: m.model, max_tokens: 20 })).status).toBe(200);
          calls++;
        }
      }),
    );
    stop = true;
    await deleter;
    await waitForBilled(api, key.id, calls);
    const expected = calls * realCost(10, 20);
    expect((await billed(api, key.id)).aggregateUsd).toBe(nanosToUsd(expected));
    // one more call rebuilds the counter if the last deletion left it missing; then it must be exact
    expect((await call(api, key.key, { model: m.model, max_tokens: 20 })).status).toBe(200);
    await waitFor(async () => ((await ledger(redis, api, key.id)).reserved === 0 ? true : undefined));
    expect((await ledger(redis, api, key.id)).spend).toBe(expected + realCost(10, 20));
  });
});
