// Where a lone call's added latency goes: sequential requests (one at a time) through the gateway and
// directly to the fake upstream, non-streamed and streamed, with the gateway's x-gateway-overhead-ms.
// `node bench/latency-probe.mjs [--samples N] [--inline]`; needs a build, PostgreSQL and Redis.
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

const { flag, option } = cliArgs();
const SAMPLES = Number(option('samples', 400));
const STORES = {
  dbName: 'llmgw_bench_probe',
  prefix: `llmgw-probe-${process.pid}`,
  dataDir: `/tmp/llmgw-probe-${process.pid}`,
};
const processes = new Processes(true);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];

async function sample(url, headers, body, stream) {
  const r = await timedPost(url, headers, body);
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  const overhead = Number(r.responseHeaders['x-gateway-overhead-ms'] ?? NaN);
  return { headers: r.headersMs, first: r.first, total: r.total, overhead, stream };
}

async function main() {
  const upstreamPort = await freePort();
  const upstream = processes.start('upstream', 1, 'node', ['bench/fake-upstream.mjs', String(upstreamPort)]);
  await processes.listening(upstream);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const env = await setUpGateway({ ...STORES, upstreamUrl });
  const key = keyOf(
    cli(env, 'create-api-key', '--name', 'probe', '--rate-limit', '100000000', '--monthly-budget', '1000000'),
  );
  const port = await freePort();
  const workerPort = await freePort();
  const inline = flag('inline');
  processes.start('gateway', 0, 'node', ['dist/src/main.js'], {
    ...env,
    GATEWAY_HTTP_PORT: String(port),
    RUN_PROCESSORS: inline ? 'true' : 'false',
  });
  if (!inline)
    processes.start('worker', 1, 'node', ['dist/src/worker.js'], { ...env, WORKER_HTTP_PORT: String(workerPort) });
  await until('gateway', async () => (await request(`http://127.0.0.1:${port}/health/ready`)).statusCode === 200);
  const gw = { url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: { authorization: `Bearer ${key}` } };
  const direct = { url: `${upstreamUrl}/v1/chat/completions`, headers: {} };
  const body = (stream) =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello' }],
      max_tokens: 64,
      stream,
    });
  for (let i = 0; i < 300; i++) await sample(gw.url, gw.headers, body(i % 2 === 0), false); // warm-up
  const rows = {};
  for (const [name, t] of [
    ['direct', direct],
    ['gateway', gw],
  ])
    for (const stream of [false, true]) {
      const xs = [];
      for (let i = 0; i < SAMPLES; i++) xs.push(await sample(t.url, t.headers, body(stream), stream));
      rows[`${name} ${stream ? 'stream' : 'json'}`] = {
        headers_p50: median(xs.map((x) => x.headers)),
        first_byte_p50: median(xs.map((x) => x.first)),
        first_byte_p99: p99(xs.map((x) => x.first)),
        total_p50: median(xs.map((x) => x.total)),
        overhead_header_p50: median(xs.map((x) => x.overhead)),
      };
    }
  for (const [k, v] of Object.entries(rows))
    console.log(
      k.padEnd(16),
      Object.entries(v)
        .map(([a, b]) => `${a} ${Number.isNaN(b) ? '-' : b.toFixed(2)}`)
        .join('  '),
    );
}

void runBench(main, processes, async () => {
  await processes.stop(1000);
  await tearDownGateway(STORES);
});
