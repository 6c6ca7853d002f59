import { adminRequest, loginEveryRole, login, type RoleTokens, type Json } from '#test/factories/admin-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

describe('admin users and service tokens', () => {
  let api: TestApp;
  let t: RoleTokens;
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> =>
    adminRequest(api, method, path, { token: t.admin, body });

  beforeAll(async () => {
    await resetState();
    api = await startApi();
    t = await loginEveryRole(api);
  });
  afterAll(() => api.close());

  it('creates, reads, lists, changes and deletes a user, never answering its password', async () => {
    const created = await call('POST', '/admin/users', {
      email: 'New.User@Example.com',
      password: 'first-password-1',
      display_name: 'New User',
      roles: ['viewer'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      email: 'new.user@example.com',
      display_name: 'New User',
      roles: ['viewer'],
      enabled: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id: string = created.body.id;
    expect((await call('GET', `/admin/users/${id}`)).body).toEqual(created.body);

    const patched = await call('PATCH', `/admin/users/${id}`, {
      display_name: null,
      roles: ['editor'],
      password: 'second-password-2',
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ display_name: null, roles: ['editor'], email: 'new.user@example.com' });
    expect(await login(api, 'new.user@example.com', 'second-password-2')).toEqual(expect.any(String));
    const oldPassword = await adminRequest(api, 'POST', '/admin/auth/login', {
      body: { email: 'new.user@example.com', password: 'first-password-1' },
    });
    expect(oldPassword.status).toBe(401);

    const list = await call('GET', '/admin/users?limit=2&offset=0');
    expect(list.body.total).toBe(4);
    expect(list.body.data).toHaveLength(2);
    expect(
      (await call('GET', '/admin/users?limit=2&offset=2')).body.data.map((u: { email: string }) => u.email),
    ).toEqual(['editor@example.com', 'new.user@example.com']);

    expect((await call('DELETE', `/admin/users/${id}`)).status).toBe(204);
    expect((await call('GET', `/admin/users/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/admin/users/${id}`)).status).toBe(404);
  });

  it('refuses a duplicate email (409), bad roles, short passwords, unknown fields and null for required fields (400)', async () => {
    const dup = await call('POST', '/admin/users', { email: 'ROOT@example.com', password: 'long-enough-1', roles: [] });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      statusCode: 409,
      message: expect.stringContaining('root@example.com'),
      error: 'Conflict',
    });

    const bad = await call('POST', '/admin/users', {
      email: 'not-an-email',
      password: 'short',
      roles: ['superuser'],
      is_admin: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining([
        'property is_admin should not exist',
        'email must be an email',
        'password must be longer than or equal to 8 characters',
        'each value in roles must be one of the following values: viewer, editor, admin',
      ]),
    );
    const nulls = await call('PATCH', `/admin/users/${t.adminId}`, { enabled: null, email: null });
    expect(nulls.status).toBe(400);
    expect(nulls.body.message).toEqual(
      expect.arrayContaining(['enabled must be a boolean value', 'email must be an email']),
    );
    expect((await call('GET', '/admin/users/not-a-uuid')).status).toBe(400);
  });

  it('never disables, downgrades or deletes the last enabled admin (409), but allows it once another exists', async () => {
    for (const [method, body] of [
      ['PATCH', { enabled: false }],
      ['PATCH', { roles: ['editor'] }],
      ['PATCH', { roles: [] }],
      ['DELETE', undefined],
    ] as const) {
      const res = await call(method, `/admin/users/${t.adminId}`, body);
      expect(res.status).toBe(409);
      expect(res.body.message).toContain('last enabled admin');
    }
    // a disabled admin does not count
    const disabled = await call('POST', '/admin/users', {
      email: 'sleeping@example.com',
      password: 'long-enough-1',
      roles: ['admin'],
      enabled: false,
    });
    expect((await call('PATCH', `/admin/users/${t.adminId}`, { roles: ['editor'] })).status).toBe(409);

    expect((await call('PATCH', `/admin/users/${disabled.body.id}`, { enabled: true })).status).toBe(200);
    expect((await call('PATCH', `/admin/users/${disabled.body.id}`, { roles: ['viewer', 'admin'] })).status).toBe(200);
    expect((await call('PATCH', `/admin/users/${t.adminId}`, { roles: ['admin', 'editor'] })).status).toBe(200);
    expect((await call('DELETE', `/admin/users/${disabled.body.id}`)).status).toBe(204);
    expect((await call('PATCH', `/admin/users/${t.adminId}`, { enabled: false })).status).toBe(409);
  });

  it('shows a service token once, on create, and manages it like any resource', async () => {
    const created = await call('POST', '/admin/tokens', {
      service_name: 'ci-runner',
      roles: ['viewer'],
      expires_at: '2099-01-01T00:00:00Z',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      service_name: 'ci-runner',
      roles: ['viewer'],
      enabled: true,
      expires_at: '2099-01-01T00:00:00.000Z',
      token: expect.stringMatching(/^gwst_[A-Za-z0-9_-]{43}$/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id: string = created.body.id;
    const fetched = await call('GET', `/admin/tokens/${id}`);
    expect(fetched.body).not.toHaveProperty('token');
    expect(JSON.stringify((await call('GET', '/admin/tokens')).body)).not.toContain(created.body.token);

    expect((await call('POST', '/admin/tokens', { service_name: 'ci-runner', roles: [] })).status).toBe(409);
    expect((await call('POST', '/admin/tokens', { service_name: 'has space', roles: [] })).status).toBe(400);
    expect((await call('PATCH', `/admin/tokens/${id}`, { expires_at: 'tomorrow' })).status).toBe(400);
    const patched = await call('PATCH', `/admin/tokens/${id}`, { service_name: 'ci', expires_at: null });
    expect(patched.body).toMatchObject({ service_name: 'ci', expires_at: null, roles: ['viewer'] });
    expect((await call('DELETE', `/admin/tokens/${id}`)).status).toBe(204);
    expect((await call('GET', `/admin/tokens/${id}`)).status).toBe(404);
  });

  it('records every change in the audit log with field names only, newest first, for admins', async () => {
    const res = await call('GET', '/admin/audit?resource=service_token&limit=100');
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { action: string }) => e.action)).toEqual(['delete', 'update', 'create']);
    expect(res.body.data[1]).toMatchObject({
      admin_id: t.adminId,
      admin_type: 'user',
      admin_name: 'root@example.com',
      resource: 'service_token',
      fields: ['expires_at', 'service_name'],
    });
    const users = await call('GET', `/admin/audit?resource=admin_user&admin_id=${t.adminId}&limit=1`);
    expect(users.body.data).toHaveLength(1);
    expect(users.body.total).toBeGreaterThan(5);
    expect((await adminRequest(api, 'GET', '/admin/audit', { token: t.editor })).status).toBe(403);
  });
});
