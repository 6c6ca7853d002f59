// Audit-log soak test, run by hand (never in CI): `node bench/soak-audit.mjs [--calls N] [--concurrency C]`.
//
// Starts the fast fake upstream (bench/fake-upstream.mjs), an s3rver S3 endpoint in this process, the built
// gateway API with RUN_PROCESSORS=false and a separate built worker, on their own database and Redis
// prefix. Sends N calls (default 10,000; every fourth streamed) through the API, SIGKILLs the worker when
// half of them are done and starts a new one two seconds later, then waits until the audit buffer and the
// billing queue are empty and prints: calls sent and their statuses, audit objects, audit lines, distinct
// call ids in S3 (and how many of the sent ids are missing or duplicated), and usage_records rows.
// Needs `npx tsc -p tsconfig.build.json` first, PostgreSQL and Redis on their local default addresses
// (BENCH_PG_URL, BENCH_REDIS_URL override). The report goes to stdout, progress to stderr:
//   node bench/soak-audit.mjs > bench/results/soak-audit.txt
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { cli, cliArgs, freePort, PG_ROOT, REDIS_URL, ROOT, until } from './lib.mjs';
import { readBucket, startBucket } from './audit-bucket.mjs';

const { option } = cliArgs();
const CALLS = Number(option('calls', 10_000));
const CONCURRENCY = Number(option('concurrency', 32));
const DB_NAME = 'llmgw_bench_soak_audit';
const REDIS_PREFIX = `llmgw-soak-${process.pid}`;
const DATA_DIR = `/tmp/${REDIS_PREFIX}`;
const BUCKET = 'audit-soak';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

const log = (line) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];

