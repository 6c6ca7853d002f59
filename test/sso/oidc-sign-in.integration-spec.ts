import { generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { AdminAuditLogRepository } from '#src/modules/admin/admin-audit-log.repository';
import { AdminUserManagementService } from '#src/modules/auth/admin-user-management.service';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { adminRequest, createAdminUser } from '#test/factories/admin-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import {
  AUTOMATION_REDIRECT_URI,
  freePort,
  IDP_CLIENT_ID,
  IDP_CLIENT_SECRET,
  RedirectWalker,
  TestIdp,
} from '#test/utils/oidc-idp';
import { resetState } from '#test/utils/reset';

const CONSOLE = { 'x-requested-with': 'llmgw-console' };
const CALLBACK_PATH = '/ui/auth/oidc/callback';

/**
 * SPEC §16 and issue 20: SSO through a real OpenID Connect provider (oidc-provider on loopback, in this
 * process), the whole redirect flow driven by a client that follows redirects and keeps cookies like a browser.
 */
describe('SSO: OIDC sign-in for the console and the admin API', () => {
  let api: TestApp;
  let idp: TestIdp;
  let seq = 0;
  /** A client address of its own per test, so the login throttle of one test does not reach the next. */
  const address = () => `198.51.100.${++seq}`;

  beforeAll(async () => {
    await resetState();
    const port = await freePort();
    idp = await new TestIdp().start([`http://127.0.0.1:${port}${CALLBACK_PATH}`]);
    api = await startApi({
      GATEWAY_HTTP_PORT: String(port),
      TRUST_PROXY: '1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: IDP_CLIENT_ID,
      OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET,
      OIDC_SCOPES: 'openid email profile groups',
      UI_PASSWORD_LOGIN: 'false',
    });
  });
  afterAll(async () => {
    await api.close();
    await idp.stop();
  });

  const account = (sub: string, groups: string[], extra: Record<string, unknown> = {}) => {
    idp.accounts.set(sub, {
      email: `${sub}@corp.example`,
      email_verified: true,
      name: `User ${sub}`,
      groups,
      ...extra,
    });
    idp.loginAs = sub;
  };

  /** Signs in through the console's SSO button in a fresh browser; returns where it landed and the browser. */
  async function consoleSignIn(walker = new RedirectWalker({ 'x-forwarded-for': address() })) {
    const landed = await walker.go(`${api.url}/ui/auth/oidc/login`);
    return { landed, walker, error: landed.url.searchParams.get('sso_error') };
  }

  const sessionCookie = (walker: RedirectWalker): string | undefined =>
    walker.cookies.get(new URL(api.url).host)?.get('llmgw_session');

  const consoleGet = (walker: RedirectWalker, path: string) =>
    adminRequest(api, 'GET', path, { headers: { ...CONSOLE, cookie: `llmgw_session=${sessionCookie(walker)}` } });

  /** The callback URL the IdP sends the browser back to, not yet followed. */
  async function callbackUrl(walker: RedirectWalker): Promise<URL> {
    const stopped = await walker.go(`${api.url}/ui/auth/oidc/login`, (u) => u.pathname === CALLBACK_PATH);
    expect(stopped.stopped).toBe(true);
    return stopped.url;
  }

  const auditOf = async (userId: string) =>
    (await api.get(AdminAuditLogRepository).list({ resource: 'admin_user' }, 100, 0))[0]
      .filter((row) => row.resourceId === userId)
      .map((row) => ({ type: row.adminType, action: row.action, fields: row.details.fields as string[] }));

  it('tells the sign-in page that SSO is on and the password form is off', async () => {
    const res = await adminRequest(api, 'GET', '/ui/auth/methods');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ password: false, sso: true });
  });

  it('sends the browser to the IdP with the authorization code flow, PKCE (S256), state and nonce', async () => {
    account('probe', ['gw-viewers']);
    const walker = new RedirectWalker({ 'x-forwarded-for': address() });
    const atIdp = await walker.go(`${api.url}/ui/auth/oidc/login`, (u) => u.host === new URL(idp.issuer).host);
    const params = atIdp.url.searchParams;
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe(IDP_CLIENT_ID);
    expect(params.get('redirect_uri')).toBe(`${api.url}${CALLBACK_PATH}`);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('scope')).toBe('openid email profile groups');
    // the browser binding: HttpOnly, Lax (the IdP's redirect back is cross-site), only on the SSO paths
    const res = await fetch(`${api.url}/ui/auth/oidc/login`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('set-cookie')).toMatch(
      /^llmgw_oidc=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/ui\/auth\/oidc; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it('creates the user at the first sign-in with the mapped role, opens a console session and audits it', async () => {
    account('alice', ['gw-editors', 'unrelated']);
    const { landed, walker, error } = await consoleSignIn();
    expect(error).toBeNull();
    expect(landed.url.href).toBe(`${api.url}/ui/`);
    const session = await consoleGet(walker, '/ui/session');
    expect(session.body.user).toMatchObject({ email: 'alice@corp.example', roles: ['editor'] });
    // the console session works on the admin API as a password sign-in's does
    expect((await consoleGet(walker, '/admin/providers')).status).toBe(200);
    expect((await consoleGet(walker, '/admin/users')).status).toBe(403);
    // the browser binding is gone once used
    expect(walker.cookies.get(new URL(api.url).host)?.has('llmgw_oidc')).toBe(false);
    const user = (await api.get(AdminUserRepository).findByEmail('alice@corp.example'))!;
    expect(user).toMatchObject({
      roles: ['editor'],
      displayName: 'User alice',
      passwordHash: null,
      oidcIssuer: idp.issuer,
      oidcSubject: 'alice',
      enabled: true,
    });
    expect(await auditOf(user.id)).toEqual([
      { type: 'sso', action: 'create', fields: ['display_name', 'email', 'roles'] },
    ]);
  });

  it('follows a role change at the IdP at the next sign-in, and audits the change', async () => {
    account('bob', ['gw-viewers']);
    const first = await consoleSignIn();
    expect((await consoleGet(first.walker, '/ui/session')).body.user.roles).toEqual(['viewer']);
    account('bob', ['gw-admins', 'gw-viewers']);
    const second = await consoleSignIn();
    expect(second.error).toBeNull();
    expect((await consoleGet(second.walker, '/ui/session')).body.user.roles).toEqual(['viewer', 'admin']);
    // the first session follows too: roles are read afresh on every request
    expect((await consoleGet(first.walker, '/admin/users')).status).toBe(200);
    const bob = (await api.get(AdminUserRepository).findByOidcSubject(idp.issuer, 'bob'))!;
    expect(await auditOf(bob.id)).toEqual([
      { type: 'sso', action: 'update', fields: ['roles'] },
      { type: 'sso', action: 'create', fields: ['display_name', 'email', 'roles'] },
    ]);
    // taken out of every mapped group: refused, and the sessions still open lose their access
    account('bob', ['unrelated']);
    expect((await consoleSignIn()).error).toBe('sso_no_role');
    expect((await consoleGet(first.walker, '/admin/providers')).status).toBe(403);
    expect((await api.get(AdminUserRepository).findById(bob.id))!.roles).toEqual([]);
  });

  it('refuses a first sign-in when no group maps to a role, and creates no user', async () => {
    account('carol', ['marketing']);
    const { landed, error, walker } = await consoleSignIn();
    expect(error).toBe('sso_no_role');
    expect(landed.url.pathname).toBe('/ui/');
    expect(sessionCookie(walker)).toBeUndefined();
    expect(await api.get(AdminUserRepository).findByEmail('carol@corp.example')).toBeNull();
  });

  it('refuses a disabled user', async () => {
    account('dave', ['gw-viewers']);
    expect((await consoleSignIn()).error).toBeNull();
    const dave = (await api.get(AdminUserRepository).findByOidcSubject(idp.issuer, 'dave'))!;
    await api.get(AdminUserManagementService).update(dave.id, { enabled: false });
    const again = await consoleSignIn();
    expect(again.error).toBe('sso_user_disabled');
    expect(sessionCookie(again.walker)).toBeUndefined();
  });

  it('refuses a tampered state', async () => {
    account('erin', ['gw-viewers']);
    const walker = new RedirectWalker({ 'x-forwarded-for': address() });
    const callback = await callbackUrl(walker);
    const state = callback.searchParams.get('state')!;
    callback.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const landed = await walker.go(callback.href);
    expect(landed.url.searchParams.get('sso_error')).toBe('sso_state_invalid');
    expect(sessionCookie(walker)).toBeUndefined();
  });

  it('refuses a replayed state, even with the browser binding cookie kept', async () => {
    account('frank', ['gw-viewers']);
    const walker = new RedirectWalker({ 'x-forwarded-for': address() });
    const callback = await callbackUrl(walker);
    const binding = walker.cookies.get(new URL(api.url).host)!.get('llmgw_oidc')!;
    const done = await walker.go(callback.href);
    expect(done.url.searchParams.get('sso_error')).toBeNull();
    expect(sessionCookie(walker)).toBeDefined();
    const replay = new RedirectWalker({ 'x-forwarded-for': address() });
    replay.cookies.set(new URL(api.url).host, new Map([['llmgw_oidc', binding]]));
    const landed = await replay.go(callback.href);
    expect(landed.url.searchParams.get('sso_error')).toBe('sso_state_invalid');
    expect(sessionCookie(replay)).toBeUndefined();
  });

  it("refuses a callback link from someone else's sign-in (login CSRF): the state is bound to the browser", async () => {
    account('mallory', ['gw-admins']);
    const callback = await callbackUrl(new RedirectWalker({ 'x-forwarded-for': address() }));
    const victim = new RedirectWalker({ 'x-forwarded-for': address() });
    const landed = await victim.go(callback.href);
    expect(landed.url.searchParams.get('sso_error')).toBe('sso_state_invalid');
    expect(sessionCookie(victim)).toBeUndefined();
  });

  it('links an existing password user with the same verified email, and refuses an unverified one', async () => {
    const existing = await createAdminUser(api, {
      email: 'gina@corp.example',
      password: 'gina-pw-0c4e2b7a',
      roles: ['viewer'],
    });
    account('gina-unverified', ['gw-editors'], { email: 'gina@corp.example', email_verified: false });
    expect((await consoleSignIn()).error).toBe('sso_email_taken');
    account('gina', ['gw-editors'], { email: 'gina@corp.example' });
    const { walker, error } = await consoleSignIn();
    expect(error).toBeNull();
    expect((await consoleGet(walker, '/ui/session')).body.user).toMatchObject({ id: existing.id, roles: ['editor'] });
    expect(await auditOf(existing.id)).toEqual([{ type: 'sso', action: 'update', fields: ['oidc_subject', 'roles'] }]);
  });

  it('turns the console password sign-in off with UI_PASSWORD_LOGIN=false, and keeps /admin/auth/login', async () => {
    const user = await createAdminUser(api, {
      email: 'breakglass@example.com',
      password: 'bg-pw-3e9a1c5d7f',
      roles: ['admin'],
    });
    const console = await adminRequest(api, 'POST', '/ui/session', {
      headers: CONSOLE,
      body: { email: user.email, password: user.password },
    });
    expect(console.status).toBe(403);
    expect(console.body).toMatchObject({ code: 'password_login_disabled' });
    const jwt = await adminRequest(api, 'POST', '/admin/auth/login', {
      body: { email: user.email, password: user.password },
    });
    expect(jwt.status).toBe(200);
  });

  /** An ID token the IdP issues to the gateway's client through a real code flow (as automation would get one). */
  async function idTokenFor(sub: string, groups: string[]): Promise<string> {
    account(sub, groups);
    const verifier = oidc.randomPKCECodeVerifier();
    const auth = new URL(`${idp.issuer}/auth`);
    auth.search = new URLSearchParams({
      client_id: IDP_CLIENT_ID,
      redirect_uri: AUTOMATION_REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email profile groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
    }).toString();
    const back = await new RedirectWalker().go(auth.href, (u) => u.href.startsWith(AUTOMATION_REDIRECT_URI));
    const code = back.url.searchParams.get('code');
    expect(code).toBeTruthy();
    const res = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${IDP_CLIENT_ID}:${IDP_CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code!,
        redirect_uri: AUTOMATION_REDIRECT_URI,
        code_verifier: verifier,
      }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id_token: string }).id_token;
  }

  const exchange = (idToken: string, from = address()) =>
    adminRequest(api, 'POST', '/admin/auth/oidc', {
      body: { id_token: idToken },
      headers: { 'x-forwarded-for': from },
    });

  it('POST /admin/auth/oidc exchanges an ID token from the IdP for a gateway JWT with the mapped role', async () => {
    const idToken = await idTokenFor('deploy-bot', ['gw-viewers']);
    const res = await exchange(idToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    const jwt = res.body.access_token as string;
    expect((await adminRequest(api, 'GET', '/admin/providers', { token: jwt })).status).toBe(200);
    expect((await adminRequest(api, 'GET', '/admin/users', { token: jwt })).status).toBe(403);
    const user = (await api.get(AdminUserRepository).findByOidcSubject(idp.issuer, 'deploy-bot'))!;
    expect(user.roles).toEqual(['viewer']);
  });

  it('POST /admin/auth/oidc refuses bad tokens: malformed, wrong signature, wrong audience, expired, wrong issuer', async () => {
    const claims = { sub: 'deploy-bot', aud: IDP_CLIENT_ID, groups: ['gw-admins'], email: 'deploy-bot@corp.example' };
    const { privateKey: stranger } = await generateKeyPair('RS256');
    const tokens = {
      malformed: 'not-a-jwt',
      'wrong signature': await idp.sign(claims, { key: stranger }),
      'wrong audience': await idp.sign({ ...claims, aud: 'someone-else' }),
      expired: await idp.sign(claims, { expiresIn: Math.floor(Date.now() / 1000) - 120 }),
    };
    for (const [what, token] of Object.entries(tokens)) {
      const res = await exchange(token);
      expect([what, res.status, res.body.code]).toEqual([what, 401, 'invalid_credentials']);
    }
    const bogusIssuer = (await idp.sign(claims)).split('.');
    const payload = JSON.parse(Buffer.from(bogusIssuer[1], 'base64url').toString()) as Record<string, unknown>;
    bogusIssuer[1] = Buffer.from(JSON.stringify({ ...payload, iss: 'https://evil.example' })).toString('base64url');
    expect((await exchange(bogusIssuer.join('.'))).status).toBe(401);
    // well signed, but no group maps to a role
    const noRole = await exchange(await idTokenFor('intern-bot', ['marketing']));
    expect([noRole.status, noRole.body.code]).toEqual([403, 'sso_no_role']);
    // the control: the IdP's own key, right audience, not expired
    expect((await exchange(await idp.sign(claims))).status).toBe(200);
  });

  it('throttles repeated failures from one address like the password login (429 with Retry-After)', async () => {
    const from = address();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await exchange('not-a-jwt', from)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const refused = await exchange('not-a-jwt', from);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
