import { ConfigValidationError } from '#src/core/config/app-config';
import { startApi, startWorker, testConfig, type TestApp } from '#test/utils/app';
import { freePort } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

describe('METRICS_PORT: /metrics on its own port, off the application port', () => {
  let app: TestApp | undefined;

  beforeAll(() => resetState());
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it.each([
    ['API', startApi],
    ['worker', startWorker],
  ])('the %s serves /metrics only on METRICS_PORT, and frees that port on close', async (_name, start) => {
    const port = await freePort();
    app = await start({ METRICS_PORT: String(port) });
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('process_cpu_user_seconds_total');
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(404);
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);

    await app.close();
    app = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('keeps /metrics on the application port when METRICS_PORT is unset', async () => {
    app = await startApi();
    expect((await fetch(`${app.url}/metrics`)).status).toBe(200);
  });

  it('refuses a METRICS_PORT equal to the application port', () => {
    expect(() => testConfig({ METRICS_PORT: '9090' })).toThrow(ConfigValidationError);
    expect(() => testConfig({ GATEWAY_HTTP_PORT: '8181', METRICS_PORT: '8181' })).toThrow(/METRICS_PORT/);
  });
});
