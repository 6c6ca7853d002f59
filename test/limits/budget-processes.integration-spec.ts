import Decimal from 'decimal.js';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { DataSource } from 'typeorm';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { freePort, spawnBuilt, type Spawned, waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { baseTestEnv, REDIS_TEST_URL } from '#test/utils/test-env';
import { BudgetUpstream } from '#test/limits/budget-upstream';
import {
  type BudgetModel,
  MESSAGES,
  billed,
  createBudgetModel,
  ledger,
  nanosToUsd,
  usdToNanos,
  waitForBilled,
  worstCase,
} from '#test/limits/budget-helpers';

// These tests run the built gateway (dist/): refresh it with `npx tsc -p tsconfig.build.json` after changes.

const TTL_MS = 3000;

interface Gateway {
  proc: Spawned;
  url: string;
}

async function spawnGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const port = await freePort();
  const proc = spawnBuilt('main', [], { ...baseTestEnv(), GATEWAY_HTTP_PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => ((await fetch(`${url}/health/ready`)).status === 200 ? true : undefined), 30_000);
  return { proc, url };
}

async function stopGateway(g: Gateway): Promise<void> {
  if (g.proc.child.exitCode === null && g.proc.child.signalCode === null) g.proc.child.kill('SIGTERM');
  await g.proc.exited;
}

const reservedUsd = async (url: string, key: string): Promise<string> => {
  const res = await fetch(`${url}/gateway/key`, { headers: { authorization: `Bearer ${key}` } });
  return ((await res.json()) as { spend: { reserved_usd: string } }).spend.reserved_usd;
};

describe('budgets across gateway processes', () => {
  let api: TestApp;
  let upstream: BudgetUpstream;
  let redis: Redis;
  let m: BudgetModel;

  beforeAll(async () => {
    await resetState();
    upstream = await new BudgetUpstream().start();
    api = await startApi({ BUDGET_RESERVATION_TTL: `${TTL_MS}ms` });
    m = await createBudgetModel(api, upstream.url, 'proc-model');
    redis = new Redis(REDIS_TEST_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await api.close();
    await upstream.stop();
  });

  it('releases the reservation of a gateway killed mid-stream within BUDGET_RESERVATION_TTL, while a live stream keeps its own', async () => {
    const doomed = await spawnGateway({ BUDGET_RESERVATION_TTL: `${TTL_MS}ms` });
    try {
      const key = await createKey(api, { monthlyBudget: '1' });
      upstream.hold();
      const stream = (url: string): Promise<Response> =>
        fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: m.model, messages: MESSAGES, stream: true, max_tokens: 2000 }),
        });
      const dying = stream(doomed.url).catch(() => null);
      const live = stream(api.url);
      const both = await waitFor(async () => {
        const l = await ledger(redis, api, key.id);
        return Object.keys(l.reservations).length === 2 ? l : undefined;
      });
      expect(both.reserved).toBe(2 * worstCase(m, 2000));
      await (await live).body!.getReader().read(); // the live stream has started

      doomed.proc.child.kill('SIGKILL');
      const killedAt = Date.now();
      await doomed.proc.exited;
      await dying;
      const one = nanosToUsd(worstCase(m, 2000));
      expect(await reservedUsd(api.url, key.key)).toBe(nanosToUsd(2 * worstCase(m, 2000)));
      await waitFor(async () => ((await reservedUsd(api.url, key.key)) === one ? true : undefined), 2 * TTL_MS, 50);
      const releasedAfter = Date.now() - killedAt;
      // the dead pod refreshed at most max(1 s, TTL/3) before it died, so its reservation lapses in (TTL − 1 s, TTL]
      expect(releasedAfter).toBeGreaterThan(TTL_MS - 1500);
      expect(releasedAfter).toBeLessThanOrEqual(TTL_MS + 500);

      // long past the TTL, the open stream in the live process still holds its reservation
      await new Promise((r) => setTimeout(r, 2 * TTL_MS));
      expect(await reservedUsd(api.url, key.key)).toBe(one);
      // the next admission reaps the dead reservation from Redis itself
      const small = await fetch(`${api.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: m.model, messages: MESSAGES, max_tokens: 5 }),
      });
      upstream.release();
      expect(small.status).toBe(200);
      await waitFor(async () => ((await ledger(redis, api, key.id)).reserved === 0 ? true : undefined));
      // only the calls that finished were settled: the live stream (2000 tokens) and the small call (5)
      expect((await ledger(redis, api, key.id)).spend).toBe(2 * upstream.promptTokens * 1000 + 2005 * 100_000);
    } finally {
      upstream.release();
      await stopGateway(doomed);
    }
  });

  it('done when: a $1 budget hammered by 100 concurrent openai-SDK streams across two gateway processes ends at or under $1, above $1 minus one call, every call billed once at the right cost', async () => {
    const gateways = await Promise.all([spawnGateway(), spawnGateway()]);
    try {
      const key = await createKey(api, { monthlyBudget: '1' });
      upstream.chunkDelayMs = 10;
      upstream.requests.length = 0;
      const maxTokens = 200;
      const clients = gateways.map((g) => new OpenAI({ baseURL: `${g.url}/v1`, apiKey: key.key, maxRetries: 0 }));
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          try {
            const { data, response } = await clients[i % 2].chat.completions
              .create({
                model: m.model,
                messages: [{ role: 'user', content: 'Say hello.' }],
                stream: true,
                stream_options: { include_usage: true },
                max_tokens: maxTokens,
              })
              .withResponse();
            let usage: OpenAI.CompletionUsage | null | undefined = null;
            let text = '';
            for await (const chunk of data) {
              if (chunk.usage) usage = chunk.usage;
              text += chunk.choices[0]?.delta.content ?? '';
            }
            return { ok: true as const, callId: response.headers.get('x-gateway-call-id')!, usage: usage!, text };
          } catch (err) {
            return { ok: false as const, err };
          }
        }),
      );
      const admitted = outcomes.filter((o) => o.ok);
      const refused = outcomes.filter((o) => !o.ok);
      expect(admitted.length).toBeGreaterThan(40);
      for (const r of refused) {
        expect(r.err).toBeInstanceOf(OpenAI.RateLimitError);
        expect(r.err).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
      }
      for (const a of admitted) {
        expect(a.usage.prompt_tokens).toBe(upstream.promptTokens);
        expect(a.text.length).toBeGreaterThan(0);
      }

      await waitForBilled(api, key.id, admitted.length);
      const rows = await api
        .get(DataSource)
        .query<{ call_id: string; cost: string }[]>(
          'SELECT call_id, cost_usd::text AS cost FROM usage_records WHERE api_key_id = $1',
          [key.id],
        );
      // every call it made appears once, and nothing else does
      expect(rows.map((r) => r.call_id).sort()).toEqual(admitted.map((a) => a.callId).sort());
      const byId = new Map(rows.map((r) => [r.call_id, new Decimal(r.cost)]));
      let total = new Decimal(0);
      for (const a of admitted) {
        // the right cost: $1/M input and $100/M output on the usage the client itself received
        const expected = new Decimal(a.usage.prompt_tokens)
          .mul('0.000001')
          .add(new Decimal(a.usage.completion_tokens).mul('0.0001'));
        expect(byId.get(a.callId)!.toFixed()).toBe(expected.toFixed());
        total = total.add(expected);
      }
      const budget = new Decimal(1);
      const oneCall = new Decimal(worstCase(m, maxTokens)).div(1e9);
      expect(total.lte(budget)).toBe(true);
      expect(total.gt(budget.sub(oneCall))).toBe(true);
      const pg = await billed(api, key.id);
      expect(pg.aggregateUsd).toBe(total.toFixed());
      expect((await ledger(redis, api, key.id)).spend).toBe(usdToNanos(total.toFixed()));
    } finally {
      await Promise.all(gateways.map(stopGateway));
    }
  });
});
