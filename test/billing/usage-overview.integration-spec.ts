import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { adminRequest, type Json, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

interface Row {
  at: string;
  latency: number;
  status: number;
  cost: string;
  model: string;
  keyId: string | null;
}

/** PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  return Math.round(sorted[lo] + (sorted[Math.ceil(rank)] - sorted[lo]) * (rank - lo));
}

/** GET /admin/usage/overview: what the console's overview charts, computed from usage_records. */
describe('usage overview: GET /admin/usage/overview', () => {
  let api: TestApp;
  let tokens: RoleTokens;
  let rows: Row[];
  let keyA: { id: string };
  let team: { id: string };

  beforeAll(async () => {
    await resetState();
    api = await startApi();
    tokens = await loginEveryRole(api);
    keyA = await createKey(api, { name: 'checkout' });
    const keyB = await createKey(api, { name: 'search' });
    team = (
      await adminRequest<{ id: string }>(api, 'POST', '/admin/teams', { token: tokens.editor, body: { name: 'shop' } })
    ).body;
    rows = [
      { at: '2026-12-01T10:05:00Z', latency: 100, status: 200, cost: '0.001', model: 'gpt-4o-mini', keyId: keyA.id },
      { at: '2026-12-01T10:20:00Z', latency: 300, status: 200, cost: '0.002', model: 'gpt-4o-mini', keyId: keyA.id },
      { at: '2026-12-01T10:40:00Z', latency: 900, status: 502, cost: '0', model: 'claude', keyId: keyB.id },
      { at: '2026-12-01T10:59:59Z', latency: 200, status: 429, cost: '0', model: 'claude', keyId: keyB.id },
      { at: '2026-12-01T12:00:00Z', latency: 50, status: 200, cost: '0.5', model: 'claude', keyId: keyB.id },
      // outside the range asked below
      { at: '2026-12-01T13:00:00Z', latency: 1, status: 200, cost: '9', model: 'gpt-4o-mini', keyId: keyA.id },
    ];
    for (const r of rows) {
      await api.get(DataSource).query(
        `INSERT INTO usage_records (call_id, api_key_id, team_id, model_name, status, latency_ms, cost_usd, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [randomUUID(), r.keyId, r.keyId === keyA.id ? team.id : null, r.model, r.status, r.latency, r.cost, r.at],
      );
    }
  });
  afterAll(() => api.close());

  const overview = (query: string, token = tokens.viewer) =>
    adminRequest<Json>(api, 'GET', `/admin/usage/overview?${query}`, { token });

  it('buckets calls by hour with errors, cost and p50/p95 latency, and totals over the range', async () => {
    const res = await overview('from=2026-12-01T10:00:00Z&to=2026-12-01T13:00:00Z');
    expect(res.status).toBe(200);
    const hour10 = rows.slice(0, 4).map((r) => r.latency);
    expect(res.body).toMatchObject({
      bucket: 'hour',
      from: '2026-12-01T10:00:00.000Z',
      to: '2026-12-01T13:00:00.000Z',
    });
    expect(res.body.series).toEqual([
      {
        t: '2026-12-01T10:00:00Z',
        requests: 4,
        errors: 2,
        cost_usd: '0.003',
        p50_latency_ms: percentile(hour10, 0.5),
        p95_latency_ms: percentile(hour10, 0.95),
      },
      { t: '2026-12-01T12:00:00Z', requests: 1, errors: 0, cost_usd: '0.5', p50_latency_ms: 50, p95_latency_ms: 50 },
    ]);
    const all = rows.slice(0, 5).map((r) => r.latency);
    expect(res.body.totals).toEqual({
      requests: 5,
      errors: 2,
      cost_usd: '0.503',
      p50_latency_ms: percentile(all, 0.5),
      p95_latency_ms: percentile(all, 0.95),
    });
    expect(res.body.top_models).toEqual([
      { name: 'claude', requests: 3, cost_usd: '0.5' },
      { name: 'gpt-4o-mini', requests: 2, cost_usd: '0.003' },
    ]);
    expect(res.body.top_keys[1]).toEqual({ id: keyA.id, name: 'checkout', requests: 2, cost_usd: '0.003' });
    // only key A's calls were made in a team
    expect(res.body.top_teams).toEqual([{ id: team.id, name: 'shop', requests: 2, cost_usd: '0.003' }]);
  });

  it('buckets by day on request, and refuses an empty, reversed or too long range', async () => {
    const day = await overview('from=2026-12-01&to=2026-12-02&bucket=day');
    expect(day.body.series).toEqual([expect.objectContaining({ t: '2026-12-01T00:00:00Z', requests: 6, errors: 2 })]);
    expect((await overview('from=2026-12-02&to=2026-12-01')).status).toBe(400);
    expect((await overview('from=2026-01-01&to=2026-12-01')).status).toBe(400);
    expect((await overview('bucket=week')).status).toBe(400);
  });

  it("narrows every figure to one key's calls with api_key_id (the console's key page)", async () => {
    const res = await overview(`from=2026-12-01T10:00:00Z&to=2026-12-01T13:00:00Z&api_key_id=${keyA.id}`);
    expect(res.status).toBe(200);
    expect(res.body.series).toEqual([
      {
        t: '2026-12-01T10:00:00Z',
        requests: 2,
        errors: 0,
        cost_usd: '0.003',
        p50_latency_ms: 200,
        p95_latency_ms: 290,
      },
    ]);
    expect(res.body.totals).toMatchObject({ requests: 2, errors: 0, cost_usd: '0.003' });
    expect(res.body.top_keys).toEqual([{ id: keyA.id, name: 'checkout', requests: 2, cost_usd: '0.003' }]);
    expect(res.body.top_models).toEqual([{ name: 'gpt-4o-mini', requests: 2, cost_usd: '0.003' }]);
    expect(res.body.top_teams).toEqual([{ id: team.id, name: 'shop', requests: 2, cost_usd: '0.003' }]);
    const other = await overview(`from=2026-12-01T10:00:00Z&to=2026-12-01T13:00:00Z&api_key_id=${randomUUID()}`);
    expect(other.body).toMatchObject({ series: [], totals: { requests: 0 }, top_keys: [], top_models: [] });
    expect((await overview('api_key_id=not-a-uuid')).status).toBe(400);
  });

  it('defaults to the last 24 hours by hour, for viewers and up, not for callers without a role', async () => {
    const res = await overview('');
    expect(res.status).toBe(200);
    expect(res.body.bucket).toBe('hour');
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(86_400_000);
    expect((await adminRequest(api, 'GET', '/admin/usage/overview')).status).toBe(401);
  });
});
