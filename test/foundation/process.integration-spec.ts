import { freePort, spawnBuilt, waitFor } from '#test/utils/processes';
import { baseTestEnv } from '#test/utils/test-env';
import { resetState } from '#test/utils/reset';

/** These start the CommonJS build (dist/), as production and the Dockerfile do. */
describe('the built entrypoints', () => {
  beforeEach(() => resetState());

  it('exits 1 listing every bad variable, one line each', async () => {
    const proc = spawnBuilt('main', [], {
      GATEWAY_HTTP_PORT: 'eighty',
      REDIS_COMMAND_TIMEOUT: 'fast',
      NODE_ENV: 'production',
    });
    expect(await proc.exited).toBe(1);
    const lines = proc.output().trim().split('\n');
    expect(lines[0]).toMatch(/^Invalid configuration \(4 problems\):$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.trim().split(':')[0])
        .sort(),
    ).toEqual(['ENCRYPTION_KEY', 'GATEWAY_HTTP_PORT', 'JWT_SECRET', 'REDIS_COMMAND_TIMEOUT']);
  });

  it('exits 1 naming JWT_SECRET when a production secret holds less than 32 bytes of entropy', async () => {
    const proc = spawnBuilt('main', [], {
      ...baseTestEnv(),
      NODE_ENV: 'production',
      JWT_SECRET: 'weak-production-secret',
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/^ {2}JWT_SECRET: expected at least 32 bytes of entropy/m);
    expect(proc.output()).not.toContain('weak-production-secret');
  });

  it('starts the API, reports ready, fails readiness at once on SIGTERM, keeps serving through the drain delay and exits 0', async () => {
    const port = await freePort();
    const proc = spawnBuilt('main', [], {
      ...baseTestEnv(),
      GATEWAY_HTTP_PORT: String(port),
      SHUTDOWN_DRAIN_DELAY: '1s',
    });
    try {
      await waitFor(async () =>
        (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
      );
      proc.child.kill('SIGTERM');
      const during = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
          return res.status === 503 ? res : undefined;
        },
        900,
        50,
      );
      expect(await during.json()).toMatchObject({ status: 'shutting_down' });
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('shutdown complete');
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('starts the worker with health and metrics on WORKER_HTTP_PORT and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const proc = spawnBuilt('worker', [], { ...baseTestEnv(), WORKER_HTTP_PORT: String(port) });
    try {
      // readiness waits for PostgreSQL and Redis to answer; on a loaded machine the first check can take a while
      let last = '';
      await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
        last = `${res.status} ${await res.text()}`;
        return res.status === 200 ? true : undefined;
      }, 45_000).catch((err: Error) => {
        throw new Error(`${err.message}; last /health/ready: ${last}`);
      });
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
        'process_cpu_user_seconds_total',
      );
      expect((await fetch(`http://127.0.0.1:${port}/v1/models`)).status).toBe(404);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
    }
  });
});
