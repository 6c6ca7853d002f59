import { Client } from 'pg';
import { adminRequest, type Json, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';
import { baseTestEnv } from '#test/utils/test-env';

/** Distinct canaries: the secret must never come back in an answer, an audit row, the log or a plaintext column. */
const SECRET = 'canary-webhook-secret-3e8a1f60c2';
const NEW_SECRET = 'canary-webhook-secret2-b71d094e55';
/** TEST-NET-3: public as far as the address rule is concerned, and a literal (no DNS in the test). */
const PUBLIC_URL = 'https://203.0.113.10/hooks/gateway';

interface AuditRow {
  action: string;
  resource_id: string | null;
  fields: string[];
}

describe('admin API /admin/webhooks (SPEC §13)', () => {
  let api: TestApp;
  let t: RoleTokens;
  const answers: string[] = [];
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: Json }> => {
    const res = await adminRequest(api, method, path, { token: token ?? t.admin, body });
    answers.push(JSON.stringify(res.body ?? ''));
    return res;
  };

  beforeAll(async () => {
    await resetState();
    api = await startApi({ LOG_LEVEL: 'trace', KEY_EXPIRY_SCAN_INTERVAL: '0' });
    t = await loginEveryRole(api);
  });
  afterAll(() => api.close());

  it('creates, reads, lists, changes and deletes a webhook, answering secret_set and never the secret', async () => {
    const created = await call('POST', '/admin/webhooks', {
      url: PUBLIC_URL,
      secret: SECRET,
      events: ['budget.threshold', 'budget.exceeded'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      url: PUBLIC_URL,
      secret_set: true,
      events: ['budget.threshold', 'budget.exceeded'],
      format: 'json',
      enabled: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id = created.body.id as string;

    expect((await call('GET', `/admin/webhooks/${id}`)).body).toEqual(created.body);
    const list = await call('GET', '/admin/webhooks?limit=10&offset=0');
    expect(list.body).toEqual({ data: [created.body], total: 1 });

    const changed = await call('PATCH', `/admin/webhooks/${id}`, {
      events: ['key.expiring', 'routing.cooldown'],
      format: 'slack',
      enabled: false,
      secret: NEW_SECRET,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      events: ['key.expiring', 'routing.cooldown'],
      format: 'slack',
      enabled: false,
      secret_set: true,
    });
    const cleared = await call('PATCH', `/admin/webhooks/${id}`, { secret: null });
    expect(cleared.body.secret_set).toBe(false);

    expect((await call('DELETE', `/admin/webhooks/${id}`)).status).toBe(204);
    expect((await call('GET', `/admin/webhooks/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/admin/webhooks/${id}`)).status).toBe(404);
  });

  it('stores the secret encrypted: no plaintext in the webhooks table', async () => {
    const created = await call('POST', '/admin/webhooks', {
      url: PUBLIC_URL,
      secret: SECRET,
      events: ['key.expiring'],
    });
    const db = new Client({ connectionString: baseTestEnv().DATABASE_URL });
    await db.connect();
    try {
      const rows = await db.query('SELECT * FROM webhooks WHERE id = $1', [created.body.id]);
      expect(rows.rows).toHaveLength(1);
      expect(JSON.stringify(rows.rows)).not.toContain(SECRET);
      expect(rows.rows[0].secret_ciphertext).toMatch(/^v2:/);
    } finally {
      await db.end();
    }
  });

  it.each([
    [{ url: 'ftp://203.0.113.10/x', events: ['key.expiring'] }, /url must use http or https/],
    [{ url: 'not a url', events: ['key.expiring'] }, /absolute http\(s\) URL/],
    [{ url: 'https://u:p@203.0.113.10/x', events: ['key.expiring'] }, /credentials/],
    [{ url: PUBLIC_URL, events: ['budget.nope'] }, /events must be one of/],
    [{ url: PUBLIC_URL, events: [] }, /events must contain at least 1/],
    [{ url: PUBLIC_URL }, /events/],
    [{ url: PUBLIC_URL, events: ['key.expiring'], format: 'xml' }, /format must be one of json, slack/],
    [{ url: PUBLIC_URL, events: ['key.expiring'], secret: 'short' }, /secret must be longer/],
    [{ url: PUBLIC_URL, events: ['key.expiring'], extra: 1 }, /property extra should not exist/],
  ])('refuses an invalid webhook with 400 naming the field: %j', async (body, message) => {
    const res = await call('POST', '/admin/webhooks', body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(message);
  });

  it.each([
    ['http://127.0.0.1:8080/hook', /loopback or private.*CATALOG_ALLOW_PRIVATE_URLS/],
    ['http://10.1.2.3/hook', /loopback or private/],
    ['http://[::1]:9/hook', /loopback or private/],
    ['http://localhost:9/hook', /loopback or private/],
    ['http://169.254.169.254/latest/meta-data', /link-local or metadata/],
    ['http://metadata.google.internal/x', /link-local or metadata/],
  ])('refuses a private or metadata URL like catalog URLs do: %s', async (url, message) => {
    const created = await call('POST', '/admin/webhooks', { url, events: ['key.expiring'] });
    expect(created.status).toBe(400);
    expect(created.body.message).toMatch(message);
    const existing = await call('POST', '/admin/webhooks', { url: PUBLIC_URL, events: ['key.expiring'] });
    const patched = await call('PATCH', `/admin/webhooks/${existing.body.id}`, { url });
    expect(patched.status).toBe(400);
  });

  it('is for the admin role only: viewer and editor get 403 on every webhook route', async () => {
    const existing = await call('POST', '/admin/webhooks', { url: PUBLIC_URL, events: ['key.expiring'] });
    const id = existing.body.id as string;
    const routes: [string, string, unknown?][] = [
      ['GET', '/admin/webhooks'],
      ['POST', '/admin/webhooks', { url: PUBLIC_URL, events: ['key.expiring'] }],
      ['GET', `/admin/webhooks/${id}`],
      ['PATCH', `/admin/webhooks/${id}`, { enabled: false }],
      ['DELETE', `/admin/webhooks/${id}`],
      ['GET', `/admin/webhooks/${id}/deliveries`],
      ['POST', `/admin/webhooks/${id}/deliveries/${id}/resend`],
    ];
    for (const token of [t.viewer, t.editor])
      for (const [method, path, body] of routes)
        expect({ method, path, status: (await call(method, path, body, token)).status }).toEqual({
          method,
          path,
          status: 403,
        });
    expect((await call('GET', `/admin/webhooks/${id}`)).status).toBe(200);
  });

  it('records changes in the admin audit log (field names only) and never the secret anywhere', async () => {
    const created = await call('POST', '/admin/webhooks', {
      url: PUBLIC_URL,
      secret: SECRET,
      events: ['key.expiring'],
    });
    await call('PATCH', `/admin/webhooks/${created.body.id}`, { secret: NEW_SECRET });
    await call('DELETE', `/admin/webhooks/${created.body.id}`);
    const audit = await call('GET', '/admin/audit?resource=webhook&limit=100');
    const rows = (audit.body.data as AuditRow[]).filter((r) => r.resource_id === created.body.id);
    expect(rows.map((r) => [r.action, r.fields])).toEqual(
      expect.arrayContaining([
        ['create', ['events', 'secret', 'url']],
        ['update', ['secret']],
        ['delete', []],
      ]),
    );
    const everything = [...answers, api.logs.text()].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(NEW_SECRET);
  });
});
