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
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';
import { cli, cliArgs, freePort, keyOf, Processes, ROOT, setUpGateway, tearDownGateway, until } from './lib.mjs';

const { args, flag, option } = cliArgs();
const DURATION = Number(option('duration', 10));
const CONNECTIONS = option('connections', '1,16').split(',').map(Number);
const WARMUP = Number(option('warmup', 2));
const SEPARATE_WORKER = flag('worker');
const PIN = cpus().length >= 2 && !flag('no-pin') && existsSync('/usr/bin/taskset');
const JSON_OUT = option('json', null);

const STORES = {
  dbName: 'llmgw_bench_overhead',
  prefix: `llmgw-overhead-${process.pid}`,
  dataDir: `/tmp/llmgw-overhead-${process.pid}`,
};

const log = (line) => process.stderr.write(`${line}\n`);
const processes = new Processes(PIN);
/** The gateway gets CPU 0 to itself; this driver, the upstream and a separate worker share CPU 1. */
const start = (name, cpu, argv, env = {}) => processes.start(name, cpu, 'node', argv, env);

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

  const upstreamPort = await freePort();
  const upstream = start('upstream', 1, ['bench/fake-upstream.mjs', String(upstreamPort)]);
  await processes.listening(upstream);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

  log('setting up: migrate, provider, model, keys');
  const env = await setUpGateway({ ...STORES, upstreamUrl, logLevel: 'info' });
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
  await processes.stop();
  await tearDownGateway(STORES);
}

main()
  .then(cleanup, async (err) => {
    log(err.stack ?? String(err));
    log(processes.report());
    await cleanup();
    process.exitCode = 1;
  })
  .catch((err) => {
    log(`cleanup failed: ${err}`);
    process.exitCode = 1;
  });
