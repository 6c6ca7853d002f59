import { JwtService } from '@nestjs/jwt';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { adminRequest, CANARY_ADMIN_PASSWORD, createAdminUser, login, type Json } from '#test/factories/admin-fixtures';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

const claimsOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': address });

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('admin authentication: login, service tokens, throttling', () => {
  let api: TestApp;
  let root: { id: string; email: string; password: string };
  let rootJwt: string;

  beforeAll(async () => {
    await resetState();
    api = await startApi({ TRUST_PROXY: '1' });
    root = await createAdminUser(api, { email: 'root@example.com', password: CANARY_ADMIN_PASSWORD, roles: ['admin'] });
    rootJwt = await login(api, root.email, root.password);
  });
  afterAll(() => api.close());

  it('logs a user in and answers a Bearer JWT carrying the admin id, auth type and roles', async () => {
    const res = await adminRequest(api, 'POST', '/admin/auth/login', {
      body: { email: 'ROOT@example.com', password: CANARY_ADMIN_PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 86400 });
    const claims = claimsOf(res.body.access_token);
    expect(claims).toMatchObject({ sub: root.id, auth_type: 'user', roles: ['admin'], aud: 'llmgw-admin' });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(86400);
    expect((await adminRequest(api, 'GET', '/admin/users', { token: res.body.access_token })).status).toBe(200);
  });

  it('answers the same 401 for an unknown email and a wrong password, taking similar time', async () => {
    const unknown: number[] = [];
    const wrong: number[] = [];
    let unknownBody: unknown;
    let wrongBody: unknown;
    for (let i = 0; i < 3; i++) {
      unknown.push(
        await timed(async () => {
          const res = await adminRequest(api, 'POST', '/admin/auth/login', {
            body: { email: `nobody-${i}@example.com`, password: 'whatever-1234' },
            headers: from('10.9.0.1'),
          });
          expect(res.status).toBe(401);
          unknownBody = res.body;
        }),
      );
      wrong.push(
        await timed(async () => {
          const res = await adminRequest(api, 'POST', '/admin/auth/login', {
            body: { email: root.email, password: 'not-the-password' },
            headers: from('10.9.0.2'),
          });
          expect(res.status).toBe(401);
          wrongBody = res.body;
        }),
      );
    }
    expect(unknownBody).toEqual(wrongBody);
    expect(unknownBody).toEqual({ statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' });
    // both verify one Argon2id hash; without the dummy hash an unknown email would answer many times faster
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4);
  });

  it('refuses a disabled user with the same 401', async () => {
    await createAdminUser(api, {
      email: 'off@example.com',
      password: 'disabled-pw-1234',
      roles: ['admin'],
      enabled: false,
    });
    const res = await adminRequest(api, 'POST', '/admin/auth/login', {
      body: { email: 'off@example.com', password: 'disabled-pw-1234' },
    });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Invalid credentials');
  });

  it('exchanges a service token for a JWT, and refuses it once disabled or expired', async () => {
    const created = await adminRequest(api, 'POST', '/admin/tokens', {
      token: rootJwt,
      body: { service_name: 'deploy-bot', roles: ['editor'] },
    });
    expect(created.status).toBe(201);
    const plaintext: string = created.body.token;
    expect(plaintext).toMatch(/^gwst_/);

    const exchange = (): Promise<{ status: number; body: Json }> =>
      adminRequest(api, 'POST', '/admin/auth/token', { body: { service_name: 'deploy-bot', token: plaintext } });
    const ok = await exchange();
    expect(ok.status).toBe(200);
    expect(claimsOf(ok.body.access_token)).toMatchObject({
      sub: created.body.id,
      auth_type: 'service',
      roles: ['editor'],
    });
    const jwt: string = ok.body.access_token;
    expect((await adminRequest(api, 'GET', '/admin/api-keys', { token: jwt })).status).toBe(200);
    expect((await adminRequest(api, 'GET', '/admin/tokens', { token: jwt })).status).toBe(403);
    const wrong = await adminRequest(api, 'POST', '/admin/auth/token', {
      body: { service_name: 'deploy-bot', token: 'gwst_wrong' },
    });
    expect(wrong.status).toBe(401);

    const patch = (body: object): Promise<{ status: number }> =>
      adminRequest(api, 'PATCH', `/admin/tokens/${created.body.id}`, { token: rootJwt, body });
    expect((await patch({ enabled: false })).status).toBe(200);
    expect((await exchange()).status).toBe(401);
    expect((await adminRequest(api, 'GET', '/admin/api-keys', { token: jwt })).status).toBe(401);

    expect((await patch({ enabled: true, expires_at: new Date(Date.now() - 1000).toISOString() })).status).toBe(200);
    expect((await exchange()).status).toBe(401);
    expect((await adminRequest(api, 'GET', '/admin/api-keys', { token: jwt })).status).toBe(401);

    expect((await patch({ expires_at: null })).status).toBe(200);
    expect((await exchange()).status).toBe(200);
    expect((await adminRequest(api, 'GET', '/admin/api-keys', { token: jwt })).status).toBe(200);
  });

  it('throttles failed logins per email and client address: 429 with Retry-After, doubling', async () => {
    const user = await createAdminUser(api, {
      email: 'lock@example.com',
      password: 'lock-pw-12345',
      roles: ['viewer'],
    });
    const attempt = (password: string, address: string): Promise<{ status: number; headers: Headers; body: Json }> =>
      adminRequest(api, 'POST', '/admin/auth/login', { body: { email: user.email, password }, headers: from(address) });

    for (let i = 0; i < 5; i++) expect((await attempt('wrong-password', '10.0.0.1')).status).toBe(401);
    const locked = await attempt(user.password, '10.0.0.1');
    expect(locked.status).toBe(429);
    // the lockout starts when the failing attempt is reserved, before its Argon2 check: a little has passed
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(27);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    expect(locked.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });

    // the attacker's address is locked out, the admin's is not
    expect((await attempt(user.password, '10.0.0.2')).status).toBe(200);

    // when the lockout ends, the next failure locks for twice as long
    const redis = api.app.get<RedisClient>(HOT_REDIS);
    const key = api.get(RedisKeys).loginFailures(`user:${user.email}`, '10.0.0.1');
    await redis.hset(key, 'locked_until', '0');
    expect((await attempt('wrong-password', '10.0.0.1')).status).toBe(401);
    const again = await attempt('wrong-password', '10.0.0.1');
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(57);
    expect(Number(again.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });

  it('clears the failure count on a successful login', async () => {
    const user = await createAdminUser(api, {
      email: 'clear@example.com',
      password: 'clear-pw-12345',
      roles: ['viewer'],
    });
    const attempt = (password: string): Promise<{ status: number }> =>
      adminRequest(api, 'POST', '/admin/auth/login', {
        body: { email: user.email, password },
        headers: from('10.0.1.1'),
      });
    for (let i = 0; i < 4; i++) expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt(user.password)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt(user.password)).status).toBe(200);
  });

  it('throttles service-token exchanges the same way', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await adminRequest(api, 'POST', '/admin/auth/token', {
        body: { service_name: 'ghost', token: 'gwst_guess' },
        headers: from('10.0.2.1'),
      });
      expect(res.status).toBe(401);
    }
    const res = await adminRequest(api, 'POST', '/admin/auth/token', {
      body: { service_name: 'ghost', token: 'gwst_guess' },
      headers: from('10.0.2.1'),
    });
    expect(res.status).toBe(429);
  });

  it('applies a role downgrade and a disable made through the admin API at once', async () => {
    const user = await createAdminUser(api, { email: 'ed@example.com', password: 'editor-pw-1234', roles: ['editor'] });
    const jwt = await login(api, user.email, user.password);
    const create = (): Promise<{ status: number }> =>
      adminRequest(api, 'POST', '/admin/providers', { token: jwt, body: { name: 'x', type: 'nope' } });
    expect((await create()).status).toBe(400);
    await adminRequest(api, 'PATCH', `/admin/users/${user.id}`, { token: rootJwt, body: { roles: ['viewer'] } });
    expect((await create()).status).toBe(403);
    expect((await adminRequest(api, 'GET', '/admin/providers', { token: jwt })).status).toBe(200);
    await adminRequest(api, 'PATCH', `/admin/users/${user.id}`, { token: rootJwt, body: { enabled: false } });
    expect((await adminRequest(api, 'GET', '/admin/providers', { token: jwt })).status).toBe(401);
    await adminRequest(api, 'DELETE', `/admin/users/${user.id}`, { token: rootJwt });
    expect((await adminRequest(api, 'GET', '/admin/providers', { token: jwt })).status).toBe(401);
  });

  it('keeps JWTs out of the proxy and API keys out of the admin API', async () => {
    const { key } = await createKey(api);
    const asAdmin = await adminRequest(api, 'GET', '/admin/api-keys', { token: key });
    expect(asAdmin.status).toBe(401);
    expect(asAdmin.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    const viaHeader = await adminRequest(api, 'GET', '/admin/api-keys', { headers: { 'x-api-key': key } });
    expect(viaHeader.status).toBe(401);

    const asProxy = await adminRequest(api, 'GET', '/v1/models', { token: rootJwt });
    expect(asProxy.status).toBe(401);
    expect(asProxy.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_api_key' } });
    expect((await adminRequest(api, 'GET', '/v1/models', { token: key })).status).toBe(200);
  });

  it('refuses JWTs that are forged, for another audience, expired or for an unknown subject', async () => {
    const jwt = api.get(JwtService);
    const claims = { sub: root.id, auth_type: 'user', roles: ['admin'] };
    const forged = await jwt.signAsync(claims, { secret: 'not-the-secret' });
    const otherAudience = await jwt.signAsync(claims, { audience: 'someone-else' });
    const expired = await jwt.signAsync(claims, { expiresIn: -10 });
    const ghost = await jwt.signAsync({ ...claims, sub: '01900000-0000-7000-8000-000000000000' });
    const malformed = await jwt.signAsync({ ...claims, sub: 'not-a-uuid' });
    for (const token of [forged, otherAudience, expired, ghost, malformed, 'garbage']) {
      expect((await adminRequest(api, 'GET', '/admin/users', { token })).status).toBe(401);
    }
  });
});

describe('admin authentication: changes made outside the API apply within CACHE_TTL', () => {
  let api: TestApp;

  beforeAll(async () => {
    await resetState();
    api = await startApi({ CACHE_TTL: '1s' });
  });
  afterAll(() => api.close());

  it('re-reads roles and enabled state from the admin record once the cache entry expires', async () => {
    const user = await createAdminUser(api, { email: 'ttl@example.com', password: 'ttl-pw-12345', roles: ['editor'] });
    const jwt = await login(api, user.email, user.password);
    const write = (): Promise<{ status: number }> =>
      adminRequest(api, 'POST', '/admin/providers', { token: jwt, body: { name: 'x', type: 'nope' } });
    expect((await write()).status).toBe(400);

    // written straight to the database: no invalidation message, only the TTL bounds the staleness
    const users = api.get(AdminUserRepository);
    await users.save({ ...(await users.findById(user.id))!, roles: ['viewer'] });
    await new Promise((r) => setTimeout(r, 1200));
    expect((await write()).status).toBe(403);

    await users.save({ ...(await users.findById(user.id))!, enabled: false });
    await new Promise((r) => setTimeout(r, 1200));
    expect((await adminRequest(api, 'GET', '/admin/providers', { token: jwt })).status).toBe(401);
  });
});
