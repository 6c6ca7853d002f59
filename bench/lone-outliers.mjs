// What a lone streamed call's slow first bytes coincide with (issue 21's target: a stream's first byte p99 within
// 5 ms at one connection). Sends streamed calls one at a time, alternating the fake upstream directly and the
// gateway (a key with a rate limit and a budget, a separate worker), records each call's wall-clock start and
// time to first byte, and loads `stall-hook.mjs` into the gateway and the worker: their garbage collections and
// event-loop gaps of more than 3 ms. Then it counts, for the gateway's calls slower than `--over` ms, how many
// overlap a gap in the gateway, a gap in the worker (it shares the upstream's and Redis's core), or a collection in
// the gateway. The direct calls' tail is the machine's own noise.
// `node bench/lone-outliers.mjs [--samples N] [--over MS] [--node-flags "F"] > bench/results/lone-outliers-DATE.json`;
// needs a build, PostgreSQL and Redis.
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'undici';
import {
  cli,
  cliArgs,
  freePort,
  keyOf,
  Processes,
  runBench,
  setUpGateway,
  tearDownGateway,
  timedPost,
  until,
} from './lib.mjs';

const { option } = cliArgs();
const SAMPLES = Number(option('samples', 3000));
const OVER_MS = Number(option('over', 4));
// `--node-flags "F G"`: V8/Node flags for the gateway and the worker (`--trace-gc-nvp` prints each collection)
const NODE_FLAGS = option('node-flags', '').split(' ').filter(Boolean);
const STORES = {
  dbName: 'llmgw_bench_outliers',
  prefix: `llmgw-outliers-${process.pid}`,
  dataDir: `/tmp/llmgw-outliers-${process.pid}`,
};
const processes = new Processes(true);
const out = (name) => `${STORES.dataDir}-${name}-stalls.json`;

async function sample(url, headers, body) {
  const r = await timedPost(url, headers, body);
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  return r;
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const round = (x) => Math.round(x * 100) / 100;
const overlapping = (records, from, to) => records.some((r) => r.at < to && r.at + r.ms > from);

async function main() {
  const upstreamPort = await freePort();
  const upstream = processes.start('upstream', 1, 'node', ['bench/fake-upstream.mjs', String(upstreamPort)]);
  await processes.listening(upstream);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const env = await setUpGateway({ ...STORES, upstreamUrl });
  const key = keyOf(
    cli(env, 'create-api-key', '--name', 'outliers', '--rate-limit', '100000000', '--monthly-budget', '1000000'),
  );
  const port = await freePort();
  const hook = ['--import=./bench/stall-hook.mjs', ...NODE_FLAGS];
  const gateway = processes.start('gateway', 0, 'node', [...hook, 'dist/src/main.js'], {
    ...env,
    STALL_OUT: out('gateway'),
    GATEWAY_HTTP_PORT: String(port),
    RUN_PROCESSORS: 'false',
  });
  const worker = processes.start('worker', 1, 'node', [...hook, 'dist/src/worker.js'], {
    ...env,
    STALL_OUT: out('worker'),
    WORKER_HTTP_PORT: String(await freePort()),
  });
  await until('gateway', async () => (await request(`http://127.0.0.1:${port}/health/ready`)).statusCode === 200);
  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Say hello' }],
    max_tokens: 64,
    stream: true,
    stream_options: { include_usage: true },
  });
  const gw = { url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: { authorization: `Bearer ${key}` } };
  const direct = { url: `${upstreamUrl}/v1/chat/completions`, headers: {} };
  for (let i = 0; i < 500; i++) await sample(gw.url, gw.headers, body); // warm-up
  const calls = { direct: [], gateway: [] };
  for (let i = 0; i < SAMPLES; i++) {
    calls.direct.push(await sample(direct.url, direct.headers, body));
    calls.gateway.push(await sample(gw.url, gw.headers, body));
  }
  gateway.kill('SIGUSR2');
  worker.kill('SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const from = calls.gateway[0].at;
  const to = calls.gateway.at(-1).at + 100;
  const recorded = (name) => {
    const all = JSON.parse(readFileSync(out(name), 'utf8'));
    rmSync(out(name), { force: true });
    return all.filter((r) => r.at >= from && r.at <= to);
  };
  const g = recorded('gateway');
  const w = recorded('worker');
  const stalls = (rs) => rs.filter((r) => r.type === 'stall');
  const gcs = (rs) => rs.filter((r) => r.type === 'gc');
  const gcKinds = {};
  for (const r of gcs(g)) (gcKinds[r.kind] ??= []).push(r.ms);
  const slow = calls.gateway.filter((c) => c.first > OVER_MS);
  const report = {
    date: new Date().toISOString(),
    samples: SAMPLES,
    seconds: round((to - from) / 1000),
    first_byte_ms: Object.fromEntries(
      Object.entries(calls).map(([name, cs]) => {
        const f = cs.map((c) => c.first);
        return [
          name,
          { p50: round(pct(f, 0.5)), p90: round(pct(f, 0.9)), p99: round(pct(f, 0.99)), max: round(pct(f, 1)) },
        ];
      }),
    ),
    gateway_gc: Object.fromEntries(
      Object.entries(gcKinds).map(([kind, ms]) => [
        kind,
        { count: ms.length, mean_ms: round(ms.reduce((a, b) => a + b, 0) / ms.length), max_ms: round(Math.max(...ms)) },
      ]),
    ),
    gateway_stalls: { count: stalls(g).length, ms: round(stalls(g).reduce((a, r) => a + r.ms, 0)) },
    worker_stalls: { count: stalls(w).length, ms: round(stalls(w).reduce((a, r) => a + r.ms, 0)) },
    [`gateway_calls_over_${OVER_MS}_ms`]: {
      count: slow.length,
      direct_calls_over: calls.direct.filter((c) => c.first > OVER_MS).length,
      with_a_gateway_stall: slow.filter((c) => overlapping(stalls(g), c.at, c.at + c.first)).length,
      with_a_worker_stall: slow.filter((c) => overlapping(stalls(w), c.at, c.at + c.first)).length,
      with_a_gateway_gc: slow.filter((c) => overlapping(gcs(g), c.at, c.at + c.first)).length,
    },
  };
  console.log(JSON.stringify(report, null, 2));
}

void runBench(main, processes, async () => {
  await processes.stop(1000);
  await tearDownGateway(STORES);
});
