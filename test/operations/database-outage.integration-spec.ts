import { adminRequest, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { TcpProxy } from '#test/utils/tcp-proxy';
import { PG_ROOT_URL, workerDbName } from '#test/utils/test-env';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('PostgreSQL outage: 503 service_unavailable, never 401 or 500', () => {
  let pg: TcpProxy;
  let api: TestApp;
  let t: RoleTokens;
  let events: EventCapture;
  let key: string;

  beforeAll(async () => {
    await resetState();
    const target = new URL(PG_ROOT_URL);
    pg = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const url = new URL(PG_ROOT_URL);
    url.port = String(pg.port);
    url.pathname = `/${workerDbName()}`;
    // a short cache TTL so the calls below read PostgreSQL (keys, admins) instead of the caches
    api = await startApi({ DATABASE_URL: url.toString(), DB_CONNECT_TIMEOUT: '1s', CACHE_TTL: '50ms' });
    events = new EventCapture(api);
    t = await loginEveryRole(api);
    ({ key } = await createKey(api));
    await pg.cut();
    await sleep(100);
  });
  afterAll(async () => {
    await pg.restore();
    await api.close();
    await pg.cut();
  });

  it('answers a proxy call 503 in OpenAI shape and records it as such', async () => {
    const started = Date.now();
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'any', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      type: 'api_error',
      code: 'service_unavailable',
    });
    // the refusal reaches the audit log (and metrics) through its call event, with the status answered
    const event = await waitFor(async () => events.events.find((e) => e.status === 503));
    expect(event).toMatchObject({ admitted: false, status: 503, errorCode: 'service_unavailable' });
  });

  it('answers the admin API 503 in the admin shape, for a valid token and for a login', async () => {
    const list = await adminRequest(api, 'GET', '/admin/providers', { token: t.admin });
    expect(list.status).toBe(503);
    expect(list.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', code: 'service_unavailable' });

    const login = await adminRequest(api, 'POST', '/admin/auth/login', {
      body: { email: 'root@example.com', password: 'whatever-password' },
    });
    expect(login.status).toBe(503);
  });

  it('serves again once PostgreSQL is back', async () => {
    await pg.restore();
    await waitFor(async () => {
      const res = await adminRequest(api, 'GET', '/admin/providers', { token: t.admin });
      return res.status === 200 ? true : undefined;
    }, 10_000);
    await pg.cut();
  });
});
