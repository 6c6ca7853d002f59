// Gateway overhead benchmark, run by hand (never in CI): `node bench/overhead.mjs [options]`.
//
// Starts the fast fake upstream (bench/fake-upstream.mjs), the built gateway (`node dist/src/main.js`) on
// its own database and Redis prefix, an API key without limits and one with a rate limit, a token limit and
// a budget (so the admission script, reservation and settlement all run), then loads with autocannon, in
// turn, the upstream directly and the gateway with each key, non-streamed and streamed. It reports per
// scenario requests/s and p50/p95/p99 of every response's latency (sub-millisecond, from autocannon's
// per-response timings), the latency the gateway adds over the direct upstream, and the distribution of
// the gateway's own `x-gateway-overhead-ms` header (SPEC §3: its time before the provider is called).
//
// Options: --duration S (per scenario, default 10), --connections LIST (default 1,16), --warmup S (default 2),
//          --worker (billing in a separate worker process instead of the API's inline processors),
//          --no-pin (do not pin processes to CPUs), --json FILE (also write the raw summary as JSON).
// Needs `npx tsc -p tsconfig.build.json` (or `npm run build`) first, PostgreSQL and Redis on their local
// default addresses (BENCH_PG_URL, BENCH_REDIS_URL override). The report goes to stdout, progress to stderr:
//   node bench/overhead.mjs > bench/results/overhead.txt
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

const DURATION = Number(option('duration', 10));
const CONNECTIONS = option('connections', '1,16').split(',').map(Number);
const WARMUP = Number(option('warmup', 2));
const SEPARATE_WORKER = flag('worker');
const PIN = cpus().length >= 2 && !flag('no-pin') && existsSync('/usr/bin/taskset');
const JSON_OUT = option('json', null);

const PG_ROOT = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DB_NAME = 'llmgw_bench_overhead';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_PREFIX = `llmgw-overhead-${process.pid}`;
const DATA_DIR = `/tmp/${REDIS_PREFIX}`;

const log = (line) => process.stderr.write(`${line}\n`);
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The gateway gets CPU 0 to itself; this driver, the upstream and a separate worker share CPU 1. */
function start(name, cpu, argv, env = {}) {
  const [cmd, a] = PIN ? ['taskset', ['-c', String(cpu), 'node', ...argv]] : ['node', argv];
  const child = spawn(cmd, a, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d) => (output = (output + d).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.output = () => output;
  child.benchName = name;
  children.push(child);
  return child;
}

async function until(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function cli(env, ...argv) {
  return execFileSync('node', ['dist/src/cli.js', ...argv], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

/** Nearest-rank percentile of unsorted numbers. */
function pct(xs, p) {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** One autocannon run; every response's latency and `x-gateway-overhead-ms` header are kept. */
async function run(target, body, duration, connections) {
  const latencies = [];
  const overheads = [];
  const statuses = {};
  const instance = autocannon({
    url: target.url,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: target.path,
        headers: { 'content-type': 'application/json', ...target.headers },
        body,
        onResponse: (status, _body, _ctx, headers) => {
          const h = headers['x-gateway-overhead-ms'];
          if (h !== undefined) overheads.push(Number(h));
        },
      },
    ],
  });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 200) latencies.push(responseTime);
  });
  const result = await instance;
  return {
    latencies,
    overheads,
    statuses,
    errors: result.errors + result.timeouts,
    rps: result.requests.total / duration,
  };
}

function summarize(latencies) {
  return { p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99) };
}

const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const pad = (s, n) => String(s).padStart(n);

