// Proxy benchmark, run by hand (never in CI): `npm run bench` or `npm run bench -- --smoke`.
//
// Measures side by side in one run: the fake upstream directly, a bare undici pool.stream() proxy (the
// floor) and the gateway with its whole pipeline on (API key auth, a key with a rate limit and a budget,
// so the admission Lua script, settlement, billing events and audit records all run; billing and log
// flushing in a separate worker process, as in production). Reports requests/s, p50/p90/p99 latency,
// latency added over the direct baseline, CPU time per request of the process under test (the steadiest
// figure on a shared machine) and, for streams, the time to the first byte.
//
// `--profile DIR` writes a V8 CPU profile of the gateway there (open it in Chrome DevTools).
//
// Pinning: the process under test (floor or gateway) runs on CPU 0; this driver, the upstream, the worker and a
// local Redis server (for the run, its affinity restored after; `--no-pin-redis` leaves it) on CPU 1. Needs
// `npm run build` first, PostgreSQL and Redis on their default local addresses.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { startBucket } from './audit-bucket.mjs';
import {
  cli,
  cliArgs,
  cliIn,
  freePort,
  keyOf,
  localRedisPid,
  pinLocalRedis,
  Processes,
  REDIS_URL,
  ROOT,
  runBench,
  setUpGateway,
  tearDownGateway,
  until,
} from './lib.mjs';

const { args, flag, option } = cliArgs();

const SMOKE = flag('smoke');
const RUNS = Number(option('runs', SMOKE ? 1 : 3));
const DURATION = Number(option('duration', SMOKE ? 3 : 10));
const CONNECTIONS = option('connections', SMOKE ? '1,16' : '1,16,64')
  .split(',')
  .map(Number);
