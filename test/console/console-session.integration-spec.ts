import { AdminUserManagementService } from '#src/modules/auth/admin-user-management.service';
import { adminRequest, createAdminUser, login } from '#test/factories/admin-fixtures';
import { createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, startWorker, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

const CONSOLE = { 'x-requested-with': 'llmgw-console' };
const PASSWORD = 'console-pw-7f3a9c2e51';

/** SPEC §15: the console's sign-in, its HttpOnly session cookie, and the admin API behind it. */
describe('console: sessions (backend for frontend)', () => {
  let api: TestApp;
  let fake: FakeOpenAi;

  beforeAll(async () => {
    await resetState();
    fake = await new FakeOpenAi().start();
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
    await fake.stop();
  });

  let seq = 0;
  const user = (roles: ('admin' | 'editor' | 'viewer')[] = ['admin']) =>
    createAdminUser(api, { email: `console-${++seq}@example.com`, password: PASSWORD, roles });

  const signIn = (email: string, password = PASSWORD, headers: Record<string, string> = CONSOLE) =>
    fetch(`${api.url}/ui/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email, password }),
    });

  /** The `name=value` part of the session cookie a sign-in set. */
  const cookieOf = (res: Response): string => res.headers.get('set-cookie')!.split(';')[0];

  const withCookie = (cookie: string, path: string, init: RequestInit = {}, headers = CONSOLE) =>
    fetch(`${api.url}${path}`, { ...init, headers: { cookie, ...headers, ...(init.headers ?? {}) } });

  it('signs in with email and password and sets an HttpOnly, SameSite=Strict, Secure cookie; no token in the body', async () => {
    const u = await user(['editor']);
    const res = await signIn(u.email);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ user: { id: u.id, email: u.email, roles: ['editor'] } });
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^llmgw_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie.split('; ').slice(1).sort()).toEqual(
      ['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Strict', 'Secure'].sort(),
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const session = await withCookie(cookieOf(res), '/ui/session');
    expect(await session.json()).toEqual(body);
  });

  it('lets the admin API use the cookie only with x-requested-with: llmgw-console, and with the role it carries', async () => {
    const cookie = cookieOf(await signIn((await user(['viewer'])).email));
    const listed = await withCookie(cookie, '/admin/providers');
    expect(listed.status).toBe(200);
    // a cross-site request (a form, an <img>) cannot set the header: refused though the cookie came along
    const bare = await withCookie(cookie, '/admin/providers', {}, {} as typeof CONSOLE);
    expect(bare.status).toBe(403);
    expect(await bare.json()).toMatchObject({ code: 'console_header_required' });
    // a viewer stays a viewer
    const create = await withCookie(cookie, '/admin/providers', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', type: 'openai', base_url: fake.url, credentials: { api_key: 'k' } }),
    });
    expect(create.status).toBe(403);
    // a bearer JWT still works as before, and without a cookie the header changes nothing
    const admin = await user(['admin']);
    const jwt = await login(api, admin.email, PASSWORD);
    expect((await adminRequest(api, 'GET', '/admin/providers', { token: jwt })).status).toBe(200);
    expect((await adminRequest(api, 'GET', '/admin/providers', { headers: CONSOLE })).status).toBe(401);
  });

  it('refuses sign-in and sign-out without the console header, and a forged or unknown cookie', async () => {
    const u = await user();
    expect((await signIn(u.email, PASSWORD, {})).status).toBe(403);
    const cookie = cookieOf(await signIn(u.email));
    expect((await withCookie(cookie, '/ui/session', { method: 'DELETE' }, {} as typeof CONSOLE)).status).toBe(403);
    expect(await (await withCookie(cookie, '/ui/session')).json()).toMatchObject({ user: { id: u.id } });
    const forged = await withCookie('llmgw_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/admin/providers');
    expect(forged.status).toBe(401);
    expect((await withCookie('llmgw_session=../../etc', '/admin/providers')).status).toBe(401);
    const nobody = await withCookie('llmgw_session=x', '/ui/session');
    expect(nobody.status).toBe(200);
    expect(await nobody.json()).toEqual({ user: null });
  });

  it('ends the session on sign-out, on disabling the admin and on a password change', async () => {
    const a = await user();
    const first = cookieOf(await signIn(a.email));
    const out = await withCookie(first, '/ui/session', { method: 'DELETE' });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^llmgw_session=; Max-Age=0;/);
    expect((await withCookie(first, '/admin/providers')).status).toBe(401);

    const b = await user();
    const second = cookieOf(await signIn(b.email));
    expect((await withCookie(second, '/admin/providers')).status).toBe(200);
    await api.get(AdminUserManagementService).update(b.id, { enabled: false });
    expect((await withCookie(second, '/admin/providers')).status).toBe(401);
    await api.get(AdminUserManagementService).update(b.id, { enabled: true });
    // re-enabling does not bring the old session back
    expect((await withCookie(second, '/admin/providers')).status).toBe(401);

    const c = await user();
    const third = cookieOf(await signIn(c.email));
    await api.get(AdminUserManagementService).update(c.id, { password: 'a-new-password-4410' });
    expect(await (await withCookie(third, '/ui/session')).json()).toEqual({ user: null });
    expect((await withCookie(third, '/admin/providers')).status).toBe(401);
  });

  it('throttles sign-in exactly like login: failures at either count for both', async () => {
    const u = await user();
    const address = { ...CONSOLE, 'x-forwarded-for': '203.0.113.77' };
    for (let i = 0; i < 3; i++) expect((await signIn(u.email, 'wrong', address)).status).toBe(401);
    for (let i = 0; i < 2; i++) {
      const res = await adminRequest(api, 'POST', '/admin/auth/login', {
        body: { email: u.email, password: 'wrong' },
        headers: { 'x-forwarded-for': '203.0.113.77' },
      });
      expect(res.status).toBe(401);
    }
    const locked = await signIn(u.email, PASSWORD, address);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('tests a provider connection: latency on success, the provider’s mapped error on failure, 404 unknown', async () => {
    const editor = cookieOf(await signIn((await user(['editor'])).email));
    const provider = await createProvider(api, { baseUrl: fake.url });
    const post = (id: string, body: unknown = {}) =>
      withCookie(editor, `/admin/providers/${id}/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const none = (await (await post(provider.id)).json()) as Record<string, unknown>;
    expect(none).toMatchObject({ ok: false, error: { code: 'no_model' } });

    await createModel(api, { providerId: provider.id, name: 'tested-model' });
    fake.reset({ reply: 'pong' });
    const ok = (await (await post(provider.id)).json()) as Record<string, unknown>;
    expect(ok).toMatchObject({ ok: true, model: 'tested-model' });
    expect(typeof ok.latency_ms).toBe('number');
    expect(fake.requests[0].body).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      messages: [{ role: 'user', content: 'ping' }],
    });

    fake.reset({
      error: { status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } },
    });
    const refused = (await (await post(provider.id, { model: 'tested-model' })).json()) as Record<string, unknown>;
    expect(refused).toMatchObject({
      ok: false,
      model: 'tested-model',
      error: { status: 502, code: 'upstream_auth_error' },
    });

    expect((await post('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    // a viewer may not make calls on the gateway's account
    const viewer = cookieOf(await signIn((await user(['viewer'])).email));
    const asViewer = await withCookie(viewer, `/admin/providers/${provider.id}/test`, { method: 'POST' });
    expect(asViewer.status).toBe(403);
  });

  it('offers password sign-in only while OIDC is not configured; the SSO routes then say so', async () => {
    const methods = await fetch(`${api.url}/ui/auth/methods`);
    expect(await methods.json()).toEqual({ password: true, sso: false });
    const login = await fetch(`${api.url}/ui/auth/oidc/login`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/ui/?sso_error=sso_not_configured');
    const exchange = await adminRequest(api, 'POST', '/admin/auth/oidc', { body: { id_token: 'x.y.z' } });
    expect(exchange.status).toBe(404);
    expect(exchange.body).toMatchObject({ code: 'sso_not_configured' });
  });

  it('is served by the API process only: a worker has neither the console nor its sessions', async () => {
    const worker = await startWorker();
    try {
      expect((await fetch(`${worker.url}/ui/`)).status).toBe(404);
      expect((await fetch(`${worker.url}/ui/session`)).status).toBe(404);
    } finally {
      await worker.close();
    }
  });
});