function start(name, argv, env = {}) {
  const child = spawn('node', argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d) => (output = (output + d).slice(-50_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.output = () => output;
  child.exited = new Promise((r) => child.on('exit', (code, signal) => r(code ?? signal)));
  child.label = name;
  children.push(child);
  return child;
}

const ready = (url) => until(`${url} ready`, async () => (await fetch(`${url}/health/ready`)).status === 200);

async function main() {
  if (!existsSync(join(ROOT, 'dist/src/worker.js')))
    throw new Error('no build: run `npx tsc -p tsconfig.build.json` first');
  const startedAt = Date.now();
  const admin = new pg.Client({ connectionString: `${PG_ROOT}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.end();

  const bucket = await startBucket(BUCKET, 'llmgw-soak-s3-');
  const { s3, endpoint } = bucket;

  const upstreamPort = await freePort();
  const upstream = start('upstream', ['bench/fake-upstream.mjs', String(upstreamPort)]);
  await until('the upstream', () => /listening/.test(upstream.output()), 15_000);

  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: `${PG_ROOT}/${DB_NAME}`,
    REDIS_URL,
    REDIS_PREFIX,
    JWT_SECRET: randomBytes(48).toString('base64'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    DATA_DIR,
    DB_RUN_MIGRATIONS: 'false',
    SHUTDOWN_DRAIN_DELAY: '0ms',
    PROVIDER_ALLOW_PRIVATE_URLS: 'true',
    LOGGING_SINK_S3_BUCKET: BUCKET,
    LOGGING_SINK_S3_ENDPOINT: endpoint,
    LOGGING_SINK_S3_FORCE_PATH_STYLE: 'true',
    LOGGING_SINK_FLUSH_SIZE: '1000',
    LOGGING_SINK_FLUSH_INTERVAL: '5s',
    ...CREDENTIALS,
  };
  log('setting up: migrate, provider, model, key');
  cli(env, 'migrate');
  cli(
    env,
    'add-provider',
    '--name',
    'soak',
    '--type',
    'openai',
    '--base-url',
    `http://127.0.0.1:${upstreamPort}/v1`,
    '--api-key',
    'sk-soak-upstream',
  );
  cli(
    env,
    'add-model',
    '--name',
    'gpt-4o-mini',
    '--provider',
    'soak',
    '--input-price-per-1m',
    '0.15',
    '--output-price-per-1m',
    '0.6',
  );
  const key = /key \(shown once\): (\S+)/.exec(cli(env, 'create-api-key', '--name', 'soak'))[1];

  const apiPort = await freePort();
  start('api', ['dist/src/main.js'], {
    ...env,
    RUN_PROCESSORS: 'false',
    GATEWAY_HTTP_PORT: String(apiPort),
    POD_NAME: 'soak-api',
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const startWorker = async (name) => {
    const port = await freePort();
    const w = start(name, ['dist/src/worker.js'], { ...env, WORKER_HTTP_PORT: String(port), POD_NAME: name });
    await ready(`http://127.0.0.1:${port}`);
    return w;
  };
  await ready(apiUrl);
  let worker = await startWorker('soak-worker-1');
  log(`API on ${apiUrl}, worker up; sending ${CALLS} calls with ${CONCURRENCY} connections`);

  const sent = [];
  const statuses = {};
  let next = 0;
  let killedAt = null;
  let atKill = null;
  const redis = new Redis(REDIS_URL);
  const tag = `{${REDIS_PREFIX}:audit}`;
  let restartedAt = null;
  const killAt = Math.floor(CALLS / 2);
  const bodies = [false, true].map((stream) =>
    JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'soak test: say hello' }] }),
  );
  const callsStarted = Date.now();
  const restart = (async () => {
    await until('half of the calls', async () => sent.length >= killAt, 30 * 60_000, 20);
    worker.kill('SIGKILL');
    await worker.exited;
    killedAt = sent.length;
    atKill = { buffered: await redis.llen(`${tag}:buffer`), inflight: await redis.zcard(`${tag}:inflight`) };
    log(`worker SIGKILLed after ${killedAt} calls`);
    await sleep(2000);
    worker = await startWorker('soak-worker-2');
    restartedAt = sent.length;
    log(`worker restarted after ${restartedAt} calls`);
  })();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CALLS) {
        const i = next++;
        const res = await fetch(`${apiUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: bodies[i % 4 === 3 ? 1 : 0],
        });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        sent.push(res.headers.get('x-gateway-call-id'));
        if (sent.length % 1000 === 0) log(`${sent.length} calls`);
      }
    }),
  );
  const callsMs = Date.now() - callsStarted;
  await restart;

  log('calls done; waiting for the audit buffer, in-flight batches and the billing queue to empty');
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  const usageRows = async () =>
    Number((await db.query('SELECT count(DISTINCT call_id) AS n FROM usage_records')).rows[0].n);
  const settleStarted = Date.now();
  await until(
    'audit records and usage rows',
    async () =>
      (await redis.llen(`${tag}:buffer`)) === 0 &&
      (await redis.zcard(`${tag}:inflight`)) === 0 &&
      (await usageRows()) >= CALLS,
    10 * 60_000,
    1000,
  ).catch((err) => log(String(err)));
  const settleMs = Date.now() - settleStarted;

  const { keys, ids } = await readBucket(bucket, BUCKET);
  const distinct = new Set(ids);
  const missing = sent.filter((id) => !distinct.has(id)).length;
  const usage = await usageRows();
  const usageTotal = Number((await db.query('SELECT count(*) AS n FROM usage_records')).rows[0].n);
  const dropped = Number((await redis.get(`${tag}:dropped`)) ?? 0);

  console.log(`# soak-audit: ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpus().length} CPU (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`,
  );
  console.log(
    `setup: API (RUN_PROCESSORS=false) + separate worker, built processes; s3rver; fake upstream; LOGGING_SINK_FLUSH_SIZE=1000, LOGGING_SINK_FLUSH_INTERVAL=5s`,
  );
  console.log(
    `calls sent:                      ${sent.length} (${CONCURRENCY} connections, every 4th streamed) in ${(callsMs / 1000).toFixed(1)} s`,
  );
  console.log(`statuses:                        ${JSON.stringify(statuses)}`);
  console.log(`worker SIGKILLed after call:     ${killedAt}; new worker ready after call ${restartedAt}`);
  console.log(
    `at the kill:                     ${atKill?.buffered} records buffered, ${atKill?.inflight} batch(es) taken and not yet stored`,
  );
  console.log(`waited after the last call:      ${(settleMs / 1000).toFixed(1)} s`);
  console.log(`audit objects in S3:             ${keys.length}`);
  console.log(`audit lines in S3:               ${ids.length}`);
  console.log(`distinct call_ids in S3:         ${distinct.size}`);
  console.log(`sent call ids missing from S3:   ${missing}`);
  console.log(`duplicate audit lines:           ${ids.length - distinct.size}`);
  console.log(`audit records dropped (cap):     ${dropped}`);
  console.log(`usage_records rows:              ${usageTotal} (distinct call_id: ${usage})`);
  const ok = distinct.size === CALLS && ids.length === CALLS && missing === 0 && usageTotal === CALLS;
  console.log(`result:                          ${ok ? 'PASS' : 'FAIL'}: expected exactly ${CALLS} of each`);

  await db.end();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => Promise.race([c.exited, sleep(15_000).then(() => c.kill('SIGKILL'))])));
  for (const pattern of [`${REDIS_PREFIX}:*`, `{${REDIS_PREFIX}:*`, `{${REDIS_PREFIX}}*`]) {
    const stale = await redis.keys(pattern);
    if (stale.length > 0) await redis.del(...stale);
  }
  redis.disconnect();
  s3.destroy();
  await bucket.server.close();
  rmSync(bucket.dir, { recursive: true, force: true });
  rmSync(DATA_DIR, { recursive: true, force: true });
  const cleanup = new pg.Client({ connectionString: `${PG_ROOT}/postgres` });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await cleanup.end();
  log(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  log(`soak failed: ${err.stack ?? err}`);
  for (const c of children) {
    if (c.exitCode === null) c.kill('SIGKILL');
    log(`--- ${c.label} output (tail) ---\n${c.output().slice(-3000)}`);
  }
  process.exit(1);
});