const TTFB_SAMPLES = Number(option('samples', SMOKE ? 50 : 300));
const OUT = option(
  'out',
  join(ROOT, 'bench', 'results', `proxy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
);
const PIN = cpus().length >= 2 && !flag('no-pin');
// with PIN, a Redis server on this machine runs on the load's core, not the gateway's (the gateway alone on its
// core, as the rig has it; in production Redis is another machine); `--no-pin-redis` leaves it floating
const PIN_REDIS = PIN && !flag('no-pin-redis');
let redisPin = { pinned: false, restore: () => {} };
// a local Redis server's pid: its CPU time per call is reported (all its clients' work during a row's load: the
// gateway's scripts, the worker's billing and audit jobs), the cost every gateway pod puts on one shared Redis
let redisPid = null;
// `--inline`: the processors (billing, audit flushing) in the API process, as `npm start` runs it; else a worker
const INLINE = flag('inline');
// audit records with bodies go to an S3-protocol server (s3rver, in this driver); `--no-s3`: files under DATA_DIR
const S3 = !flag('no-s3');
// `--soak S`: afterwards, S seconds at 16 connections, RSS of the gateway and Redis memory sampled every 10 s
const SOAK = Number(option('soak', 0));
// `--interleave K`: each run's load is cut into K segments, the targets taking turns, so a machine whose speed
// drifts (this one's does, by tens of percent within minutes) slows every target alike
const INTERLEAVE = Math.max(1, Number(option('interleave', 1)));
// `--compare DIR[,DIR]`: the same plain gateway row for the build of another checkout (a `git worktree` with its
// own `dist/`), on its own database and Redis prefix, measured in the same run (with `--interleave`, in turns)
const COMPARE = option('compare', null)?.split(',') ?? [];
// `--compare-env "K=V[,K=V]"`: the same plain gateway row for this checkout's build with these variables set, as
// another target (`gateway@env`) taking turns like `--compare`: a setting measured against the same build without it
const COMPARE_ENV = option('compare-env', null);
// `--node-flags "F G"`: V8/Node flags for this checkout's gateway and worker only (not `--compare` builds), to
// measure a flag against the same build without it
const NODE_FLAGS = option('node-flags', '').split(' ').filter(Boolean);

const STORES = {
  dbName: 'llmgw_bench',
  prefix: `llmgw-bench-${process.pid}`,
  dataDir: `/tmp/llmgw-bench-${process.pid}`,
};
const CLK_TCK = 100; // Linux USER_HZ

const processes = new Processes(PIN);
/** The s3rver the audit log goes to (S3). */
let bucket = null;
/** The databases and Redis prefixes of the `--compare` builds, removed at the end. */
const compareStores = [];

async function ready(url) {
  const res = await request(url);
  await res.body.dump();
  return res.statusCode === 200;
}

/** utime + stime of a process (and of nothing else) in microseconds. */
function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function load(target, connections, body, duration = DURATION) {
  await eventLoopP99(target);
  const before = cpuMicros(target.pid);
  const redisBefore = redisPid ? cpuMicros(redisPid) : NaN;
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
    connections,
    duration,
  });
  const cpu = cpuMicros(target.pid) - before;
  const redisCpu = redisPid ? cpuMicros(redisPid) - redisBefore : NaN;
  const loopP99 = await eventLoopP99(target);
  const ok = result['2xx'];
  return {
    requests_per_s: result.requests.total / duration,
    requests: result.requests.total,
    cpu_us: cpu,
    redis_cpu_us: redisCpu,
    ok,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50_ms: result.latency.p50,
    p90_ms: result.latency.p90,
    p99_ms: result.latency.p99,
    cpu_us_per_request: ok > 0 ? cpu / ok : NaN,
    redis_cpu_us_per_request: ok > 0 ? redisCpu / ok : NaN,
    event_loop_p99_ms: loopP99,
    rss_mb: rssMb(target.pid),
  };
}

/** prom-client's eventLoopMonitoringPrecision (its default; the gateway does not change it). */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** One run made of interleaved segments, as one result: sums for counts and CPU, medians for latencies. */
function merged(segments) {
  const sum = (f) => segments.reduce((a, r) => a + r[f], 0);
  const ok = sum('ok');
  return {
    requests_per_s: sum('requests') / DURATION,
    requests: sum('requests'),
    cpu_us: sum('cpu_us'),
    ok,
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    p50_ms: median(segments.map((r) => r.p50_ms)),
    p90_ms: median(segments.map((r) => r.p90_ms)),
    p99_ms: median(segments.map((r) => r.p99_ms)),
    cpu_us_per_request: ok > 0 ? sum('cpu_us') / ok : NaN,
    redis_cpu_us_per_request: ok > 0 ? sum('redis_cpu_us') / ok : NaN,
    event_loop_p99_ms: segments.some((r) => r.event_loop_p99_ms !== null)
      ? Math.max(...segments.map((r) => r.event_loop_p99_ms ?? 0))
      : null,
    rss_mb: segments.at(-1).rss_mb,
    segments: segments.length,
  };
}

/** Resident set size of a process in MB. */
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/**
 * The gateway's event-loop delay p99 (ms) since the previous scrape: prom-client's default metrics sample it with
 * perf_hooks.monitorEventLoopDelay and reset the histogram at each scrape of /metrics.
 */
async function eventLoopP99(target) {
  if (!target.metricsUrl) return null;
  const res = await request(target.metricsUrl);
  const text = await res.body.text();
  const m = /^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  // the histogram records the whole interval of prom-client's 10 ms timer (an idle loop reads ~10.1 ms): the
  // delay is what exceeds it
  return m ? Math.max(0, Number(m[1]) * 1000 - EVENT_LOOP_RESOLUTION_MS) : null;
}

/** The gateway's V8 heap in use and memory outside it (Buffers, zlib), MB, from prom-client's default metrics. */
async function memoryOf(target) {
  if (!target.metricsUrl) return {};
  const text = await (await request(target.metricsUrl)).body.text();
  const mb = (name) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) / 2 ** 20 : null;
  };
  return { heap_used_mb: mb('nodejs_heap_size_used_bytes'), external_mb: mb('nodejs_external_memory_bytes') };
}

/** Sequential requests timed with sub-millisecond precision (autocannon reports whole milliseconds). */
async function unloaded(target, body) {
  await eventLoopP99(target);
  const samples = [];
  for (let i = 0; i < TTFB_SAMPLES; i++) {
    const t0 = performance.now();
    const res = await request(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body,
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`${target.name} answered ${res.statusCode}`);
    samples.push(performance.now() - t0);
  }
  return {
    p50_ms: median(samples),
    p90_ms: pct(samples, 90),
    p99_ms: pct(samples, 99),
    event_loop_p99_ms: await eventLoopP99(target),
  };
}

async function ttfb(target, body) {
  await eventLoopP99(target);
  const samples = [];
  for (let i = 0; i < TTFB_SAMPLES; i++) {
    const t0 = performance.now();
    const res = await request(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body,
    });
    let first = NaN;
    for await (const chunk of res.body) {
      if (Number.isNaN(first) && chunk.length > 0) first = performance.now() - t0;
    }
    if (res.statusCode !== 200) throw new Error(`${target.name} stream answered ${res.statusCode}`);
    samples.push(first);
  }
  return {
    p50_ms: median(samples),
    p90_ms: pct(samples, 90),
    p99_ms: pct(samples, 99),
    event_loop_p99_ms: await eventLoopP99(target),
  };
}

/** SOAK seconds at 16 connections: RSS of the gateway and Redis's used memory every 10 s (issue 21: flat ±10 %). */
async function soak(target, body) {
  const redis = new Redis(REDIS_URL);
  const redisMb = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]) / 2 ** 20;
  const samples = [];
  try {
    for (let t = 0; t < SOAK; t += 10) {
      const result = await autocannon({
        url: target.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body,
        connections: 16,
        duration: Math.min(10, SOAK - t),
      });
      samples.push({
        at_s: t + 10,
        requests: result.requests.total,
        rss_mb: rssMb(target.pid),
        redis_mb: await redisMb(),
        ...(await memoryOf(target)),
      });
      const last = samples.at(-1);
      process.stderr.write(
        `soak ${t + 10}s: rss ${last.rss_mb.toFixed(1)} MB, heap ${last.heap_used_mb?.toFixed(1)} MB, ` +
          `external ${last.external_mb?.toFixed(1)} MB, redis ${last.redis_mb.toFixed(1)} MB\n`,
      );
    }
  } finally {
    redis.disconnect();
  }
  return samples;
}

async function main() {
  if (PIN) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  if (PIN_REDIS) redisPin = await pinLocalRedis(1);
  redisPid = await localRedisPid();
  readFileSync(join(ROOT, 'dist/src/main.js')); // fails early without a build

  const upstreamPort = await freePort();
  const upstream = processes.start('upstream', 1, 'node', ['bench/fake-upstream.mjs', String(upstreamPort)]);
  await processes.listening(upstream);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

  const floorPort = await freePort();
  const floor = processes.start('floor', 0, 'node', ['bench/floor-proxy.mjs', String(floorPort), upstreamUrl]);
  await processes.listening(floor);

  const gatewayPort = await freePort();
  const workerPort = await freePort();
  const env = await setUpGateway({ ...STORES, upstreamUrl });
  /** The audit store's settings, the same for every gateway of the run. */
  const s3Env = {};
  if (S3) {
    bucket = await startBucket('llmgw-bench-audit', 'llmgw-bench-s3-');
    Object.assign(s3Env, {
      LOGGING_SINK_S3_BUCKET: 'llmgw-bench-audit',
      LOGGING_SINK_S3_ENDPOINT: bucket.endpoint,
      LOGGING_SINK_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    });
    Object.assign(env, s3Env);
  }
  const processors = { RUN_PROCESSORS: INLINE ? 'true' : 'false' };
  const key = keyOf(
    cli(env, 'create-api-key', '--name', 'bench', '--rate-limit', '100000000', '--monthly-budget', '1000000'),
  );

  const profile = option('profile', null);
  const gateway = processes.start(
    'gateway',
    0,
    'node',
    [...NODE_FLAGS, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), 'dist/src/main.js'],
    { ...env, GATEWAY_HTTP_PORT: String(gatewayPort), ...processors },
  );
  if (!INLINE)
    processes.start('worker', 1, 'node', [...NODE_FLAGS, 'dist/src/worker.js'], {
      ...env,
      WORKER_HTTP_PORT: String(workerPort),
    });
  await until('the gateway', () => ready(`http://127.0.0.1:${gatewayPort}/health/ready`));
  const compared = [];
  const comparisons = COMPARE.map((dir) => {
    const root = resolve(dir);
    const label = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    return { root, label, env: {} };
  });
  if (COMPARE_ENV)
    comparisons.push({
      root: ROOT,
      label: 'env',
      env: Object.fromEntries(
        COMPARE_ENV.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      ),
    });
  for (const { root, label, env: extra } of comparisons) {
    const stores = {
      dbName: `llmgw_bench_${label}`,
      prefix: `llmgw-bench-${label}-${process.pid}`,
      dataDir: `/tmp/llmgw-bench-${label}-${process.pid}`,
    };
    compareStores.push(stores);
    const cenv = { ...(await setUpGateway({ ...stores, upstreamUrl, root })), ...s3Env };
    const ckey = keyOf(
      cliIn(
        root,
        cenv,
        'create-api-key',
        '--name',
        'bench',
        '--rate-limit',
        '100000000',
        '--monthly-budget',
        '1000000',
      ),
    );
    const port = await freePort();
    const gw = processes.start(`gateway@${label}`, 0, 'node', [join(root, 'dist/src/main.js')], {
      ...cenv,
      GATEWAY_HTTP_PORT: String(port),
      ...processors,
      ...extra,
    });
    if (!INLINE)
      processes.start(`worker@${label}`, 1, 'node', [join(root, 'dist/src/worker.js')], {
        ...cenv,
        WORKER_HTTP_PORT: String(await freePort()),
        ...extra,
      });
    await until(`the gateway of ${label}`, () => ready(`http://127.0.0.1:${port}/health/ready`));
    compared.push({
      name: `gateway@${label}`,
      pid: gw.pid,
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      metricsUrl: `http://127.0.0.1:${port}/metrics`,
      headers: { authorization: `Bearer ${ckey}` },
    });
  }
  // the same gateway with tracing on (SPEC §16: every call sampled, exported over OTLP/HTTP protobuf to a sink)
  const only = option('only', null)?.split(',');
  let traced = null;
  const tracedPort = await freePort();
  if (!only || only.includes('gateway-traced')) {
    const sinkPort = await freePort();
    const sink = processes.start('otlp-sink', 1, 'node', ['bench/otlp-sink.mjs', String(sinkPort)]);
    await processes.listening(sink);
    traced = processes.start('gateway-traced', 0, 'node', ['dist/src/main.js'], {
      ...env,
      GATEWAY_HTTP_PORT: String(tracedPort),
      ...processors,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
      OTEL_TRACES_SAMPLER: 'always_on',
    });
    await until('the traced gateway', () => ready(`http://127.0.0.1:${tracedPort}/health/ready`));
  }
  if (!INLINE) await until('the worker', () => ready(`http://127.0.0.1:${workerPort}/health/ready`));

  const targets = [
    { name: 'direct', pid: upstream.pid, url: `${upstreamUrl}/v1/chat/completions`, headers: {} },
    { name: 'floor', pid: floor.pid, url: `http://127.0.0.1:${floorPort}/v1/chat/completions`, headers: {} },
    {
      name: 'gateway',
      pid: gateway.pid,
      url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
      metricsUrl: `http://127.0.0.1:${gatewayPort}/metrics`,
      headers: { authorization: `Bearer ${key}` },
    },
    // the same gateway and key, through an alias routing over two models (weights 1:1, no failures)
    {
      name: 'gateway-routed',
      pid: gateway.pid,
      url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
      metricsUrl: `http://127.0.0.1:${gatewayPort}/metrics`,
      headers: { authorization: `Bearer ${key}` },
      model: 'routed',
    },
    // the same gateway and key through an alias with the response cache on: the warm-up stores the answer, so
    // every measured call is a hit (a Redis GET, a rate-limit-only admission, the JSON or the replayed SSE)
    {
      name: 'gateway-cached',
      pid: gateway.pid,
      url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
      metricsUrl: `http://127.0.0.1:${gatewayPort}/metrics`,
      headers: { authorization: `Bearer ${key}` },
      model: 'cached',
    },
    ...(traced
      ? [
          {
            name: 'gateway-traced',
            pid: traced.pid,
            url: `http://127.0.0.1:${tracedPort}/v1/chat/completions`,
            metricsUrl: `http://127.0.0.1:${tracedPort}/metrics`,
            headers: { authorization: `Bearer ${key}` },
          },
        ]
      : []),
    ...compared,
  ];
  // `--only gateway,floor`: measure these targets alone (a profile of one pipeline, say)
  if (only)
    targets.splice(
      0,
      targets.length,
      ...targets.filter((t) => only.includes(t.name) || t.name === 'direct' || t.name.startsWith('gateway@')),
    );
  /** The body for a target: its own model name when it has one. */
  const bodyFor = (t, body) => (t.model ? JSON.stringify({ ...JSON.parse(body), model: t.model }) : body);
  const chatBody = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Say hello' }],
    max_tokens: 64,
  });
  const streamBody = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Say hello' }],
    max_tokens: 64,
    stream: true,
  });

  // warm-up: JIT, connection pools, caches
  for (const t of targets)
    await autocannon({
      url: t.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...t.headers },
      body: bodyFor(t, chatBody),
      connections: 8,
      duration: 2,
    });

  // Turns: a row's place in them biased the comparison by 15-17 % (bench/README, seventh session), so no gateway
  // row follows another (a light target between them) and every other turn runs in reverse
  const gateways = targets.filter((t) => t.name.startsWith('gateway'));
  const light = targets.filter((t) => !t.name.startsWith('gateway'));
  const spaced = gateways.flatMap((g, i) => (light[i] ? [g, light[i]] : [g])).concat(light.slice(gateways.length));
  const runs = [];
  for (const connections of CONNECTIONS) {
    for (let run = 1; run <= RUNS; run++) {
      const segments = new Map(targets.map((t) => [t, []]));
      for (let seg = 0; seg < INTERLEAVE; seg++) {
        const turn = seg % 2 === 0 ? spaced : [...spaced].reverse();
        for (const t of INTERLEAVE > 1 ? turn : targets)
          segments.get(t).push(await load(t, connections, bodyFor(t, chatBody), DURATION / INTERLEAVE));
      }
      for (const t of targets) {
        const r = merged(segments.get(t));
        runs.push({ target: t.name, connections, run, ...r });
        process.stderr.write(
          `${t.name} c=${connections} run ${run}: ${r.requests_per_s.toFixed(0)} req/s p50 ${r.p50_ms} ms cpu ${r.cpu_us_per_request.toFixed(0)} µs\n`,
        );
      }
    }
  }
  const streams = {};
  const sequential = {};
  for (const t of targets) {
    sequential[t.name] = await unloaded(t, bodyFor(t, chatBody));
    streams[t.name] = await ttfb(t, bodyFor(t, streamBody));
  }

  const gatewayTarget = targets.find((t) => t.name === 'gateway');
  const soaked = SOAK > 0 && gatewayTarget ? await soak(gatewayTarget, chatBody) : null;

  const summary = [];
  for (const connections of CONNECTIONS) {
    const of = (name, field) =>
      median(runs.filter((r) => r.target === name && r.connections === connections).map((r) => r[field]));
    for (const t of targets) {
      summary.push({
        target: t.name,
        connections,
        requests_per_s: Math.round(of(t.name, 'requests_per_s')),
        p50_ms: of(t.name, 'p50_ms'),
        p90_ms: of(t.name, 'p90_ms'),
        p99_ms: of(t.name, 'p99_ms'),
        added_p50_ms: of(t.name, 'p50_ms') - of('direct', 'p50_ms'),
        cpu_us_per_request: Math.round(of(t.name, 'cpu_us_per_request')),
        redis_cpu_us_per_request: Math.round(of(t.name, 'redis_cpu_us_per_request')),
        event_loop_p99_ms: of(t.name, 'event_loop_p99_ms'),
        non2xx: runs
          .filter((r) => r.target === t.name && r.connections === connections)
          .reduce((a, r) => a + r.non2xx + r.errors, 0),
      });
    }
  }
  const report = {
    date: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    command: `node bench/proxy.mjs ${args.join(' ')}`.trim(),
    node: process.version,
    cpus: cpus().length,
    pinned: PIN,
    redis_pinned: redisPin.pinned,
    processors: INLINE ? 'in the API process' : 'separate worker',
    audit: S3 ? 's3 (s3rver), with bodies' : 'files, with bodies',
    runs: RUNS,
    duration_s: DURATION,
    summary,
    unloaded: Object.fromEntries(
      Object.entries(sequential).map(([name, s]) => [
        name,
        { ...s, added_p50_ms: s.p50_ms - sequential.direct.p50_ms },
      ]),
    ),
    streams: Object.fromEntries(
      Object.entries(streams).map(([name, s]) => [name, { ...s, added_p50_ms: s.p50_ms - streams.direct.p50_ms }]),
    ),
    soak: soaked,
    raw: runs,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);

  const ms = (x) => (x === null || x === undefined || Number.isNaN(x) ? '' : x.toFixed(2));
  const lines = [
    `processors: ${report.processors}; audit: ${report.audit}`,
    '',
    '| target | conns | req/s | p50 ms | p90 ms | p99 ms | added p50 ms | CPU µs/req | Redis CPU µs/req | loop p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of summary) {
    lines.push(
      `| ${s.target} | ${s.connections} | ${s.requests_per_s} | ${s.p50_ms} | ${s.p90_ms} | ${s.p99_ms} | ${s.added_p50_ms.toFixed(2)} | ${s.cpu_us_per_request} | ${Number.isNaN(s.redis_cpu_us_per_request) ? '' : s.redis_cpu_us_per_request} | ${ms(s.event_loop_p99_ms)} | ${s.non2xx} |`,
    );
  }
  lines.push(
    '',
    '| unloaded (1 request at a time) | p50 ms | p90 ms | p99 ms | added p50 ms | loop p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [name, s] of Object.entries(report.unloaded))
    lines.push(
      `| ${name} | ${ms(s.p50_ms)} | ${ms(s.p90_ms)} | ${ms(s.p99_ms)} | ${ms(s.added_p50_ms)} | ${ms(s.event_loop_p99_ms)} |`,
    );
  lines.push(
    '',
    '| stream target | TTFB p50 ms | TTFB p90 ms | TTFB p99 ms | added p50 ms | loop p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [name, s] of Object.entries(report.streams))
    lines.push(
      `| ${name} | ${ms(s.p50_ms)} | ${ms(s.p90_ms)} | ${ms(s.p99_ms)} | ${ms(s.added_p50_ms)} | ${ms(s.event_loop_p99_ms)} |`,
    );
  if (soaked) {
    const first = soaked[0];
    const last = soaked.at(-1);
    lines.push(
      '',
      `soak ${SOAK} s at 16 connections: RSS ${first.rss_mb.toFixed(1)} → ${last.rss_mb.toFixed(1)} MB (max ${Math.max(...soaked.map((x) => x.rss_mb)).toFixed(1)}), Redis ${first.redis_mb.toFixed(1)} → ${last.redis_mb.toFixed(1)} MB`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\nraw: ${OUT}\n`);
}

async function cleanup() {
  redisPin.restore();
  await processes.stop(1000);
  await tearDownGateway(STORES);
  for (const stores of compareStores) await tearDownGateway(stores);
  if (bucket) {
    await bucket.server.close();
    rmSync(bucket.dir, { recursive: true, force: true });
  }
}

void runBench(main, processes, cleanup);
