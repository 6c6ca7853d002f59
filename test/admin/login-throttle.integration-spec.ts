import { adminRequest, createAdminUser, type Json } from '#test/factories/admin-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

const loginFrom = (api: TestApp, address: string, email: string, password: string): Promise<Answer> =>
  adminRequest(api, 'POST', '/admin/auth/login', {
    body: { email, password },
    headers: { 'x-forwarded-for': address },
  });

const count = (answers: Answer[], status: number): number => answers.filter((a) => a.status === status).length;

describe('login throttling per client address, reserved before Argon2, with bounded verifications', () => {
  let api: TestApp;
  let user: { email: string; password: string };

  beforeAll(async () => {
    await resetState();
    api = await startApi({ TRUST_PROXY: '1' });
    user = await createAdminUser(api, { email: 'kept@example.com', password: 'kept-pw-12345', roles: ['viewer'] });
  });
  afterAll(() => api.close());

  it('refuses an IPv6 /64 after 20 failures across any emails, even with a right password, while other networks log in', async () => {
    for (let i = 1; i <= 20; i++) {
      const res = await loginFrom(api, `2001:db8:0:7::${i.toString(16)}`, `guess-${i}@example.com`, 'wrong-1234');
      expect(res.status).toBe(401);
    }
    // another host of the same /64, another email, the right password: still the same network
    const refused = await loginFrom(api, '2001:db8:0:7:ffff::1', user.email, user.password);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(800);
    expect((await loginFrom(api, '2001:db8:0:8::1', user.email, user.password)).status).toBe(200);
    expect((await loginFrom(api, '10.20.0.1', user.email, user.password)).status).toBe(200);
  });

  it('reserves each attempt before verifying: 30 parallel guesses at one account verify only 5', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => loginFrom(api, '10.30.0.1', user.email, 'parallel-wrong-1234')),
    );
    expect(count(answers, 401)).toBe(5);
    expect(count(answers, 429)).toBe(25);
  });

  it('does not count successful logins against the address', async () => {
    for (let i = 0; i < 25; i++)
      expect((await loginFrom(api, '10.40.0.1', user.email, user.password)).status).toBe(200);
  });
});

describe('bounded concurrent Argon2 verifications per process', () => {
  let api: TestApp;

  beforeAll(async () => {
    await resetState();
    api = await startApi({ TRUST_PROXY: '1', LOGIN_VERIFY_CONCURRENCY: '1', LOGIN_VERIFY_QUEUE: '2' });
  });
  afterAll(() => api.close());

  it('answers 503 with Retry-After past the active and waiting verifications, and serves the proxy meanwhile', async () => {
    const logins = Promise.all(
      Array.from({ length: 24 }, (_, i) => loginFrom(api, `10.50.${i}.1`, `flood-${i}@example.com`, 'wrong-1234')),
    );
    const health = await fetch(`${api.url}/health/live`);
    expect(health.status).toBe(200);
    const answers = await logins;
    expect(count(answers, 401) + count(answers, 503)).toBe(24);
    expect(count(answers, 503)).toBeGreaterThanOrEqual(12);
    const busy = answers.find((a) => a.status === 503)!;
    expect(busy.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(busy.headers.get('retry-after')).toBe('1');
    // a refused attempt gave its reservation back: the address can still try
    const again = answers.findIndex((a) => a.status === 503);
    expect((await loginFrom(api, `10.50.${again}.1`, `flood-${again}@example.com`, 'wrong-1234')).status).toBe(401);
  });
});