async function main() {
  if (!existsSync(join(ROOT, 'dist/src/main.js')))
    throw new Error('no build: run `npx tsc -p tsconfig.build.json` first');
  if (PIN) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

  const admin = new pg.Client({ connectionString: `${PG_ROOT}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.end();

  const upstreamPort = await freePort();
  const upstream = start('upstream', 1, ['bench/fake-upstream.mjs', String(upstreamPort)]);
  await until('the upstream', () => /listening/.test(upstream.output()), 15_000);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: `${PG_ROOT}/${DB_NAME}`,
    REDIS_URL,
    REDIS_PREFIX,
    JWT_SECRET: randomBytes(48).toString('base64'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
    DATA_DIR,
    DB_RUN_MIGRATIONS: 'false',
    SHUTDOWN_DRAIN_DELAY: '0ms',
  };
  log('setting up: migrate, provider, model, keys');
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
  const keyOf = (out) => {
    const key = /key \(shown once\): (\S+)/.exec(out)?.[1];
    if (!key) throw new Error(`no key in: ${out}`);
    return key;
  };
  const plainKey = keyOf(cli(env, 'create-api-key', '--name', 'no-limits'));
  const limitedKey = keyOf(
    cli(
      env,
      'create-api-key',
      '--name',
      'limits',
      '--rate-limit',
      '100000000',
      '--tokens-per-minute',
      '1000000000',
      '--monthly-budget',
      '1000000',
    ),
  );

  const gatewayPort = await freePort();
  const gateway = start('gateway', 0, ['dist/src/main.js'], {
    ...env,
    GATEWAY_HTTP_PORT: String(gatewayPort),
    RUN_PROCESSORS: SEPARATE_WORKER ? 'false' : 'true',
  });
  const ready = async (url) => (await fetch(url)).status === 200;
  await until('the gateway', () => ready(`http://127.0.0.1:${gatewayPort}/health/ready`));
  if (SEPARATE_WORKER) {
    const workerPort = await freePort();
    start('worker', 1, ['dist/src/worker.js'], { ...env, WORKER_HTTP_PORT: String(workerPort) });
    await until('the worker', () => ready(`http://127.0.0.1:${workerPort}/health/ready`));
  }
  void gateway;

  const targets = [
    { name: 'direct upstream', url: upstreamUrl, path: '/v1/chat/completions', headers: {} },
    {
      name: 'gateway, key without limits',
      url: `http://127.0.0.1:${gatewayPort}`,
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${plainKey}` },
    },
    {
      name: 'gateway, key with limits',
      url: `http://127.0.0.1:${gatewayPort}`,
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${limitedKey}` },
    },
  ];
  const messages = [{ role: 'user', content: 'Say hello in one short sentence.' }];
  const bodies = {
    'non-streamed': JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 64 }),
    streamed: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 64, stream: true }),
  };

  const started = new Date();
  const load1 = loadavg()[0];
  const results = [];
  for (const connections of CONNECTIONS) {
    for (const [mode, body] of Object.entries(bodies)) {
      for (const target of targets) {
        log(`${mode} / ${target.name}: warm-up ${WARMUP}s, then ${DURATION}s at ${connections} connections`);
        await run(target, body, WARMUP, connections);
        const r = await run(target, body, DURATION, connections);
        const bad = Object.entries(r.statuses).filter(([s]) => s !== '200');
        if (r.latencies.length === 0)
          throw new Error(`${mode} / ${target.name}: no 200 responses (${JSON.stringify(r.statuses)})`);
        results.push({
          connections,
          mode,
          target: target.name,
          requests: r.latencies.length,
          rps: r.rps,
          non200: bad.reduce((n, [, c]) => n + c, 0),
          errors: r.errors,
          latency: summarize(r.latencies),
          overhead: r.overheads.length
            ? {
                ...summarize(r.overheads),
                max: Math.max(...r.overheads),
                mean: r.overheads.reduce((a, b) => a + b, 0) / r.overheads.length,
                n: r.overheads.length,
              }
            : null,
        });
      }
    }
  }

  const lines = [];
  lines.push(`# gateway overhead benchmark (node bench/overhead.mjs ${args.join(' ')})`.trimEnd());
  lines.push(`date: ${started.toISOString()}`);
  lines.push(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; 1-min load average at start ${load1.toFixed(2)}, at end ${loadavg()[0].toFixed(2)}`,
  );
  lines.push(
    `setup: fake upstream answering at once (bench/fake-upstream.mjs); gateway dist/src/main.js NODE_ENV=production LOG_LEVEL=info, ${SEPARATE_WORKER ? 'billing in a separate worker process' : 'billing processors inline (RUN_PROCESSORS=true, the single-machine default)'}, audit log on (LOGGING_SINK_ENABLED default); ${PIN ? 'gateway pinned to CPU 0, driver/upstream/worker to CPU 1' : 'no CPU pinning'}`,
  );
  lines.push(
    `load: autocannon, ${CONNECTIONS.join(' then ')} connection(s), ${DURATION}s per scenario after ${WARMUP}s warm-up; latency = request sent to last byte received (streams: the whole SSE body)`,
  );
  lines.push('');
  lines.push('## latency (ms)');
  lines.push(
    `${pad('conns', 5)} ${'mode'.padEnd(13)}${'target'.padEnd(30)}${pad('req/s', 8)}${pad('p50', 8)}${pad('p95', 8)}${pad('p99', 8)}${pad('+p50', 8)}${pad('+p95', 8)}${pad('+p99', 8)}${pad('non-200', 9)}`,
  );
  for (const r of results) {
    const direct = results.find(
      (x) => x.connections === r.connections && x.mode === r.mode && x.target === 'direct upstream',
    );
    const added = (k) => (r === direct ? '' : f2(r.latency[k] - direct.latency[k]));
    lines.push(
      `${pad(r.connections, 5)} ${r.mode.padEnd(13)}${r.target.padEnd(30)}${pad(Math.round(r.rps), 8)}${pad(f2(r.latency.p50), 8)}${pad(f2(r.latency.p95), 8)}${pad(f2(r.latency.p99), 8)}${pad(added('p50'), 8)}${pad(added('p95'), 8)}${pad(added('p99'), 8)}${pad(r.non200 + r.errors, 9)}`,
    );
  }
  lines.push('');
  lines.push('(+pN: the gateway minus the direct upstream at the same percentile, same load)');
  lines.push('');
  lines.push("## x-gateway-overhead-ms (the gateway's own time before calling the provider, per response)");
  lines.push(
    `${pad('conns', 5)} ${'mode'.padEnd(13)}${'target'.padEnd(30)}${pad('n', 8)}${pad('mean', 8)}${pad('p50', 8)}${pad('p95', 8)}${pad('p99', 8)}${pad('max', 8)}`,
  );
  for (const r of results.filter((x) => x.overhead)) {
    const o = r.overhead;
    lines.push(
      `${pad(r.connections, 5)} ${r.mode.padEnd(13)}${r.target.padEnd(30)}${pad(o.n, 8)}${pad(f2(o.mean), 8)}${pad(f2(o.p50), 8)}${pad(f2(o.p95), 8)}${pad(f2(o.p99), 8)}${pad(f2(o.max), 8)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (JSON_OUT) {
    mkdirSync(dirname(JSON_OUT), { recursive: true });
    writeFileSync(JSON_OUT, `${JSON.stringify({ date: started.toISOString(), args, results }, null, 2)}\n`);
  }
}

async function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(
    children.map(
      (c) =>
        new Promise((r) => {
          if (c.exitCode !== null) return r();
          const t = setTimeout(() => (c.kill('SIGKILL'), r()), 10_000);
          c.once('exit', () => (clearTimeout(t), r()));
        }),
    ),
  );
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    for (const pattern of [`${REDIS_PREFIX}*`, `{${REDIS_PREFIX}*`]) {
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
  const admin = new pg.Client({ connectionString: `${PG_ROOT}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.end();
  rmSync(DATA_DIR, { recursive: true, force: true });
}

main()
  .then(cleanup, async (err) => {
    log(err.stack ?? String(err));
    for (const c of children) log(`--- ${c.benchName}:\n${c.output()}`);
    await cleanup();
    process.exitCode = 1;
  })
  .catch((err) => {
    log(`cleanup failed: ${err}`);
    process.exitCode = 1;
  });
