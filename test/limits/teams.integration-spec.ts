import Decimal from 'decimal.js';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { periodId } from '#src/modules/billing/budget-period';
import { BudgetAlerts, type BudgetCrossing } from '#src/modules/ratelimit/budget-alerts';
import { LimitsClock } from '#src/modules/ratelimit/limits-clock';
import { adminRequest, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { freePort, spawnBuilt, type Spawned, waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { baseTestEnv, REDIS_TEST_URL } from '#test/utils/test-env';
import { BudgetUpstream } from '#test/limits/budget-upstream';
import {
  type BudgetModel,
  MESSAGES,
  createBudgetModel,
  nanosToUsd,
  refusalFigures,
  usdToNanos,
  waitForBilled,
  worstCase,
} from '#test/limits/budget-helpers';

// Part of these tests runs the built gateway (dist/): refresh it with `npm run build` after changes.

interface Gateway {
  proc: Spawned;
  url: string;
}

async function spawnGateway(): Promise<Gateway> {
  const port = await freePort();
  const proc = spawnBuilt('main', [], { ...baseTestEnv(), GATEWAY_HTTP_PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => ((await fetch(`${url}/health/ready`)).status === 200 ? true : undefined), 30_000);
  return { proc, url };
}

async function stopGateway(g: Gateway): Promise<void> {
  if (g.proc.child.exitCode === null && g.proc.child.signalCode === null) g.proc.child.kill('SIGTERM');
  await g.proc.exited;
}

const chat = (url: string, key: string, body: Record<string, unknown>): Promise<Response> =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: MESSAGES, ...body }),
  });

/** The team's Redis counter of its current period (its keys' calls together). */
async function teamSpend(redis: Redis, api: TestApp, teamId: string, period: string): Promise<number | null> {
  const v = await redis.get(api.get(RedisKeys).team(teamId).spend(period));
  return v === null ? null : Number(v);
}

