import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { ProviderManagementService } from '#src/modules/providers/provider-management.service';
import { ProviderRepository } from '#src/modules/providers/provider.repository';
import { adminRequest, type Json, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { CANARY_PROVIDER_KEY, createKey, createModel } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

/** A second upstream standing for a host an editor controls: it must never see the stored key. */
const attacker = new FakeOpenAi();
const upstream = new FakeOpenAi();

describe('provider endpoints: stored secrets and the pod identity stay where they were given', () => {
  let api: TestApp;
  let t: RoleTokens;
  const asEditor = (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> =>
    adminRequest(api, method, path, { token: t.editor, body });

  beforeAll(async () => {
    await Promise.all([attacker.start(), upstream.start()]);
    await resetState();
    api = await startApi();
    t = await loginEveryRole(api);
  });
  afterAll(async () => {
    await api.close();
    await Promise.all([attacker.stop(), upstream.stop()]);
  });

  it('refuses a PATCH of base_url or type without new credentials (400 credentials_required) and changes nothing', async () => {
    const created = await asEditor('POST', '/admin/providers', {
      name: 'openai-main',
      type: 'openai',
      base_url: upstream.url,
      credentials: { api_key: CANARY_PROVIDER_KEY },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    for (const patch of [
      { base_url: attacker.url },
      { type: 'anthropic' },
      { base_url: attacker.url, enabled: true },
    ]) {
      const res = await asEditor('PATCH', `/admin/providers/${id}`, patch);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'credentials_required' });
    }
    const after = await asEditor('GET', `/admin/providers/${id}`);
    expect(after.body).toMatchObject({ base_url: upstream.url, type: 'openai', credentials_set: ['api_key'] });
    expect(after.body.updated_at).toBe(created.body.updated_at);

    // calls still go to the original upstream with the stored key; the other host saw nothing
    const model = await createModel(api, { providerId: id, name: 'gpt-main', providerModelId: 'gpt-4o-mini' });
    const { key } = await createKey(api);
    const client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: model.name, messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${CANARY_PROVIDER_KEY}`);
    expect(attacker.requests).toHaveLength(0);

    // the same change with new credentials (or an unchanged base_url without them) is fine
    const moved = await asEditor('PATCH', `/admin/providers/${id}`, {
      base_url: attacker.url,
      credentials: { api_key: 'sk-new-for-the-new-host' },
    });
    expect(moved.status).toBe(200);
    expect((await asEditor('PATCH', `/admin/providers/${id}`, { base_url: attacker.url, enabled: true })).status).toBe(
      200,
    );
  });

  it.each([
    ['vertex-ai', { project_id: 'p' }],
    ['bedrock', { region: 'us-east-1' }],
  ])(
    'refuses a %s provider with a custom base_url and no stored credentials (ambient cloud identity)',
    async (type, config) => {
      const res = await asEditor('POST', '/admin/providers', {
        name: `${type}-ambient`,
        type,
        base_url: attacker.url,
        config,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'ambient_credentials_refused' });
      expect(String(res.body.message)).toMatch(/never sent to a custom endpoint/);
    },
  );

  it.each([
    'http://169.254.169.254/v1',
    'http://metadata.google.internal/computeMetadata/v1',
    'http://[fd00:ec2::254]/v1',
    'http://[::ffff:169.254.169.254]/v1',
  ])('refuses link-local and metadata base_url %s even where private addresses are allowed', async (url) => {
    const res = await asEditor('POST', '/admin/providers', {
      name: `meta-${randomBytes(3).toString('hex')}`,
      type: 'openai',
      base_url: url,
      credentials: { api_key: 'sk-x' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'base_url_refused' });
  });

  it('never uses Vertex default credentials for a row with a custom base_url (written before the check)', async () => {
    const row = await api.get(ProviderRepository).create({
      name: 'legacy-vertex-ambient',
      type: 'vertex-ai',
      baseUrl: attacker.url,
      config: { project_id: 'p' },
    });
    await api.get(CacheInvalidationService).invalidate('providers');
    const model = await createModel(api, { providerId: row.id, name: 'legacy-vertex-model' });
    const { key } = await createKey(api);
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: model.name, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_auth_error');
    expect(attacker.requests).toHaveLength(0);
    // refused by the adapter, not by a failed attempt at the pod's own credentials
    expect(api.logs.text()).toContain('default credentials are never used with a custom base_url');
  });

  it('refuses a metadata address at call time too (a row written before the check)', async () => {
    const row = await api.get(ProviderRepository).create({
      name: 'legacy-metadata',
      type: 'openai',
      baseUrl: 'http://169.254.169.254/v1',
    });
    await api.get(CacheInvalidationService).invalidate('providers');
    const model = await createModel(api, { providerId: row.id, name: 'legacy-metadata-model' });
    const { key } = await createKey(api);
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: model.name, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('upstream_error');
    expect(body.error.message).toMatch(/address the gateway does not call/);
  });
});

describe('provider endpoints in production (PROVIDER_ALLOW_PRIVATE_URLS defaults to false)', () => {
  let prod: TestApp;
  let permissive: TestApp;
  const fake = new FakeOpenAi();
  const production = { NODE_ENV: 'production', JWT_SECRET: randomBytes(48).toString('base64') };

  beforeAll(async () => {
    await fake.start();
    await resetState();
    prod = await startApi(production);
    permissive = await startApi({ ...production, PROVIDER_ALLOW_PRIVATE_URLS: 'true' });
  });
  afterAll(async () => {
    await Promise.all([prod.close(), permissive.close()]);
    await fake.stop();
  });

  const provider = (name: string, baseUrl: string) => ({
    name,
    type: 'openai' as const,
    baseUrl,
    credentials: { api_key: CANARY_PROVIDER_KEY },
  });

  it('refuses 127.0.0.1 as base_url by default, and allows it with PROVIDER_ALLOW_PRIVATE_URLS=true', async () => {
    await expect(prod.get(ProviderManagementService).create(provider('loopback', fake.url))).rejects.toMatchObject({
      status: 400,
      code: 'base_url_refused',
      message: expect.stringMatching(/PROVIDER_ALLOW_PRIVATE_URLS=true/),
    });
    await expect(
      permissive.get(ProviderManagementService).create(provider('loopback-allowed', fake.url)),
    ).resolves.toMatchObject({ baseUrl: fake.url });
  });

  it('refuses at connect time a host name that resolves to a loopback address, without reaching it', async () => {
    // a name passes the write-time check: only its resolved address tells
    const byName = fake.url.replace('127.0.0.1', 'localhost');
    const created = await prod.get(ProviderManagementService).create(provider('by-name', byName));
    const model = await createModel(prod, { providerId: created.id, name: 'by-name-model' });
    const { key } = await createKey(prod);
    const res = await fetch(`${prod.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: model.name, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /address the gateway does not call/,
    );
    expect(fake.requests).toHaveLength(0);
    expect(prod.logs.text()).toMatch(/localhost resolves to a loopback or private address/);
  });
});
