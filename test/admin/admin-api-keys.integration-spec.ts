import OpenAI from 'openai';
import { adminRequest, loginEveryRole, type RoleTokens, type Json } from '#test/factories/admin-fixtures';
import { createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

describe('admin API keys', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  let t: RoleTokens;
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> =>
    adminRequest(api, method, path, { token: t.editor, body });

  /** A chat completion through the proxy with this key: the HTTP status the client sees. */
  async function proxied(key: string): Promise<number> {
    const client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    try {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      return 200;
    } catch (err) {
      if (err instanceof OpenAI.APIError && err.status !== undefined) return Number(err.status);
      throw err;
    }
  }

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    t = await loginEveryRole(api);
    const provider = await createProvider(api, { baseUrl: upstream.url });
    await createModel(api, { providerId: provider.id, name: 'gpt-4o-mini' });
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });

  it('creates a key with its limits and shows the plaintext once', async () => {
    const created = await call('POST', '/admin/api-keys', {
      name: 'search-backend',
      allowed_models: ['gpt-4o-mini'],
      rate_limit: 60,
      tokens_per_minute: 0,
      monthly_budget: 25.5,
      expires_at: '2099-12-31T23:59:59Z',
      tags: { team: 'search', env: 'prod' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'search-backend',
      enabled: true,
      allowed_models: ['gpt-4o-mini'],
      rate_limit: 60,
      tokens_per_minute: 0,
      budget: '25.5',
      budget_period: 'month',
      monthly_budget: '25.5',
      alert_thresholds: [0.8, 1],
      team_id: null,
      expires_at: '2099-12-31T23:59:59.000Z',
      tags: { team: 'search', env: 'prod' },
      cache: null,
      key_prefix: created.body.key.slice(0, 12),
      revoked_at: null,
      deleted_at: null,
      key: expect.stringMatching(/^sk-gw-[A-Za-z0-9_-]{43}$/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const fetched = await adminRequest(api, 'GET', `/admin/api-keys/${created.body.id}`, { token: t.viewer });
    expect(fetched.status).toBe(200);
    expect(fetched.body).not.toHaveProperty('key');
    expect(JSON.stringify((await call('GET', '/admin/api-keys')).body)).not.toContain(created.body.key);
  });

  it('takes money as a number or a decimal string, answers it as a plain decimal, and null clears limits', async () => {
    const key = await call('POST', '/admin/api-keys', { name: 'money', monthly_budget: '0.000000001' });
    expect(key.body.monthly_budget).toBe('0.000000001');
    const fromNumber = await call('PATCH', `/admin/api-keys/${key.body.id}`, { monthly_budget: 1e-9, rate_limit: 0 });
    expect(fromNumber.body).toMatchObject({ monthly_budget: '0.000000001', rate_limit: 0 });
    const cleared = await call('PATCH', `/admin/api-keys/${key.body.id}`, {
      monthly_budget: null,
      rate_limit: null,
      expires_at: null,
      tags: null,
      allowed_models: null,
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({
      monthly_budget: null,
      rate_limit: null,
      expires_at: null,
      tags: {},
      allowed_models: [],
      name: 'money',
    });
  });

  it.each([
    ['a negative rate_limit', { rate_limit: -1 }, 'rate_limit must not be less than 0'],
    ['a negative tokens_per_minute', { tokens_per_minute: -5 }, 'tokens_per_minute must not be less than 0'],
    ['a fractional rate_limit', { rate_limit: 1.5 }, 'rate_limit must be an integer number'],
    ['a negative budget', { monthly_budget: -0.01 }, 'monthly_budget must be a non-negative number or decimal string'],
    ['a budget that is not a number', { monthly_budget: 'ten' }, 'monthly_budget must be a non-negative number'],
    ['tags that are not strings', { tags: { team: 1 } }, 'tags must be an object of non-empty string values'],
    ['an unknown field', { owner: 'me' }, 'property owner should not exist'],
    ['a null name', { name: null }, 'name must be a string'],
    ['a bad expiry', { expires_at: 'next week' }, 'expires_at must be a valid ISO 8601 date string'],
  ])('refuses %s (400, naming the field)', async (_case, body, message) => {
    const created = await call('POST', '/admin/api-keys', { name: 'valid' });
    const res = await call('PATCH', `/admin/api-keys/${created.body.id}`, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('lists with pagination and filters by tag (repeatable), name and enabled', async () => {
    await resetKeys();
    const make = (name: string, tags: Record<string, string>, enabled = true): Promise<{ body: Json }> =>
      call('POST', '/admin/api-keys', { name, tags, enabled });
    await make('alpha-search', { team: 'search', env: 'prod' });
    await make('beta-search', { team: 'search', env: 'dev' });
    await make('gamma-ads', { team: 'ads', env: 'prod' }, false);
    const names = async (query: string): Promise<string[]> =>
      ((await call('GET', `/admin/api-keys?${query}`)).body.data as { name: string }[]).map((k) => k.name);

    expect(await names('tag=team:search')).toEqual(['alpha-search', 'beta-search']);
    expect(await names('tag=team:search&tag=env:prod')).toEqual(['alpha-search']);
    expect(await names('tag=env:prod&enabled=false')).toEqual(['gamma-ads']);
    expect(await names('name=SEARCH')).toEqual(['alpha-search', 'beta-search']);
    expect(await names('name=%25')).toEqual([]);
    const page = await call('GET', '/admin/api-keys?limit=1&offset=1');
    expect(page.body).toEqual({ data: [expect.objectContaining({ name: 'beta-search' })], total: 3 });
    expect((await call('GET', '/admin/api-keys?tag=nocolon')).status).toBe(400);
    expect((await call('GET', '/admin/api-keys?enabled=yes')).status).toBe(400);
  });

  it('soft-deletes: the key is revoked and hidden unless include_deleted=true', async () => {
    await resetKeys();
    const key = await call('POST', '/admin/api-keys', { name: 'doomed' });
    expect(await proxied(key.body.key)).toBe(200);
    expect((await call('DELETE', `/admin/api-keys/${key.body.id}`)).status).toBe(204);
    expect(await proxied(key.body.key)).toBe(401);
    expect((await call('GET', '/admin/api-keys')).body).toEqual({ data: [], total: 0 });
    const withDeleted = await call('GET', '/admin/api-keys?include_deleted=true&name=doomed');
    expect(withDeleted.body.total).toBe(1);
    expect(withDeleted.body.data[0]).toMatchObject({
      name: 'doomed',
      revoked_at: expect.any(String),
      deleted_at: expect.any(String),
    });
    expect((await call('GET', `/admin/api-keys/${key.body.id}`)).status).toBe(404);
    expect((await call('GET', `/admin/api-keys/${key.body.id}?include_deleted=true`)).status).toBe(200);
    expect((await call('PATCH', `/admin/api-keys/${key.body.id}`, { enabled: true })).status).toBe(404);
    expect((await call('DELETE', `/admin/api-keys/${key.body.id}`)).status).toBe(404);
  });

  it('regenerates a key: the old secret stops working at once, the new one works', async () => {
    const key = await call('POST', '/admin/api-keys', { name: 'rotating' });
    const old: string = key.body.key;
    expect(await proxied(old)).toBe(200);
    const regenerated = await call('POST', `/admin/api-keys/${key.body.id}/regenerate`);
    expect(regenerated.status).toBe(200);
    expect(regenerated.body).toMatchObject({
      id: key.body.id,
      name: 'rotating',
      key: expect.stringMatching(/^sk-gw-/),
    });
    expect(regenerated.body.key).not.toBe(old);
    expect(regenerated.body.key_prefix).toBe(regenerated.body.key.slice(0, 12));
    expect(await proxied(old)).toBe(401);
    expect(await proxied(regenerated.body.key)).toBe(200);
  });

  it('revokes and disables keys with immediate effect on the proxy', async () => {
    const revoked = await call('POST', '/admin/api-keys', { name: 'to-revoke' });
    expect(await proxied(revoked.body.key)).toBe(200);
    const res = await call('POST', `/admin/api-keys/${revoked.body.id}/revoke`);
    expect(res.status).toBe(200);
    expect(res.body.revoked_at).toEqual(expect.any(String));
    expect(await proxied(revoked.body.key)).toBe(401);

    const disabled = await call('POST', '/admin/api-keys', { name: 'to-disable' });
    expect(await proxied(disabled.body.key)).toBe(200);
    await call('PATCH', `/admin/api-keys/${disabled.body.id}`, { enabled: false });
    expect(await proxied(disabled.body.key)).toBe(401);
    await call('PATCH', `/admin/api-keys/${disabled.body.id}`, { enabled: true, allowed_models: ['other-model'] });
    expect(await proxied(disabled.body.key)).toBe(403);
  });

  it('audits key changes by name of field, with the action', async () => {
    const res = await adminRequest(api, 'GET', '/admin/audit?resource=api_key&limit=500', { token: t.admin });
    const actions = new Set(res.body.data.map((e: { action: string }) => e.action));
    expect([...actions].sort()).toEqual(['create', 'delete', 'regenerate', 'revoke', 'update']);
    const patch = res.body.data.find(
      (e: { action: string; fields: string[] }) => e.action === 'update' && e.fields.includes('allowed_models'),
    );
    expect(patch).toMatchObject({ admin_name: 'editor@example.com', fields: ['allowed_models', 'enabled'] });
  });

  /** Soft-deletes every live key so list assertions start from nothing. */
  async function resetKeys(): Promise<void> {
    for (const k of (await call('GET', '/admin/api-keys?limit=500')).body.data)
      await call('DELETE', `/admin/api-keys/${k.id}`);
  }
});
