import { DataSource } from 'typeorm';
import {
  adminRequest,
  CANARY_ADMIN_PASSWORD,
  CANARY_EDITOR_PASSWORD,
  CANARY_VIEWER_PASSWORD,
  loginEveryRole,
  type RoleTokens,
  type Json,
} from '#test/factories/admin-fixtures';
import { nestRoutes } from '#test/admin/route-discovery';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';
import { TEST_JWT_SECRET } from '#test/utils/test-env';

/** Distinct strings per kind of secret, so a leak says which one leaked. */
const CANARY = {
  userPassword: 'canary-user-pw-0c61e2f4ab',
  changedPassword: 'canary-user-pw2-73d9a1be05',
  wrongPassword: 'canary-wrong-pw-5f0e9c3d21',
  providerKey: 'sk-canary-admin-provider-2b8e4f',
  bedrockSecret: 'canary-bedrock-secret-9a1c0d7e',
  replacedKey: 'sk-canary-replaced-provider-44e1',
  webhookSecret: 'canary-webhook-secret-6d2b90e1f7',
};

describe('admin API secrets: never answered, logged or audited', () => {
  let api: TestApp;
  let t: RoleTokens;
  const shown: string[] = [];
  const ids: Record<string, string> = {};
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> =>
    adminRequest(api, method, path, { token: t.admin, body });

  beforeAll(async () => {
    await resetState();
    api = await startApi({ LOG_LEVEL: 'trace' });
    t = await loginEveryRole(api);

    const user = await call('POST', '/admin/users', {
      email: 'u@example.com',
      password: CANARY.userPassword,
      roles: ['viewer'],
    });
    ids.users = user.body.id;
    await call('PATCH', `/admin/users/${ids.users}`, { password: CANARY.changedPassword });
    await adminRequest(api, 'POST', '/admin/auth/login', {
      body: { email: 'u@example.com', password: CANARY.wrongPassword },
    });
    await adminRequest(api, 'POST', '/admin/auth/login', {
      body: { email: 'x@example.com', password: CANARY.wrongPassword },
    });

    const token = await call('POST', '/admin/tokens', { service_name: 'bot', roles: ['viewer'] });
    ids.tokens = token.body.id;
    shown.push(token.body.token);
    const exchanged = await adminRequest(api, 'POST', '/admin/auth/token', {
      body: { service_name: 'bot', token: token.body.token },
    });
    expect(exchanged.status).toBe(200);

    const provider = await call('POST', '/admin/providers', {
      name: 'p',
      type: 'openai',
      base_url: 'http://127.0.0.1:9/v1',
      credentials: { api_key: CANARY.providerKey },
    });
    ids.providers = provider.body.id;
    const bedrock = await call('POST', '/admin/providers', {
      name: 'b',
      type: 'bedrock',
      credentials: { access_key_id: 'AKIAEXAMPLE', secret_access_key: CANARY.bedrockSecret },
    });
    await call('PATCH', `/admin/providers/${ids.providers}`, { credentials: { api_key: CANARY.replacedKey } });
    // a refused change must not echo the secret in its error either
    const refused = await call('PATCH', `/admin/providers/${bedrock.body.id}`, {
      credentials: { api_key: CANARY.providerKey },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).not.toContain(CANARY.providerKey);

    ids.models = (await call('POST', '/admin/models', { name: 'm', provider_id: ids.providers })).body.id;
    ids.aliases = (await call('POST', '/admin/aliases', { name: 'a', model_id: ids.models })).body.id;
    ids.teams = (await call('POST', '/admin/teams', { name: 't' })).body.id;
    const hook = await call('POST', '/admin/webhooks', {
      url: 'https://hooks.example.com/gateway',
      secret: CANARY.webhookSecret,
      events: ['budget.exceeded'],
    });
    expect(hook.status).toBe(201);
    ids.webhooks = hook.body.id;
    const key = await call('POST', '/admin/api-keys', { name: 'k', team_id: ids.teams });
    ids['api-keys'] = key.body.id;
    shown.push(key.body.key);
    shown.push((await call('POST', `/admin/api-keys/${ids['api-keys']}/regenerate`)).body.key);
  });
  afterAll(() => api.close());

  const secrets = (): string[] => [
    ...Object.values(CANARY),
    CANARY_ADMIN_PASSWORD,
    CANARY_VIEWER_PASSWORD,
    CANARY_EDITOR_PASSWORD,
    TEST_JWT_SECRET,
    ...shown,
  ];
  const leaks = (text: string): string[] => secrets().filter((s) => text.includes(s));

  it('answers no secret on any GET route of the admin API', async () => {
    const gets = nestRoutes(api).filter((r) => r.method === 'GET' && r.path.startsWith('/admin/'));
    expect(gets.length).toBeGreaterThanOrEqual(13);
    for (const route of gets) {
      const resource = route.path.split('/')[2];
      const res = await call('GET', route.path.replace(':id', ids[resource] ?? 'missing'));
      expect({ route: route.path, status: res.status }).toEqual({ route: route.path, status: 200 });
      expect({ route: route.path, leaks: leaks(JSON.stringify(res.body)) }).toEqual({ route: route.path, leaks: [] });
    }
  });

  it('logs no secret', () => {
    expect(api.logs.lines.length).toBeGreaterThan(20);
    expect(leaks(api.logs.text())).toEqual([]);
  });

  it('keeps no secret in admin_audit_log, which still names the fields that changed', async () => {
    const rows: unknown[] = await api.get(DataSource).query('SELECT * FROM admin_audit_log');
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(leaks(JSON.stringify(rows))).toEqual([]);
    const fields = rows.map((r) => (r as { details: { fields: string[] } }).details.fields);
    expect(fields).toEqual(expect.arrayContaining([['password'], ['credentials']]));
  });

  it('stores no plaintext secret in the database (hashes and ciphertext only)', async () => {
    const ds = api.get(DataSource);
    const dump = JSON.stringify([
      await ds.query('SELECT * FROM admin_users'),
      await ds.query('SELECT * FROM admin_tokens'),
      await ds.query('SELECT * FROM providers'),
      await ds.query('SELECT * FROM api_keys'),
    ]);
    expect(leaks(dump)).toEqual([]);
  });
});