describe('teams, budget periods and end users (SPEC §13)', () => {
  let api: TestApp;
  let upstream: BudgetUpstream;
  let redis: Redis;
  let m: BudgetModel;
  let tokens: RoleTokens;
  const crossings: BudgetCrossing[] = [];

  const createTeam = async (body: Record<string, unknown>): Promise<{ id: string; name: string }> => {
    const res = await adminRequest<{ id: string; name: string }>(api, 'POST', '/admin/teams', {
      token: tokens.editor,
      body,
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  beforeAll(async () => {
    await resetState();
    upstream = await new BudgetUpstream().start();
    api = await startApi();
    tokens = await loginEveryRole(api);
    m = await createBudgetModel(api, upstream.url, 'team-model');
    redis = new Redis(REDIS_TEST_URL);
    const alerts = api.get(BudgetAlerts);
    const original = alerts.crossed.bind(alerts);
    alerts.crossed = (c) => {
      crossings.push(c);
      original(c);
    };
  });
  afterAll(async () => {
    redis.disconnect();
    await api.close();
    await upstream.stop();
  });
  afterEach(() => {
    api.get(LimitsClock).offsetMs = 0;
  });

  it('manages teams in the admin API and keeps a key within its team (allowlist, budget names, deletion)', async () => {
    const team = await createTeam({
      name: 'search',
      allowed_models: [m.model, 'other-model'],
      rate_limit: 100,
      budget: '12.5',
      budget_period: 'week',
      alert_thresholds: [1, 0.5],
      tags: { cost_center: 'cc-42' },
    });
    const got = await adminRequest(api, 'GET', `/admin/teams/${team.id}`, { token: tokens.viewer });
    expect(got.body).toMatchObject({
      name: 'search',
      budget: '12.5',
      budget_period: 'week',
      alert_thresholds: [0.5, 1],
      tags: { cost_center: 'cc-42' },
      enabled: true,
    });
    expect(
      (await adminRequest(api, 'POST', '/admin/teams', { token: tokens.editor, body: { name: 'search' } })).status,
    ).toBe(409);
    expect(
      (await adminRequest(api, 'POST', '/admin/teams', { token: tokens.viewer, body: { name: 'x' } })).status,
    ).toBe(403);
    const bad = await adminRequest(api, 'POST', '/admin/teams', {
      token: tokens.editor,
      body: { name: 'bad', budget_period: 'year' },
    });
    expect(bad.status).toBe(400);
    const badThresholds = await adminRequest(api, 'POST', '/admin/teams', {
      token: tokens.editor,
      body: { name: 'bad', alert_thresholds: [0, 2] },
    });
    expect(badThresholds.status).toBe(400);

    const keyBody = (extra: Record<string, unknown>) => ({ name: `k-${Math.random()}`, team_id: team.id, ...extra });
    const outside = await adminRequest(api, 'POST', '/admin/api-keys', {
      token: tokens.editor,
      body: keyBody({ allowed_models: [m.model, 'gpt-5'] }),
    });
    expect(outside.status).toBe(400);
    expect(outside.body.message).toMatch(/within team 'search'.*gpt-5/);
    // an empty allowlist means "every model", which is not within a team that allows only some
    expect(
      (await adminRequest(api, 'POST', '/admin/api-keys', { token: tokens.editor, body: keyBody({}) })).status,
    ).toBe(400);
    const both = await adminRequest(api, 'POST', '/admin/api-keys', {
      token: tokens.editor,
      body: keyBody({ allowed_models: [m.model], budget: 1, monthly_budget: 1 }),
    });
    expect(both.status).toBe(400);
    const noTeam = await adminRequest(api, 'POST', '/admin/api-keys', {
      token: tokens.editor,
      body: keyBody({ allowed_models: [m.model], team_id: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' }),
    });
    expect(noTeam.status).toBe(400);

    const created = await adminRequest(api, 'POST', '/admin/api-keys', {
      token: tokens.editor,
      body: keyBody({ allowed_models: [m.model], monthly_budget: '3' }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      team_id: team.id,
      budget: '3',
      budget_period: 'month',
      monthly_budget: '3',
      alert_thresholds: [0.8, 1],
    });
    const daily = await adminRequest(api, 'PATCH', `/admin/api-keys/${created.body.id}`, {
      token: tokens.editor,
      body: { budget: '2', budget_period: 'day' },
    });
    expect(daily.body).toMatchObject({ budget: '2', budget_period: 'day', monthly_budget: null });

    // narrowing the team's allowlist below a key's is refused, naming the key
    const narrow = await adminRequest(api, 'PATCH', `/admin/teams/${team.id}`, {
      token: tokens.editor,
      body: { allowed_models: ['other-model'] },
    });
    expect(narrow.status).toBe(400);
    expect(narrow.body.message).toContain(created.body.name);

    expect((await adminRequest(api, 'DELETE', `/admin/teams/${team.id}`, { token: tokens.editor })).status).toBe(409);
    expect(
      (await adminRequest(api, 'DELETE', `/admin/api-keys/${created.body.id}`, { token: tokens.editor })).status,
    ).toBe(204);
    expect((await adminRequest(api, 'DELETE', `/admin/teams/${team.id}`, { token: tokens.editor })).status).toBe(204);
    expect((await adminRequest(api, 'GET', `/admin/teams/${team.id}`, { token: tokens.viewer })).status).toBe(404);
  });

  it("refuses a call outside the team's allowlist and names the team when the team's limit refuses", async () => {
    const team = await createTeam({ name: 'rl-team', rate_limit: 3, allowed_models: [m.model] });
    const a = await createKey(api, { teamId: team.id, allowedModels: [m.model] });
    const b = await createKey(api, { teamId: team.id, allowedModels: [m.model], rateLimit: 100 });
    expect((await chat(api.url, a.key, { model: m.model, max_tokens: 5 })).status).toBe(200);
    expect((await chat(api.url, b.key, { model: m.model, max_tokens: 5 })).status).toBe(200);
    const third = await chat(api.url, b.key, { model: m.model, max_tokens: 5 });
    expect(third.status).toBe(200);
    // the key's own headers (its limit of 100), not the team's
    expect(third.headers.get('x-ratelimit-limit-requests')).toBe('100');
    const refused = await chat(api.url, a.key, { model: m.model, max_tokens: 5 });
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { message: string; code: string } };
    expect(body.error.message).toBe("Rate limit of 3 requests per minute reached for team 'rl-team'.");
    expect(refused.headers.get('retry-after')).not.toBeNull();
  });

  it('stops every key of a disabled team on every gateway process within 1 s', async () => {
    const team = await createTeam({ name: 'switch' });
    const key = await createKey(api, { teamId: team.id });
    const other = await spawnGateway();
    try {
      for (const url of [api.url, other.url])
        expect((await chat(url, key.key, { model: m.model, max_tokens: 5 })).status).toBe(200);
      const res = await adminRequest(api, 'PATCH', `/admin/teams/${team.id}`, {
        token: tokens.editor,
        body: { enabled: false },
      });
      expect(res.status).toBe(200);
      const at = Date.now();
      await waitFor(
        async () =>
          (await chat(other.url, key.key, { model: m.model, max_tokens: 5 })).status === 401 ? true : undefined,
        1000,
        20,
      );
      expect(Date.now() - at).toBeLessThan(1000);
      const refused = await chat(api.url, key.key, { model: m.model, max_tokens: 5 });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/team is disabled/);
    } finally {
      await stopGateway(other);
    }
  });

  it('done when: 200 concurrent calls of two keys across two gateway processes never overshoot the team budget, and each key budget still binds', async () => {
    const team = await createTeam({ name: 'shared', budget: '1' });
    const keyA = await createKey(api, { teamId: team.id, budget: '0.45' });
    const keyB = await createKey(api, { teamId: team.id, budget: '0.8' });
    const gateways = await Promise.all([spawnGateway(), spawnGateway()]);
    const maxTokens = 200;
    try {
      upstream.chunkDelayMs = 0;
      // both keys known to both processes first: which budget a refusal names depends on the order calls are
      // admitted, and a key's first call on a process waits for its load from PostgreSQL while the other's go on
      for (const g of gateways)
        for (const k of [keyA, keyB])
          expect((await fetch(`${g.url}/gateway/key`, { headers: { 'x-api-key': k.key } })).status).toBe(200);
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const key = i % 2 === 0 ? keyA : keyB;
          const res = await chat(gateways[i % 4 < 2 ? 0 : 1].url, key.key, { model: m.model, max_tokens: maxTokens });
          const text = await res.text();
          return { key: key.id, status: res.status, text };
        }),
      );
      const ok = results.filter((r) => r.status === 200);
      const refused = results.filter((r) => r.status !== 200);
      for (const r of refused) expect(r.status).toBe(429);
      // both limits refused somewhere: key A's own budget, and the team's for key B
      expect(refused.some((r) => r.key === keyA.id && r.text.includes('for this API key'))).toBe(true);
      expect(refused.some((r) => r.text.includes("for team 'shared'"))).toBe(true);
      const okA = ok.filter((r) => r.key === keyA.id).length;
      const okB = ok.filter((r) => r.key === keyB.id).length;
      await waitForBilled(api, keyA.id, okA);
      await waitForBilled(api, keyB.id, okB);

      const ds = api.get(DataSource);
      const sum = async (where: string, id: string): Promise<Decimal> => {
        const [r] = await ds.query<{ s: string }[]>(
          `SELECT coalesce(sum(cost_usd), 0)::text AS s FROM usage_records WHERE ${where} = $1`,
          [id],
        );
        return new Decimal(r.s);
      };
      const spentA = await sum('api_key_id', keyA.id);
      const spentB = await sum('api_key_id', keyB.id);
      const spentTeam = await sum('team_id', team.id);
      expect(spentTeam.toFixed()).toBe(spentA.add(spentB).toFixed());
      const oneCall = new Decimal(worstCase(m, maxTokens)).div(1e9);
      expect(spentTeam.lte(1)).toBe(true);
      expect(spentTeam.gt(new Decimal(1).sub(oneCall))).toBe(true);
      expect(spentA.lte('0.45')).toBe(true);
      expect(spentA.gt(new Decimal('0.45').sub(oneCall))).toBe(true);
      // Redis and PostgreSQL agree, per key and for the team, in the current month
      const month = periodId('month', new Date());
      expect(await teamSpend(redis, api, team.id, month)).toBe(usdToNanos(spentTeam.toFixed()));
      const keyKeys = api.get(RedisKeys).apiKey(keyA.id, team.id);
      expect(Number(await redis.get(keyKeys.spend(month)))).toBe(usdToNanos(spentA.toFixed()));
      const [agg] = await ds.query<{ cost: string }[]>(
        "SELECT cost_usd::text AS cost FROM budget_spend WHERE subject_type = 'team' AND subject_id = $1 AND period = $2",
        [team.id, month],
      );
      expect(new Decimal(agg.cost).toFixed()).toBe(spentTeam.toFixed());
    } finally {
      await Promise.all(gateways.map(stopGateway));
    }
  });

  it('resets a daily budget at 00:00 UTC by Redis time (the limits clock moved, no sleeping)', async () => {
    const clock = api.get(LimitsClock);
    const [seconds] = await redis.time();
    const redisNow = Number(seconds) * 1000;
    const nextMidnight = Date.UTC(
      new Date(redisNow).getUTCFullYear(),
      new Date(redisNow).getUTCMonth(),
      new Date(redisNow).getUTCDate() + 1,
    );
    // 23:59:50 of today by Redis time (ten seconds of margin for a loaded machine)
    clock.offsetMs = nextMidnight - 10_000 - redisNow;
    // one call's worst case and a little: after one call nothing useful is left today
    const key = await createKey(api, { budget: nanosToUsd(worstCase(m, 100) + 1000), budgetPeriod: 'day' });
    expect((await chat(api.url, key.key, { model: m.model, max_tokens: 100 })).status).toBe(200);
    const refused = await chat(api.url, key.key, { model: m.model, max_tokens: 100 });
    expect(refused.status).toBe(429);
    const figures = refusalFigures(((await refused.json()) as { error: { message: string } }).error.message);
    expect(figures.left).toBeLessThan(worstCase(m, 100));
    const today = periodId('day', nextMidnight - 1);
    const tomorrow = periodId('day', nextMidnight);

    // ten seconds later it is tomorrow: a new period with the whole budget
    clock.offsetMs = nextMidnight - redisNow;
    expect((await chat(api.url, key.key, { model: m.model, max_tokens: 100 })).status).toBe(200);
    await waitForBilled(api, key.id, 2);
    const rows = await api
      .get(DataSource)
      .query<{ period: string; cost: string }[]>(
        "SELECT period, cost_usd::text AS cost FROM budget_spend WHERE subject_type = 'key' AND subject_id = $1 AND period LIKE 'day:%' ORDER BY period",
        [key.id],
      );
    expect(rows.map((r) => r.period)).toEqual([today, tomorrow]);
    const k = api.get(RedisKeys).apiKey(key.id);
    expect(Number(await redis.get(k.spend(today)))).toBe(usdToNanos(rows[0].cost));
    expect(Number(await redis.get(k.spend(tomorrow)))).toBe(usdToNanos(rows[1].cost));

    // three days and thirteen hours on, the same key (the same cached limit arguments) admits and settles in that
    // day: its cost in that day's counter and no reservation left behind in it
    const later = nextMidnight + 3 * 86_400_000 + 13 * 3_600_000;
    clock.offsetMs = later - redisNow;
    expect((await chat(api.url, key.key, { model: m.model, max_tokens: 100 })).status).toBe(200);
    await waitForBilled(api, key.id, 3);
    const day = periodId('day', later);
    const [{ cost }] = await api
      .get(DataSource)
      .query<{ cost: string }[]>(
        "SELECT cost_usd::text AS cost FROM budget_spend WHERE subject_type = 'key' AND subject_id = $1 AND period = $2",
        [key.id, day],
      );
    expect(Number(await redis.get(k.spend(day)))).toBe(usdToNanos(cost));
    expect(Number((await redis.get(k.reservedTotal(day))) ?? 0)).toBe(0);
  });

  it('reports each threshold of a period exactly once, even with 60 concurrent calls crossing it; 1.0 when the budget refuses', async () => {
    crossings.length = 0;
    const team = await createTeam({ name: 'alerting', budget: '1', alert_thresholds: [0.5, 1] });
    const key = await createKey(api, { teamId: team.id, budget: '100', alertThresholds: [0.001] });
    upstream.chunkDelayMs = 0;
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () =>
        chat(api.url, key.key, { model: m.model, max_tokens: 200 }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(20);
    const month = periodId('month', new Date());
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    // alerts leave off the call's path: a refusal's `budget.exceeded` follows its own Redis round trip, which can
    // end after the last answer came back
    const teamCrossings = (): BudgetCrossing[] => crossings.filter((c) => c.subject.type === 'team');
    await waitFor(async () => (teamCrossings().length >= 2 ? true : undefined), 5000, 20).catch(() => undefined);
    const forTeam = teamCrossings().sort((a, b) => a.threshold - b.threshold);
    expect(forTeam.map((c) => c.threshold)).toEqual([0.5, 1]);
    for (const c of forTeam)
      expect(c).toMatchObject({ subject: { id: team.id, name: 'alerting' }, period: month, budgetNanos: 1e9 });
    expect(forTeam[0].spentNanos).toBeGreaterThanOrEqual(0.5e9);
    // the budget refused a call: what was spent or held by calls in flight then left no room for it
    expect(forTeam[1].spentNanos).toBeGreaterThan(1e9 - worstCase(m, 200));
    expect(crossings.filter((c) => c.subject.type === 'key').map((c) => c.threshold)).toEqual([0.001]);
    // more calls in the same period report nothing again
    await chat(api.url, key.key, { model: m.model, max_tokens: 5 });
    await chat(api.url, key.key, { model: m.model, max_tokens: 200 });
    expect(crossings).toHaveLength(3);
    const alerted = await redis.hgetall(api.get(RedisKeys).team(team.id).alerted(month));
    expect(Object.keys(alerted).sort()).toEqual(['0.5', '1']);
  });

  it('stores the end user of OpenAI and Anthropic requests, and reports by end user and by team', async () => {
    const team = await createTeam({ name: 'reports' });
    const key = await createKey(api, { teamId: team.id });
    for (const user of ['alice', 'bob', 'alice'])
      expect((await chat(api.url, key.key, { model: m.model, max_tokens: 7, user })).status).toBe(200);
    expect(
      (await chat(api.url, key.key, { model: m.model, max_tokens: 9, metadata: { user_id: 'carol' } })).status,
    ).toBe(200);
    expect((await chat(api.url, key.key, { model: m.model, max_tokens: 3 })).status).toBe(200);
    await waitForBilled(api, key.id, 5);
    const ds = api.get(DataSource);
    const expected = await ds.query<{ end_user: string | null; requests: number; cost: string }[]>(
      `SELECT end_user, count(*)::int AS requests, sum(cost_usd)::text AS cost FROM usage_records
       WHERE team_id = $1 GROUP BY 1 ORDER BY 1 NULLS LAST`,
      [team.id],
    );
    expect(expected.map((r) => r.end_user)).toEqual(['alice', 'bob', 'carol', null]);
    const report = await adminRequest(api, 'GET', `/admin/teams/${team.id}/usage?group_by=end_user`, {
      token: tokens.viewer,
    });
    expect(report.status).toBe(200);
    expect(
      report.body.data.map((r: { end_user: string | null; requests: number; cost_usd: string }) => ({
        end_user: r.end_user,
        requests: r.requests,
        cost: r.cost_usd,
      })),
    ).toEqual(expected.map((r) => ({ ...r, cost: new Decimal(r.cost).toFixed() })));
    const byTeam = await adminRequest(api, 'GET', '/admin/usage?group_by=team', { token: tokens.viewer });
    const row = byTeam.body.data.find((r: { team_id: string }) => r.team_id === team.id);
    expect(row).toMatchObject({ team_name: 'reports', requests: 5 });
    expect((await adminRequest(api, 'GET', '/admin/usage?group_by=nope', { token: tokens.viewer })).status).toBe(400);
  });

  it("shows the team's limits and what is left of both budgets in /gateway/key", async () => {
    const team = await createTeam({ name: 'view', budget: '2', budget_period: 'week', rate_limit: 50 });
    const key = await createKey(api, { teamId: team.id, budget: '1', budgetPeriod: 'day' });
    expect((await chat(api.url, key.key, { model: m.model, max_tokens: 10 })).status).toBe(200);
    const view = await waitFor(async () => {
      const res = await fetch(`${api.url}/gateway/key`, { headers: { authorization: `Bearer ${key.key}` } });
      const body = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      return body.spend.spent_usd !== '0' && body.team.spend.spent_usd !== '0' ? body : undefined;
    });
    expect(view).toMatchObject({ budget: '1', budget_period: 'day', monthly_budget: null });
    expect(view.spend.period.kind).toBe('day');
    expect(view.team).toMatchObject({ id: team.id, name: 'view', rate_limit: 50, budget: '2', budget_period: 'week' });
    expect(view.team.spend.period.kind).toBe('week');
    expect(view.team.spend.spent_usd).toBe(view.spend.spent_usd);
    expect(new Decimal(view.spend.remaining_usd).toFixed()).toBe(new Decimal(1).sub(view.spend.spent_usd).toFixed());
    expect(new Decimal(view.team.spend.remaining_usd).toFixed()).toBe(
      new Decimal(2).sub(view.team.spend.spent_usd).toFixed(),
    );
  });
});
