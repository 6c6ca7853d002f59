/**
 * Names that keep test runs and Jest workers apart on the shared PostgreSQL and Redis: each run has an
 * id (set by global setup), each worker its own database (cloned from the run's migrated template) and
 * its own REDIS_PREFIX.
 */
export const PG_ROOT_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function runId(): string {
  const id = process.env.LLMGW_TEST_RUN;
  if (!id) throw new Error('LLMGW_TEST_RUN is not set: run the tests through jest (global setup sets it)');
  return id;
}

export const templateDbName = (run = runId()): string => `llmgw_t_${run}_tpl`;
export const workerDbName = (worker = process.env.JEST_WORKER_ID ?? '1', run = runId()): string =>
  `llmgw_t_${run}_w${worker}`;
export const workerRedisPrefix = (worker = process.env.JEST_WORKER_ID ?? '1', run = runId()): string =>
  `t${run}w${worker}`;
export const dbUrl = (name: string): string => `${PG_ROOT_URL}/${name}`;
/** Every file a run writes (DATA_DIR, and os.tmpdir() in the Jest workers): global teardown removes it. */
export const runTmpRoot = (run = runId()): string => `/tmp/llmgw-test-${run}`;

/** Fixed, test-only secrets; distinct canary strings so leak checks can find them. */
export const TEST_JWT_SECRET = 'canary-jwt-secret-4f9a1c7e2b-Qx7Lm3Vt9Rk2Wp5Zn8HdYc6J';
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** The environment every test app starts from; tests override what they exercise. */
export function baseTestEnv(): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: dbUrl(workerDbName()),
    REDIS_URL: REDIS_TEST_URL,
    REDIS_PREFIX: workerRedisPrefix(),
    DB_RUN_MIGRATIONS: 'false',
    JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_DELAY: '0ms',
    SHUTDOWN_GRACE_PERIOD: '5s',
    DATA_DIR: runTmpRoot(),
    POD_NAME: `test-pod-${process.env.JEST_WORKER_ID ?? '1'}`,
    LOGGING_SINK_FLUSH_INTERVAL: '1h',
    // the app shares its event loop with Jest and the test's own clients: on a loaded CI machine a stall (a
    // major GC of a Jest worker's heap) outlasts 500 ms and a reply already in the socket times out, a false
    // Redis outage (503). Tests of real outages set their own short timeout.
    REDIS_COMMAND_TIMEOUT: '2s',
    // no periodic job in the queues a test drains; the reconcile tests turn it on
    BUDGET_RECONCILE_INTERVAL: '0',
  };
}
