import { freePort, spawnBuilt, waitFor } from '#test/utils/processes';
import { baseTestEnv } from '#test/utils/test-env';

/** A first start without PostgreSQL or Redis running: the message says which service and which setting. */
describe('start-up errors', () => {
  it('names PostgreSQL and DATABASE_URL when the database server is unreachable, and exits 1', async () => {
    const closed = await freePort();
    const proc = spawnBuilt('main', [], {
      ...baseTestEnv(),
      DB_RUN_MIGRATIONS: 'true',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/llm_gateway`,
    });
    expect(await proc.exited).toBe(1);
    const fatal = JSON.parse(
      proc
        .output()
        .split('\n')
        .find((l) => l.includes('"level":"fatal"'))!,
    );
    expect(fatal.msg).toMatch(
      new RegExp(
        `^gateway API failed to start: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${closed} \\(DATABASE_URL\\)`,
      ),
    );
    expect(fatal.msg).toContain('ECONNREFUSED');
  });

  it('names Redis and REDIS_URL when Redis is unreachable', async () => {
    const [closed, port] = [await freePort(), await freePort()];
    const proc = spawnBuilt('main', [], {
      ...baseTestEnv(),
      GATEWAY_HTTP_PORT: String(port),
      REDIS_URL: `redis://127.0.0.1:${closed}`,
    });
    try {
      const line = await waitFor(async () =>
        proc
          .output()
          .split('\n')
          .find((l) => l.includes('cannot reach Redis')),
      );
      expect(JSON.parse(line).msg).toBe(
        'redis connection error: cannot reach Redis; start it or check REDIS_URL (or REDIS_ADDRESS)',
      );
    } finally {
      proc.child.kill('SIGKILL');
    }
  });
});
