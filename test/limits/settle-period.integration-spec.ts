import { Redis } from 'ioredis';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { periodId } from '#src/modules/billing/budget-period';
import { LimitsClock } from '#src/modules/ratelimit/limits-clock';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { REDIS_TEST_URL } from '#test/utils/test-env';
import { BudgetUpstream } from '#test/limits/budget-upstream';
import { type BudgetModel, MESSAGES, createBudgetModel, usdToNanos } from '#test/limits/budget-helpers';

const DAY = 86_400_000;

/**
 * The settle alone, with nothing to repair it: no billing processor runs in this process, so a settle that wrote
 * to another period's counters than the one its call was admitted in (or to none) would stay wrong here, where
 * elsewhere billing's late settle puts the cost right afterwards.
 */
describe('settle of a call that outlives its budget period (SPEC §7, §13)', () => {
  let api: TestApp;
  let upstream: BudgetUpstream;
  let redis: Redis;
  let m: BudgetModel;

  beforeAll(async () => {
    await resetState();
    upstream = await new BudgetUpstream().start();
    api = await startApi({ RUN_PROCESSORS: 'false' });
    m = await createBudgetModel(api, upstream.url, 'settle-period-model');
    redis = new Redis(REDIS_TEST_URL);
  });
  afterAll(async () => {
    api.get(LimitsClock).offsetMs = 0;
    redis.disconnect();
    await api.close();
    await upstream.stop();
  });

  it('puts its cost into the period it was admitted in and releases its reservation there', async () => {
    const clock = api.get(LimitsClock);
    const [seconds] = await redis.time();
    const redisNow = Number(seconds) * 1000;
    // noon of a day ten days on, by Redis time; the call is answered at noon of the day after
    const noon = Date.UTC(
      new Date(redisNow).getUTCFullYear(),
      new Date(redisNow).getUTCMonth(),
      new Date(redisNow).getUTCDate() + 10,
      12,
    );
    clock.offsetMs = noon - redisNow;
    const admittedDay = periodId('day', noon);
    const answeredDay = periodId('day', noon + DAY);
    const key = await createKey(api, { budget: '5', budgetPeriod: 'day' });
    const k = api.get(RedisKeys).apiKey(key.id);

    upstream.holdJson = true;
    upstream.hold();
    const pending = fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: m.model, messages: MESSAGES, max_tokens: 40 }),
    });
    try {
      // admitted (it reached the provider) and reserved in its day
      await waitFor(async () => (upstream.requests.length === 1 ? true : undefined), 10_000, 20);
      expect(Number(await redis.get(k.reservedTotal(admittedDay)))).toBeGreaterThan(0);
      clock.offsetMs = noon + DAY - redisNow;
    } finally {
      upstream.release();
      upstream.holdJson = false;
    }
    const res = await pending;
    expect(res.status).toBe(200);
    const costNanos = usdToNanos(res.headers.get('x-gateway-cost-usd')!);
    expect(costNanos).toBeGreaterThan(0);

    // the settle runs after the answer: the admitted day's counter takes the cost once it has
    await waitFor(async () => ((await redis.get(k.spend(admittedDay))) === String(costNanos) ? true : undefined), 5000);
    expect(Number((await redis.get(k.reservedTotal(admittedDay))) ?? 0)).toBe(0);
    expect(await redis.hlen(k.reservations(admittedDay))).toBe(0);
    // the marker billing clears once the usage row is written, in the same day
    expect(Object.values(await redis.hgetall(k.unbilled(admittedDay)))).toEqual([String(costNanos)]);
    // nothing went to the day the answer came in
    expect(await redis.get(k.spend(answeredDay))).toBeNull();
    expect(await redis.get(k.reservedTotal(answeredDay))).toBeNull();
  });
});
