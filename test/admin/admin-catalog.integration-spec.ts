import { adminRequest, loginEveryRole, type RoleTokens, type Json } from '#test/factories/admin-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

describe('admin providers, models and aliases', () => {
  let api: TestApp;
  let t: RoleTokens;
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> =>
    adminRequest(api, method, path, { token: t.editor, body });

  beforeAll(async () => {
    await resetState();
    api = await startApi();
    t = await loginEveryRole(api);
  });
  afterAll(() => api.close());

  it('keeps provider credentials write-only, replaced as a whole, and answers which fields are set', async () => {
    const created = await call('POST', '/admin/providers', {
      name: 'bedrock-eu',
      type: 'bedrock',
      credentials: { access_key_id: 'AKIA-canary-1', secret_access_key: 'secret-canary-1' },
      config: { region: 'eu-west-1' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'bedrock-eu',
      type: 'bedrock',
      base_url: null,
      credentials_set: ['access_key_id', 'secret_access_key'],
      config: { region: 'eu-west-1' },
      enabled: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id: string = created.body.id;
    const replaced = await call('PATCH', `/admin/providers/${id}`, { credentials: { session_token: 'tok-canary-1' } });
    expect(replaced.body.credentials_set).toEqual(['session_token']);
    const untouched = await call('PATCH', `/admin/providers/${id}`, { enabled: false });
    expect(untouched.body).toMatchObject({ credentials_set: ['session_token'], enabled: false });
    const cleared = await call('PATCH', `/admin/providers/${id}`, { credentials: null, config: null });
    expect(cleared.body).toMatchObject({ credentials_set: [], config: {} });

    const wrongField = await call('PATCH', `/admin/providers/${id}`, { credentials: { api_key: 'x' } });
    expect(wrongField.status).toBe(400);
    expect(wrongField.body.message).toContain('api_key');
    const badValues = await call('POST', '/admin/providers', {
      name: 'p2',
      type: 'openai',
      credentials: { api_key: 42 },
      base_url: 'ftp://example.com',
    });
    expect(badValues.status).toBe(400);
    expect(badValues.body.message).toEqual(
      expect.arrayContaining([expect.stringMatching(/^credentials must be/), 'base_url must be a URL address']),
    );
    expect((await call('POST', '/admin/providers', { name: 'bedrock-eu', type: 'openai' })).status).toBe(409);
  });

  it('creates a model with pricing, answering money as decimal strings without exponent', async () => {
    const provider = await call('POST', '/admin/providers', {
      name: 'oai',
      type: 'openai',
      base_url: 'http://127.0.0.1:9/v1',
    });
    const created = await call('POST', '/admin/models', {
      name: 'gpt-4o-mini',
      provider_id: provider.body.id,
      provider_model_id: 'gpt-4o-mini-2024-07-18',
      context_window: 128000,
      capabilities: ['chat'],
      pricing: [
        { direction: 'input', price: 1.5e-7 },
        { direction: 'output', unit: '1m_tokens', price: '0.60' },
        { direction: 'input', tier: 'above_200k', price: '0.0000003' },
        { direction: 'cache_read', modality: 'text', unit: 'token', tier: 'batch', price: 0 },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'gpt-4o-mini',
      provider_id: provider.body.id,
      provider_model_id: 'gpt-4o-mini-2024-07-18',
      context_window: 128000,
      max_output_tokens: null,
      capabilities: ['chat'],
      metadata: {},
      enabled: true,
    });
    expect(created.body.pricing).toEqual([
      { direction: 'cache_read', modality: 'text', unit: 'token', tier: 'batch', price: '0' },
      { direction: 'input', modality: 'text', unit: 'token', tier: 'above_200k', price: '0.0000003' },
      { direction: 'input', modality: 'text', unit: 'token', tier: 'default', price: '0.00000015' },
      { direction: 'output', modality: 'text', unit: '1m_tokens', tier: 'default', price: '0.6' },
    ]);
    const repriced = await call('PATCH', `/admin/models/${created.body.id}`, {
      pricing: [{ direction: 'input', price: '0.000000000001' }],
      max_output_tokens: 16384,
    });
    expect(repriced.body.pricing).toEqual([
      { direction: 'input', modality: 'text', unit: 'token', tier: 'default', price: '0.000000000001' },
    ]);
    expect(repriced.body.context_window).toBe(128000);
    const cleared = await call('PATCH', `/admin/models/${created.body.id}`, { context_window: null, metadata: null });
    expect(cleared.body).toMatchObject({ context_window: null, max_output_tokens: 16384, metadata: {} });
  });

  it.each([
    [
      'an unknown direction',
      { direction: 'sideways', price: 1 },
      'pricing.0.direction must be one of the following values',
    ],
    [
      'a bad tier',
      { direction: 'input', tier: 'above_200', price: 1 },
      'pricing.0.tier must be default, priority, flex',
    ],
    ['a negative price', { direction: 'input', price: -1 }, 'pricing.0.price must be a non-negative number'],
    [
      'a price with an exponent',
      { direction: 'input', price: '1e-7' },
      'pricing.0.price must be a non-negative number',
    ],
    ['an unknown unit', { direction: 'input', unit: 'furlong', price: 1 }, 'pricing.0.unit must be one of'],
    [
      'an unknown field',
      { direction: 'input', price: 1, currency: 'EUR' },
      'pricing.0.property currency should not exist',
    ],
  ])('refuses pricing with %s (400, naming the field)', async (_case, component, message) => {
    const res = await call('POST', '/admin/models', { name: 'priced', pricing: [component] });
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('refuses a pricing list that repeats a component', async () => {
    const res = await call('POST', '/admin/models', {
      name: 'twice',
      pricing: [
        { direction: 'input', price: 1 },
        { direction: 'input', price: 2 },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('repeats input/text/token/default');
  });

  it('keeps names unique across models and aliases, and refuses referenced deletes (409)', async () => {
    const provider = await call('POST', '/admin/providers', { name: 'used', type: 'openai' });
    const model = await call('POST', '/admin/models', { name: 'claude-ish', provider_id: provider.body.id });
    expect(model.status).toBe(201);
    const alias = await call('POST', '/admin/aliases', {
      name: 'smart',
      model_id: model.body.id,
      config: { temperature: 0.2 },
      tags: { tier: 'gold' },
    });
    expect(alias.status).toBe(201);
    expect(alias.body).toMatchObject({
      name: 'smart',
      model_id: model.body.id,
      config: { temperature: 0.2 },
      tags: { tier: 'gold' },
      enabled: true,
    });

    expect((await call('POST', '/admin/aliases', { name: 'claude-ish', model_id: model.body.id })).status).toBe(409);
    const modelNamedLikeAlias = await call('POST', '/admin/models', { name: 'smart' });
    expect(modelNamedLikeAlias.status).toBe(409);
    expect(modelNamedLikeAlias.body.message).toContain("'smart'");
    expect((await call('PATCH', `/admin/models/${model.body.id}`, { name: 'smart' })).status).toBe(409);

    const providerDelete = await call('DELETE', `/admin/providers/${provider.body.id}`);
    expect(providerDelete.status).toBe(409);
    expect(providerDelete.body.message).toContain('claude-ish');
    const modelDelete = await call('DELETE', `/admin/models/${model.body.id}`);
    expect(modelDelete.status).toBe(409);
    expect(modelDelete.body.message).toContain('smart');

    expect(
      (await call('POST', '/admin/aliases', { name: 'dangling', model_id: '01900000-0000-7000-8000-000000000000' }))
        .status,
    ).toBe(400);
    const renamed = await call('PATCH', `/admin/aliases/${alias.body.id}`, { name: 'clever', tags: null });
    expect(renamed.body).toMatchObject({ name: 'clever', tags: {}, config: { temperature: 0.2 } });
    expect((await call('DELETE', `/admin/aliases/${alias.body.id}`)).status).toBe(204);
    expect((await call('DELETE', `/admin/models/${model.body.id}`)).status).toBe(204);
    expect((await call('DELETE', `/admin/providers/${provider.body.id}`)).status).toBe(204);
    expect((await call('GET', `/admin/providers/${provider.body.id}`)).status).toBe(404);
  });

  it('lists models with pagination and a provider filter', async () => {
    const a = await call('POST', '/admin/providers', { name: 'list-a', type: 'openai' });
    const b = await call('POST', '/admin/providers', { name: 'list-b', type: 'anthropic' });
    for (const [name, provider] of [
      ['la-1', a],
      ['la-2', a],
      ['la-3', a],
      ['lb-1', b],
    ] as const) {
      expect((await call('POST', '/admin/models', { name, provider_id: provider.body.id })).status).toBe(201);
    }
    const page = await adminRequest(api, 'GET', `/admin/models?provider_id=${a.body.id}&limit=2&offset=1`, {
      token: t.viewer,
    });
    expect(page.status).toBe(200);
    expect(page.body.total).toBe(3);
    expect(page.body.data.map((m: { name: string }) => m.name)).toEqual(['la-2', 'la-3']);
    const all = await call('GET', '/admin/models?limit=500');
    expect(all.body.total).toBe(all.body.data.length);
    expect((await call('GET', '/admin/models?provider_id=nope')).status).toBe(400);
    expect((await call('GET', '/admin/models?limit=0')).status).toBe(400);
    expect((await call('GET', '/admin/models?limit=501')).status).toBe(400);
    expect((await call('GET', '/admin/models?offset=-1')).status).toBe(400);
    expect((await call('GET', '/admin/models?color=red')).status).toBe(400);
    const providers = await call('GET', '/admin/providers?limit=1&offset=1');
    expect(providers.body.data).toHaveLength(1);
    expect(providers.body.total).toBeGreaterThanOrEqual(3);
  });

  it('answers 400 for malformed ids and bodies that are not objects, 404 for unknown ids', async () => {
    for (const path of ['/admin/providers/123', '/admin/models/x', '/admin/aliases/1%20or%201=1']) {
      const res = await call('GET', path);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect((await call('POST', '/admin/providers', [])).status).toBe(400);
    expect((await call('GET', '/admin/aliases/01900000-0000-7000-8000-000000000000')).status).toBe(404);
    const res = await fetch(`${api.url}/admin/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.editor}`, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });
});
