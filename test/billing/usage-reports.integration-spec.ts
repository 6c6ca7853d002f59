import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { BillingJob, QueueName, type UsageJobData } from '#src/core/queue/queue.constants';
import { adminRequest, type Json, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { createGateway, createKey, createModel } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi, type FakeOpenAiOptions } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { drainQueue, queueOf } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';

interface RecordRow {
  api_key_id: string;
  model_name: string | null;
  provider_name: string | null;
  created_at: Date;
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: string;
  estimated: boolean;
  unpriced: boolean;
}

const COUNTERS = [
  'prompt_tokens',
  'completion_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
] as const;

/** The report the API must give, computed here from the rows of usage_records. */
function expected(rows: RecordRow[], keyOf: (r: RecordRow) => Record<string, unknown> = () => ({})): Json[] {
  const groups = new Map<string, Json>();
  for (const r of rows) {
    const keys = keyOf(r);
    const id = JSON.stringify(keys);
    const g = groups.get(id) ?? {
      ...keys,
      requests: 0,
      ...Object.fromEntries(COUNTERS.map((c) => [c, 0])),
      cost: new Decimal(0),
      estimated_requests: 0,
      unpriced_requests: 0,
      // these calls went upstream: none was answered from the response cache
      cache_hits: 0,
      saved_usd: '0',
    };
    g.requests++;
    for (const c of COUNTERS) g[c] += r[c];
    g.cost = g.cost.plus(r.cost_usd);
    if (r.estimated) g.estimated_requests++;
    if (r.unpriced) g.unpriced_requests++;
    groups.set(id, g);
  }
  return [...groups.values()].map(({ cost, ...g }: Json): Json => ({ ...g, cost_usd: (cost as Decimal).toFixed() }));
}

