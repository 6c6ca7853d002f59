import { startApi, type TestApp } from '#test/utils/app';
import { freePort } from '#test/utils/processes';

describe('health and request ids', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('answers /health/live and /health/ready with 200 when PostgreSQL and Redis answer', async () => {
    expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${api.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', postgres: 'up', redis: 'up' });
  });

  it('echoes a valid client x-request-id and logs it; replaces an invalid one with a UUIDv7', async () => {
    const echoed = await fetch(`${api.url}/health/live`, { headers: { 'x-request-id': 'client-req.42:a' } });
    expect(echoed.headers.get('x-request-id')).toBe('client-req.42:a');
    expect(api.logs.entries().some((e) => e.requestId === 'client-req.42:a' && e.url === '/health/live')).toBe(true);

    const replaced = await fetch(`${api.url}/health/live`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('answers unknown proxy paths in OpenAI error shape and unknown admin paths in Nest shape', async () => {
    const proxy = await fetch(`${api.url}/v1/audio/speech`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(proxy.status).toBe(404);
    const proxyBody = (await proxy.json()) as { error: Record<string, unknown> };
    expect(proxyBody.error).toMatchObject({ type: 'invalid_request_error', code: 'not_found' });
    const admin = await fetch(`${api.url}/admin/nothing`);
    expect(admin.status).toBe(404);
    expect(await admin.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('serves Prometheus metrics with the default Node metrics', async () => {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('readiness with Redis down', () => {
  it('answers 503 naming Redis when Redis is unreachable, while liveness stays 200', async () => {
    const deadPort = await freePort();
    const api = await startApi({ REDIS_URL: `redis://127.0.0.1:${deadPort}`, REDIS_COMMAND_TIMEOUT: '200ms' });
    try {
      const ready = await fetch(`${api.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', postgres: 'up', redis: 'down' });
      expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
