// Fault soak, run by hand (never in CI): `node bench/soak-faults.mjs [--minutes 10] [--concurrency 16]`.
//
// Issue 14's done-when: the built API (RUN_PROCESSORS=false) and a separate built worker against a Redis of
// this script's own (append-only file, fsync always: a production Redis with persistence), s3rver for the
// audit log and the fast fake upstream. One key with a rate limit and a budget (so every call is admitted
// through Redis) is called for the whole duration, every fourth call streamed, while the worker is
// SIGKILLed twice (at 30 % and 60 % of the run, restarted 2 s later) and Redis is SIGKILLed once (at 45 %,
// restarted 3 s later from its append-only file). Then it waits for the billing queue and the audit buffer
// to empty and checks: every admitted call in usage_records exactly once, every answered call's audit record
// in S3 exactly once, and /gateway/key's spend equal to the PostgreSQL sum.
// Needs `npm run build` first and PostgreSQL on its local default address (BENCH_PG_URL overrides).
//   node bench/soak-faults.mjs > bench/results/soak-faults.txt
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import Decimal from 'decimal.js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Processes, cli, cliArgs, freePort, keyOf, setUpGateway, tearDownGateway, until } from './lib.mjs';
import { readBucket, startBucket } from './audit-bucket.mjs';

const { option } = cliArgs();
const MINUTES = Number(option('minutes', 10));
const CONCURRENCY = Number(option('concurrency', 16));
const DB_NAME = 'llmgw_bench_soak_faults';
const PREFIX = `llmgw-faults-${process.pid}`;
const DATA_DIR = `/tmp/${PREFIX}`;
const BUCKET = 'audit-faults';