const sortRows = (rows: Json[]): Json[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

describe('usage reports: GET /admin/usage and GET /admin/api-keys/:id/usage', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  let tokens: RoleTokens;
  let db: DataSource;
  let keyA: { id: string; key: string; name: string };
  let keyB: { id: string; key: string; name: string };
  let records: RecordRow[];
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
  twoDaysAgo.setUTCHours(12, 0, 0, 0);

  const usage = (query: string, token = tokens.viewer): Promise<{ status: number; body: Json }> =>
    adminRequest(api, 'GET', `/admin/usage${query}`, { token });

  async function call(key: string, model: string, options: FakeOpenAiOptions, stream = false): Promise<void> {
    upstream.reset(options);
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: 'How many tokens is this?' }],
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      }),
    });
    await res.text();
  }

  /** A billing event of an earlier day, through the real queue and processor. */
  function pastEvent(apiKey: { id: string; name: string }, model: string, cost: string): UsageJobData {
    return {
      callId: randomUUID(),
      clientRequestId: null,
      apiKeyId: apiKey.id,
      apiKeyName: apiKey.name,
      modelId: null,
      modelName: model,
      alias: null,
      providerId: null,
      providerName: 'past-provider',
      endpoint: 'chat',
      promptTokens: 500,
      completionTokens: 50,
      cacheReadTokens: 100,
      cacheWriteTokens: 20,
      reasoningTokens: 10,
      costUsd: cost,
      costNanos: Math.ceil(Number(cost) * 1e9),
      estimated: false,
      unpriced: false,
      status: 200,
      errorCode: null,
      stream: false,
      latencyMs: 100,
      ttftMs: null,
      overheadMs: 1,
      createdAt: twoDaysAgo.toISOString(),
      month: twoDaysAgo.toISOString().slice(0, 7),
    };
  }

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    db = api.get(DataSource);
    tokens = await loginEveryRole(api);
    const gw = await createGateway(api, upstream.url, { name: 'key-a' });
    keyA = { id: gw.keyId, key: gw.key, name: 'key-a' };
    keyB = { ...(await createKey(api, { name: 'key-b' })), name: 'key-b' };
    await createModel(api, {
      providerId: gw.providerId,
      name: 'gpt-4o',
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '2.5' },
        { direction: 'output', unit: '1m_tokens', price: '10' },
        { direction: 'cache_read', unit: '1m_tokens', price: '1.25' },
      ],
    });
    await createModel(api, { providerId: gw.providerId, name: 'free-model', pricing: [] });

    for (let i = 0; i < 3; i++)
      await call(keyA.key, 'gpt-4o-mini', { usage: { prompt_tokens: 100, completion_tokens: 20, cached: 40 } });
    for (let i = 0; i < 2; i++)
      await call(keyA.key, 'gpt-4o', { usage: { prompt_tokens: 1000, completion_tokens: 300, reasoning: 100 } });
    await call(keyB.key, 'gpt-4o-mini', { omitUsage: true, reply: 'an answer the gateway has to count itself' });
    await call(keyB.key, 'gpt-4o', { usage: { prompt_tokens: 70, completion_tokens: 9 } }, true);
    await call(keyB.key, 'free-model', { usage: { prompt_tokens: 10, completion_tokens: 10 } });
    await call(keyB.key, 'gpt-4o', {
      error: { status: 500, body: { error: { message: 'boom', type: 'server_error' } } },
    });
    await queueOf(api, QueueName.Billing).addBulk(
      [pastEvent(keyA, 'gpt-4o-mini', '0.000123'), pastEvent(keyB, 'gpt-4o', '0.0045')].map((data) => ({
        name: BillingJob.RecordUsage,
        data,
        opts: { jobId: data.callId },
      })),
    );
    await waitFor(async () => {
      const [{ n }] = await db.query<{ n: number }[]>('SELECT count(*)::int AS n FROM usage_records');
      return n >= 11 ? true : undefined;
    });
    await drainQueue(api, QueueName.Billing);
    records = await db.query<RecordRow[]>('SELECT * FROM usage_records');
    for (const r of records) r.created_at = new Date(r.created_at);
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });

  it('seeded a varied history: estimated, unpriced, cached, reasoning, errors and an earlier day', () => {
    expect(records).toHaveLength(11);
    expect(records.some((r) => r.estimated)).toBe(true);
    expect(records.some((r) => r.unpriced)).toBe(true);
    expect(records.some((r) => r.cache_read_tokens > 0 && r.reasoning_tokens === 0)).toBe(true);
    expect(new Set(records.map((r) => utcDay(r.created_at))).size).toBe(2);
  });

  it('answers the totals of every record, as one row when nothing is grouped', async () => {
    const res = await usage('');
    expect(res.status).toBe(200);
    const [totals] = expected(records);
    expect(res.body).toEqual({ data: [totals], totals });
    expect(res.body.totals.cost_usd).toMatch(/^\d+(\.\d+)?$/);
  });

  it('groups by api_key and model, rows summing to the totals', async () => {
    const res = await usage('?group_by=api_key,model');
    expect(res.status).toBe(200);
    const names: Record<string, string> = { [keyA.id]: keyA.name, [keyB.id]: keyB.name };
    expect(sortRows(res.body.data)).toEqual(
      sortRows(
        expected(records, (r) => ({
          api_key_id: r.api_key_id,
          api_key_name: names[r.api_key_id],
          model: r.model_name,
        })),
      ),
    );
    expect(res.body.data).toHaveLength(5);
    const sum = (res.body.data as Json[]).reduce((a: Decimal, r) => a.plus(r.cost_usd as string), new Decimal(0));
    expect(sum.toFixed()).toBe(res.body.totals.cost_usd);
    expect((res.body.data as Json[]).reduce((a: number, r) => a + (r.requests as number), 0)).toBe(
      res.body.totals.requests,
    );
  });

  it('groups by UTC day and provider, the same from the daily rollup and from the records', async () => {
    const want = sortRows(expected(records, (r) => ({ provider: r.provider_name, day: utcDay(r.created_at) })));
    const from = utcDay(twoDaysAgo);
    const to = utcDay(new Date(Date.now() + 86_400_000));
    const wholeDays = await usage(`?group_by=day,provider&from=${from}&to=${to}`);
    expect(sortRows(wholeDays.body.data)).toEqual(want);
    // a range that is not whole days is answered from the records
    const exact = await usage(`?group_by=provider,day&from=${from}T00:00:00.5Z&to=${to}T00:00:00.5Z`);
    expect(sortRows(exact.body.data)).toEqual(want);
    expect(exact.body.totals).toEqual(wholeDays.body.totals);
  });

  it('limits to [from, to) and filters by key and model', async () => {
    const from = new Date(Date.now() - 3_600_000);
    const res = await usage(`?from=${from.toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`);
    const [recent] = expected(records.filter((r) => r.created_at >= from));
    expect(res.body.totals).toEqual(recent);
    expect(res.body.totals.requests).toBe(9);

    const filtered = await usage(`?api_key_id=${keyB.id}&model=gpt-4o&group_by=model`);
    const want = expected(
      records.filter((r) => r.api_key_id === keyB.id && r.model_name === 'gpt-4o'),
      (r) => ({ model: r.model_name }),
    );
    expect(filtered.body.data).toEqual(want);
    expect(filtered.body.totals.requests).toBe(3);

    const none = await usage(`?from=${utcDay(new Date(Date.now() + 2 * 86_400_000))}&group_by=model`);
    expect(none.body.data).toEqual([]);
    expect(none.body.totals).toEqual({
      requests: 0,
      ...Object.fromEntries(COUNTERS.map((c) => [c, 0])),
      cost_usd: '0',
      estimated_requests: 0,
      unpriced_requests: 0,
      cache_hits: 0,
      saved_usd: '0',
    });
  });

  it("answers one key's usage, grouped by model, also after the key is deleted", async () => {
    const res = await adminRequest(api, 'GET', `/admin/api-keys/${keyA.id}/usage?group_by=model`, {
      token: tokens.viewer,
    });
    expect(res.status).toBe(200);
    const mine = records.filter((r) => r.api_key_id === keyA.id);
    expect(sortRows(res.body.data)).toEqual(sortRows(expected(mine, (r) => ({ model: r.model_name }))));
    expect(res.body.totals).toEqual(expected(mine)[0]);

    const ranged = await adminRequest(
      api,
      'GET',
      `/admin/api-keys/${keyA.id}/usage?from=${utcDay(twoDaysAgo)}&to=${utcDay(new Date(twoDaysAgo.getTime() + 86_400_000))}`,
      { token: tokens.viewer },
    );
    expect(ranged.body.totals).toEqual(expected(mine.filter((r) => r.created_at < new Date(utcDay(new Date()))))[0]);
    expect(ranged.body.totals.requests).toBe(1);

    expect((await adminRequest(api, 'DELETE', `/admin/api-keys/${keyB.id}`, { token: tokens.editor })).status).toBe(
      204,
    );
    const deleted = await adminRequest(api, 'GET', `/admin/api-keys/${keyB.id}/usage`, { token: tokens.viewer });
    expect(deleted.body.totals).toEqual(expected(records.filter((r) => r.api_key_id === keyB.id))[0]);

    const unknown = await adminRequest(api, 'GET', `/admin/api-keys/${randomUUID()}/usage`, { token: tokens.viewer });
    expect(unknown.status).toBe(404);
  });

  it.each([
    ['from=yesterday', /from must be an ISO-8601/],
    ['to=2026-11-01T00:00:00', /to must be an ISO-8601/],
    ['from=2026-13-45', /from must be an ISO-8601/],
    ['group_by=api_key,color', /group_by values must be among/],
    ['api_key_id=abc', /api_key_id must be a UUID/],
    ['from=2026-11-02&to=2026-11-01', /from must be before to/],
    ['page=2', /property page should not exist/],
  ])('answers 400 in the admin error shape for ?%s', async (query, message) => {
    const res = await usage(`?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(JSON.stringify(res.body.message)).toMatch(message);
  });

  it('needs an admin JWT: none or an API key is 401', async () => {
    expect((await adminRequest(api, 'GET', '/admin/usage')).status).toBe(401);
    expect((await usage('', keyA.key)).status).toBe(401);
    expect((await adminRequest(api, 'GET', `/admin/api-keys/${keyA.id}/usage`, { token: keyA.key })).status).toBe(401);
  });
});
