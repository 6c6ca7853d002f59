// What the hand-run benchmarks share: arguments, child processes (pinned with taskset), the gateway's
// database and Redis prefix set up through the CLI and removed afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { request } from 'undici';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PG_ROOT = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `--name` flags and `--name value` options of this process. */
export function cliArgs(args = process.argv.slice(2)) {
  return {
    args,
    flag: (name) => args.includes(`--${name}`),
    option: (name, fallback) => {
      const i = args.indexOf(`--${name}`);
      return i >= 0 ? args[i + 1] : fallback;
    },
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function until(what, fn, timeoutMs = 30_000, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * The pid of the Redis server at REDIS_URL when it is a process of this machine, else null (Redis elsewhere, or in a
 * container: it reports a pid of its own namespace, so only a local process that is a Redis server counts).
 */
export async function localRedisPid() {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pid = /process_id:(\d+)/.exec(await redis.info('server'))?.[1];
    return pid && readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis') ? pid : null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/**
 * Pins the Redis server at REDIS_URL (all its threads) to `cpu` when it runs on this machine, so it does not run on
 * the gateway's core; returns what restores its affinity (a no-op when Redis is elsewhere or taskset failed).
 */
export async function pinLocalRedis(cpu) {
  const pid = await localRedisPid();
  if (!pid) return { pinned: false, restore: () => {} };
  try {
    const before = /affinity list: (\S+)/.exec(execFileSync('taskset', ['-cp', pid], { encoding: 'utf8' }))?.[1];
    if (!before) return { pinned: false, restore: () => {} };
    execFileSync('taskset', ['-a', '-cp', String(cpu), pid], { stdio: 'ignore' });
    let restored = false;
    const restore = () => {
      if (restored) return;
      restored = true;
      try {
        execFileSync('taskset', ['-a', '-cp', before, pid], { stdio: 'ignore' });
      } catch {
        // Redis restarted or stopped meanwhile: nothing of ours is left pinned
      }
    };
    // also when the run ends otherwise (an exception, process.exit, Ctrl-C): Redis must not stay on one core
    process.once('exit', restore);
    for (const signal of ['SIGINT', 'SIGTERM'])
      process.once(signal, () => {
        restore();
        process.kill(process.pid, signal);
      });
    return { pinned: true, restore };
  } catch {
    // no taskset
    return { pinned: false, restore: () => {} };
  }
}

/** Child processes, each optionally pinned to one CPU; their last output is kept for error reports. */
export class Processes {
  children = [];

  constructor(pin) {
    this.pin = pin;
  }

  /** taskset execs, so the child's pid is the pinned process itself (CPU accounting reads it). */
  start(name, cpu, cmd, argv, env = {}) {
    const [c, a] = this.pin ? ['taskset', ['-c', String(cpu), cmd, ...argv]] : [cmd, argv];
    const child = spawn(c, a, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d) => (output = (output + d).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.output = () => output;
    child.benchName = name;
    this.children.push(child);
    return child;
  }

  /** Resolves once the child printed `listening <port>` (the fake upstream and the floor proxy do). */
  listening(child) {
    return until(child.benchName, () => /listening (\d+)/.test(child.output()), 15_000);
  }

  report() {
    return this.children.map((c) => `--- ${c.benchName}:\n${c.output()}`).join('\n');
  }

  /** SIGTERM, then SIGKILL whatever has not exited after `graceMs`. */
  async stop(graceMs = 10_000) {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise((r) => {
            if (c.exitCode !== null) return r();
            const t = setTimeout(() => (c.kill('SIGKILL'), r()), graceMs);
            c.once('exit', () => (clearTimeout(t), r()));
          }),
      ),
    );
  }
}

/**
 * Runs a bench's `main`: when it fails, prints the error and what the bench's processes wrote; then always runs
 * `cleanup` (stopping processes, dropping databases), and a failed cleanup fails the run too.
 */
export function runBench(main, processes, cleanup) {
  return main()
    .catch((err) => {
      process.stderr.write(`${err?.stack ?? err}\n${processes.report()}\n`);
      process.exitCode = 1;
    })
    .then(cleanup)
    .catch((err) => {
      process.stderr.write(`cleanup failed: ${err}\n`);
      process.exitCode = 1;
    });
}

export function cli(env, ...argv) {
  return cliIn(ROOT, env, ...argv);
}

/** The CLI of the build in `root` (another checkout, for `--compare`). */
export function cliIn(root, env, ...argv) {
  return execFileSync('node', ['dist/src/cli.js', ...argv], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

/** The plaintext key `create-api-key` printed. */
export function keyOf(out) {
  const key = /key \(shown once\): (\S+)/.exec(out)?.[1];
  if (!key) throw new Error(`no key in: ${out}`);
  return key;
}

async function dropDatabase(dbName) {
  const admin = new pg.Client({ connectionString: `${PG_ROOT}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}

/**
 * A fresh database `dbName` with the `bench` provider at `upstreamUrl` and the priced model `gpt-4o-mini`,
 * set up as an operator would with the CLI. Returns the production environment the gateway runs with.
 */
export async function setUpGateway({ dbName, prefix, dataDir, upstreamUrl, logLevel = 'warn', root = ROOT }) {
  const cli = (env, ...argv) => cliIn(root, env, ...argv);
  await dropDatabase(dbName);
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: `${PG_ROOT}/${dbName}`,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_SECRET: randomBytes(48).toString('base64'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: logLevel,
    DATA_DIR: dataDir,
    DB_RUN_MIGRATIONS: 'false',
    SHUTDOWN_DRAIN_DELAY: '0ms',
    // the fake upstream is on loopback, which production refuses by default
    PROVIDER_ALLOW_PRIVATE_URLS: 'true',
  };
  cli(env, 'migrate');
  cli(
    env,
    'add-provider',
    '--name',
    'bench',
    '--type',
    'openai',
    '--base-url',
    `${upstreamUrl}/v1`,
    '--api-key',
    'sk-bench-upstream',
  );
  cli(
    env,
    'add-model',
    '--name',
    'gpt-4o-mini',
    '--provider',
    'bench',
    '--input-price-per-1m',
    '0.15',
    '--output-price-per-1m',
    '0.6',
  );
  // Claude through Anthropic's Messages API on the same fake upstream (`instructions.mjs --messages-stream`)
  cli(
    env,
    'add-provider',
    '--name',
    'bench-anthropic',
    '--type',
    'anthropic',
    '--base-url',
    upstreamUrl,
    '--api-key',
    'sk-ant-bench-upstream',
  );
  cli(
    env,
    'add-model',
    '--name',
    'claude-bench',
    '--provider',
    'bench-anthropic',
    '--provider-model-id',
    'claude-sonnet-4-5',
    '--input-price-per-1m',
    '3',
    '--output-price-per-1m',
    '15',
  );
  // a second model on the same provider and an alias routing over both (weights 1:1), for the routed row
  cli(
    env,
    'add-model',
    '--name',
    'gpt-4o-mini-b',
    '--provider',
    'bench',
    '--input-price-per-1m',
    '0.15',
    '--output-price-per-1m',
    '0.6',
  );
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT id FROM models WHERE name IN ('gpt-4o-mini', 'gpt-4o-mini-b') ORDER BY name`,
    );
    const routing = {
      strategy: 'weighted',
      targets: rows.map((r) => ({ modelId: r.id, weight: 1, priority: 0 })),
      retries: 1,
      retryOn: ['429', '5xx', 'timeout', 'connect'],
    };
    // a build from before routing or the response cache (`--compare` with an older checkout) has no such column:
    // those rows are then not set up (and not measured for it)
    const optional = (sql, params) => db.query(sql, params).catch(() => undefined);
    await optional(
      `INSERT INTO model_aliases (id, name, model_id, routing) VALUES (gen_random_uuid(), 'routed', NULL, $1)`,
      [JSON.stringify(routing)],
    );
    // an alias of gpt-4o-mini with the response cache on (SPEC §14), for the cached row
    await optional(
      `INSERT INTO model_aliases (id, name, model_id, cache)
         SELECT gen_random_uuid(), 'cached', id, $1 FROM models WHERE name = 'gpt-4o-mini'`,
      [JSON.stringify({ ttl: '1h', scope: 'key' })],
    );
  } finally {
    await db.end();
  }
  return env;
}

/** Removes what setUpGateway and the gateway left: the database, the Redis keys of `prefix`, `dataDir`. */
export async function tearDownGateway({ dbName, prefix, dataDir }) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  await dropDatabase(dbName);
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * One JSON POST timed at the client: its wall-clock start (`at`, ms since the epoch), then ms to the response's
 * headers, to the body's first byte and to its end; the status and the response's headers.
 */
export async function timedPost(url, headers, body) {
  const at = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const headersMs = performance.now() - t0;
  let first = NaN;
  for await (const chunk of res.body) if (Number.isNaN(first) && chunk.length > 0) first = performance.now() - t0;
  return { at, headersMs, first, total: performance.now() - t0, status: res.statusCode, responseHeaders: res.headers };
}