const log = (line) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A redis-server of this run's own, persisted to an append-only file, that can be killed and restarted. */
class OwnRedis {
  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start() {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes'].concat([
        '--appendfsync',
        'always',
        '--dir',
        this.dir,
        '--maxmemory-policy',
        'noeviction',
      ]),
      { stdio: 'ignore' },
    );
    this.exited = new Promise((r) => this.child.once('exit', r));
    await until('redis', async () => {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    });
  }

  async kill() {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function main() {
  const started = Date.now();
  const procs = new Processes(false);
  const redisDir = mkdtempSync(join(tmpdir(), 'llmgw-faults-redis-'));
  const redis = new OwnRedis(await freePort(), redisDir);
  await redis.start();
  const bucket = await startBucket(BUCKET, 'llmgw-faults-s3-');
  const { s3, endpoint } = bucket;

  const upstreamPort = await freePort();
  const upstream = procs.start('upstream', 0, 'node', ['bench/fake-upstream.mjs', String(upstreamPort)]);
  await procs.listening(upstream);
  const base = await setUpGateway({
    dbName: DB_NAME,
    prefix: PREFIX,
    dataDir: DATA_DIR,
    upstreamUrl: `http://127.0.0.1:${upstreamPort}`,
  });
  const env = {
    ...base,
    REDIS_URL: redis.url,
    LOGGING_SINK_S3_BUCKET: BUCKET,
    LOGGING_SINK_S3_ENDPOINT: endpoint,
    LOGGING_SINK_S3_FORCE_PATH_STYLE: 'true',
    LOGGING_SINK_FLUSH_SIZE: '1000',
    LOGGING_SINK_FLUSH_INTERVAL: '5s',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
  const key = keyOf(
    cli(env, 'create-api-key', '--name', 'faults', '--rate-limit', '1000000', '--monthly-budget', '100000'),
  );

  const apiPort = await freePort();
  procs.start('api', 0, 'node', ['dist/src/main.js'], {
    ...env,
    RUN_PROCESSORS: 'false',
    GATEWAY_HTTP_PORT: String(apiPort),
    POD_NAME: 'faults-api',
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const ready = (url) => until(`${url} ready`, async () => (await fetch(`${url}/health/ready`)).status === 200, 60_000);
  let workers = 0;
  const startWorker = async () => {
    const port = await freePort();
    const w = procs.start(`worker-${++workers}`, 0, 'node', ['dist/src/worker.js'], {
      ...env,
      WORKER_HTTP_PORT: String(port),
      POD_NAME: `faults-worker-${workers}`,
    });
    w.exited = new Promise((r) => w.once('exit', r));
    await ready(`http://127.0.0.1:${port}`);
    return w;
  };
  await ready(apiUrl);
  let worker = await startWorker();
  const durationMs = MINUTES * 60_000;
  log(
    `API on ${apiUrl}, worker up, own Redis on ${redis.url}; calling for ${MINUTES} min with ${CONCURRENCY} connections`,
  );

  const sent = []; // { id, status }
  const statuses = {};
  const events = [];
  const callsStarted = Date.now();
  const at = (fraction) => sleep(Math.max(0, callsStarted + durationMs * fraction - Date.now()));
  const faults = (async () => {
    for (const [fraction, what] of [
      [0.3, 'worker'],
      [0.45, 'redis'],
      [0.6, 'worker'],
    ]) {
      await at(fraction);
      if (what === 'worker') {
        worker.kill('SIGKILL');
        await worker.exited;
        events.push(`worker SIGKILLed after ${sent.length} calls`);
        await sleep(2000);
        worker = await startWorker();
        events.push(`new worker ready after ${sent.length} calls`);
      } else {
        await redis.kill();
        events.push(`Redis SIGKILLed after ${sent.length} calls`);
        await sleep(3000);
        await redis.start();
        events.push(`Redis restarted from its append-only file after ${sent.length} calls`);
      }
      log(events.at(-1));
    }
  })();
  const bodies = [false, true].map((stream) =>
    JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'fault soak: say hello' }] }),
  );
  let n = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() - callsStarted < durationMs) {
        const i = n++;
        try {
          const res = await fetch(`${apiUrl}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: bodies[i % 4 === 3 ? 1 : 0],
          });
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          sent.push({ id: res.headers.get('x-gateway-call-id'), status: res.status });
        } catch (err) {
          statuses.network = (statuses.network ?? 0) + 1;
          log(`call failed: ${err}`);
        }
        if (sent.length % 10_000 === 0) log(`${sent.length} calls`);
      }
    }),
  );
  const callsMs = Date.now() - callsStarted;
  await faults;

  log('calls done; waiting for the billing queue and the audit buffer to empty');
  const admitted = sent.filter((c) => c.status === 200);
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  const rc = new Redis(redis.url);
  const tag = `{${PREFIX}:audit}`;
  const usageRows = async () => Number((await db.query('SELECT count(*) AS n FROM usage_records')).rows[0].n);
  const settleStarted = Date.now();
  await until(
    'usage rows and audit records',
    async () =>
      (await rc.llen(`${tag}:buffer`)) === 0 &&
      (await rc.zcard(`${tag}:inflight`)) === 0 &&
      (await usageRows()) >= admitted.length,
    10 * 60_000,
    1000,
  ).catch((err) => log(String(err)));
  await sleep(10_000); // a late duplicate would land now
  const settleMs = Date.now() - settleStarted;

  const billedIds = (await db.query('SELECT call_id FROM usage_records')).rows.map((r) => r.call_id);
  const billedSet = new Set(billedIds);
  const admittedMissing = admitted.filter((c) => !billedSet.has(c.id)).length;
  const refusedBilled = sent.filter((c) => c.status !== 200 && billedSet.has(c.id)).length;
  const { keys, ids } = await readBucket(bucket, BUCKET);
  const inS3 = new Set(ids);
  const auditMissing = sent.filter((c) => !inS3.has(c.id)).length;
  const pgSum = new Decimal(
    (await db.query('SELECT coalesce(sum(cost_usd), 0)::text AS s FROM usage_records')).rows[0].s,
  );
  const view = await (await fetch(`${apiUrl}/gateway/key`, { headers: { authorization: `Bearer ${key}` } })).json();
  const spent = new Decimal(view.spend.spent_usd);

  const lines = [
    `# soak-faults: ${new Date().toISOString()}`,
    `machine: ${cpus().length} CPU (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`,
    `setup: built API (RUN_PROCESSORS=false) + separate built worker; own redis-server (appendonly, fsync always); s3rver; fake upstream; a key with rate_limit and monthly_budget; REDIS_FAILURE_MODE=closed`,
    `calls:                              ${sent.length} in ${(callsMs / 1000).toFixed(0)} s (${CONCURRENCY} connections, every 4th streamed)`,
    `statuses:                           ${JSON.stringify(statuses)}`,
    ...events.map((e) => `fault:                              ${e}`),
    `waited after the last call:         ${(settleMs / 1000).toFixed(0)} s`,
    `admitted (200) calls:               ${admitted.length}`,
    `usage_records rows:                 ${billedIds.length} (distinct call_id ${billedSet.size})`,
    `admitted calls missing from usage:  ${admittedMissing}`,
    `refused calls billed:               ${refusedBilled}`,
    `audit objects / lines in S3:        ${keys.length} / ${ids.length} (distinct call_id ${inS3.size})`,
    `answered calls missing from S3:     ${auditMissing}`,
    `duplicate audit lines:              ${ids.length - inS3.size}`,
    `PostgreSQL spend:                   $${pgSum.toFixed()}`,
    `/gateway/key spent_usd:             $${spent.toFixed()}`,
  ];
  const ok =
    billedIds.length === admitted.length &&
    billedSet.size === admitted.length &&
    admittedMissing === 0 &&
    refusedBilled === 0 &&
    ids.length === sent.length &&
    inS3.size === sent.length &&
    auditMissing === 0 &&
    spent.eq(pgSum);
  lines.push(`result:                             ${ok ? 'PASS' : 'FAIL'}`);
  console.log(lines.join('\n'));

  await db.end();
  rc.disconnect();
  for (const c of procs.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await sleep(3000);
  for (const c of procs.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await redis.kill();
  s3.destroy();
  await bucket.server.close();
  await tearDownGateway({ dbName: DB_NAME, prefix: PREFIX, dataDir: DATA_DIR });
  rmSync(redisDir, { recursive: true, force: true });
  rmSync(bucket.dir, { recursive: true, force: true });
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  log(`soak failed: ${err.stack ?? err}`);
  process.exit(1);
});
