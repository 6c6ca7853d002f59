import OpenAI from 'openai';
import { bootstrapAdmin } from '#src/app.factory';
import { adminRequest, type Json } from '#test/factories/admin-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

const ADMIN_EMAIL = 'ops@example.com';
const ADMIN_PASSWORD = 'canary-walkthrough-pw-6d2a';
const UPSTREAM_KEY = 'sk-canary-walkthrough-upstream-91f3';

/** docs/admin-api.md's walkthrough, as a user would run it: an empty database, then only HTTP. */
describe('walkthrough: from an empty database to a proxied call, through the admin API only', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi({ BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD });
    // what `npm start` does before listening
    await bootstrapAdmin(api.app, api.logger, () => undefined);
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });

  it('logs in as the bootstrapped admin, creates provider, priced model, alias and key, and calls the proxy', async () => {
    const login = await adminRequest(api, 'POST', '/admin/auth/login', {
      body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    expect(login.status).toBe(200);
    const token: string = login.body.access_token;
    const post = async (path: string, body: unknown): Promise<Json> => {
      const res = await adminRequest(api, 'POST', path, { token, body });
      expect({ path, status: res.status }).toEqual({ path, status: 201 });
      return res.body;
    };

    const provider = await post('/admin/providers', {
      name: 'openai',
      type: 'openai',
      base_url: upstream.url,
      credentials: { api_key: UPSTREAM_KEY },
    });
    const model = await post('/admin/models', {
      name: 'gpt-4o-mini',
      provider_id: provider.id,
      provider_model_id: 'gpt-4o-mini-2024-07-18',
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '0.15' },
        { direction: 'output', unit: '1m_tokens', price: 0.6 },
      ],
    });
    const alias = await post('/admin/aliases', { name: 'fast', model_id: model.id, config: { temperature: 0.1 } });
    const key = await post('/admin/api-keys', { name: 'my-app', allowed_models: [alias.name], monthly_budget: '10' });

    const client = new OpenAI({ apiKey: key.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'Hello' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Hello there!');
    expect(response.headers.get('x-gateway-cost-usd')).toBe('0.0000048');
    expect(upstream.requests[0].headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(upstream.requests[0].body).toMatchObject({ model: 'gpt-4o-mini-2024-07-18', temperature: 0.1 });
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['fast']);

    const audit = await adminRequest(api, 'GET', '/admin/audit', { token });
    expect(
      audit.body.data.map((e: { action: string; resource: string }) => `${e.action} ${e.resource}`).reverse(),
    ).toEqual(['create provider', 'create model', 'create alias', 'create api_key']);
    expect(api.logs.text()).not.toContain(ADMIN_PASSWORD);
    expect(api.logs.text()).not.toContain(UPSTREAM_KEY);
  });
});
