// Instructions per call through the gateway, counted by valgrind's callgrind: the same build, inputs and
// environment give the same count whatever else the machine does, so a change of a few percent shows where
// CPU time per call (which moves 10-20 % between runs on this machine) cannot.
//
// `node bench/instructions.mjs [--calls N] [--warmup N] [--concurrency C] [--body-kb N] [--messages-stream] [--inline]
// [--compare DIR] [--node-flags "F"]`
// needs a build, PostgreSQL, Redis and valgrind. Each build gets its own database and Redis prefix; its API
// process runs under callgrind with instrumentation off until the warm-up is done, then on for the measured
// calls only (every thread of the process counted: JavaScript, libuv, V8's helpers), then off again. The
// fake upstream and the worker run natively. Under callgrind a call takes tens of milliseconds, so timers
// (billing and audit batches) fire after nearly every call: the count is for comparing builds, not an
// absolute CPU cost.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import {
  cliArgs,
  cliIn,
  freePort,
  keyOf,
  Processes,
  ROOT,
  runBench,
  setUpGateway,
  tearDownGateway,
  until,
} from './lib.mjs';

const { flag, option } = cliArgs();
const CALLS = Number(option('calls', 1000));
const WARMUP = Number(option('warmup', 1500));
const CONCURRENCY = Number(option('concurrency', 1));
const INLINE = flag('inline');
const COMPARE = option('compare', null);
// `--node-flags "F G"`: V8/Node flags for this checkout's gateway only (not the `--compare` build's): a flag measured
// against a run without it
const NODE_FLAGS = option('node-flags', '').split(' ').filter(Boolean);
const processes = new Processes(false);
const stores = [];

// `--body-kb N`: a system prompt of about N KB, as coding agents send (each call the same, as in a session)
const BODY_KB = Number(option('body-kb', 0));
const SYSTEM = 'You are a careful coding agent. Read the files, then change them. '.repeat(
  Math.ceil((BODY_KB * 1024) / 64),
);
// `--messages-stream`: Claude Code's call instead, a streamed `/v1/messages` to an Anthropic provider (the fake
// upstream streams 200 text deltas)
const MESSAGES = flag('messages-stream');
const BODY = JSON.stringify({
  model: MESSAGES ? 'claude-bench' : 'gpt-4o-mini',
  ...(MESSAGES && BODY_KB > 0 ? { system: SYSTEM.slice(0, BODY_KB * 1024) } : {}),
  messages: [
    ...(!MESSAGES && BODY_KB > 0 ? [{ role: 'system', content: SYSTEM.slice(0, BODY_KB * 1024) }] : []),
    { role: 'user', content: 'Say hello' },
  ],
  max_tokens: 64,
  ...(MESSAGES ? { stream: true } : {}),
});
const PATH = MESSAGES ? '/v1/messages' : '/v1/chat/completions';
const HEADERS = MESSAGES ? { 'anthropic-version': '2023-06-01' } : {};

async function calls(url, key, n) {
  let next = 0;
  const loop = async () => {
    while (next++ < n) {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...HEADERS },
        body: BODY,
      });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
}

const totalsOf = (file) => Number(/^totals: (\d+)/m.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);

/** One build's instructions per call: `root` is a checkout with a build. */
async function measure(root, label, upstreamUrl) {
  const st = {
    dbName: `llmgw_bench_instr_${label}`,
    prefix: `llmgw-instr-${label}-${process.pid}`,
    dataDir: `/tmp/llmgw-instr-${label}-${process.pid}`,
  };
  stores.push(st);
  const env = await setUpGateway({ ...st, upstreamUrl, root });
  const key = keyOf(
    cliIn(root, env, 'create-api-key', '--name', 'instr', '--rate-limit', '100000000', '--monthly-budget', '1000000'),
  );
  const out = mkdtempSync(join(tmpdir(), 'llmgw-callgrind-'));
  const port = await freePort();
  // callgrind slows the process 50-100 times: Redis replies and health checks must not time out
  const slow = { REDIS_COMMAND_TIMEOUT: '30000', RUN_PROCESSORS: INLINE ? 'true' : 'false' };
  const gateway = processes.start(
    `gateway ${label}`,
    0,
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all-non-file',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${out}/callgrind.out`,
      'node',
      ...(root === ROOT ? NODE_FLAGS : []),
      join(root, 'dist/src/main.js'),
    ],
    { ...env, ...slow, GATEWAY_HTTP_PORT: String(port) },
  );
  if (!INLINE)
    processes.start(`worker ${label}`, 1, 'node', [join(root, 'dist/src/worker.js')], {
      ...env,
      WORKER_HTTP_PORT: String(await freePort()),
    });
  await until(
    `the gateway ${label}`,
    async () => (await request(`http://127.0.0.1:${port}/health/ready`)).statusCode === 200,
    300_000,
    1000,
  );
  const url = `http://127.0.0.1:${port}${PATH}`;
  await calls(url, key, WARMUP);
  execFileSync('callgrind_control', ['--instr=on', String(gateway.pid)]);
  const t0 = Date.now();
  await calls(url, key, CALLS);
  execFileSync('callgrind_control', ['--instr=off', String(gateway.pid)]);
  const seconds = (Date.now() - t0) / 1000;
  gateway.kill('SIGTERM');
  await new Promise((r) => gateway.once('exit', r));
  // one file per thread: the main thread (JavaScript, the event loop, scavenges) is the first; the others are
  // V8's compiler and GC helpers and libuv's pool, whose share moves with timing
  const perThread = readdirSync(out)
    .filter((f) => /^callgrind\.out-\d+$/.test(f))
    .map((f) => ({ thread: Number(f.split('-').pop()), total: totalsOf(join(out, f)) }))
    .sort((a, b) => a.thread - b.thread);
  const total = perThread.reduce((sum, t) => sum + t.total, 0);
  if (!process.env.KEEP) rmSync(out, { recursive: true, force: true });
  return {
    label,
    instructions_per_call: Math.round(total / CALLS),
    main_thread_per_call: Math.round(perThread[0].total / CALLS),
    // by thread number: 1 is the main thread; V8's compiler and GC helpers and libuv's pool follow
    threads_per_call: Object.fromEntries(perThread.map((t) => [t.thread, Math.round(t.total / CALLS)])),
    calls: CALLS,
    seconds,
  };
}

async function main() {
  const upstreamPort = await freePort();
  const upstream = processes.start('upstream', 1, 'node', ['bench/fake-upstream.mjs', String(upstreamPort)]);
  await processes.listening(upstream);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const label = (root) =>
    execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const rows = [await measure(ROOT, label(ROOT), upstreamUrl)];
  if (COMPARE) rows.push(await measure(resolve(COMPARE), label(resolve(COMPARE)), upstreamUrl));
  const result = {
    date: new Date().toISOString(),
    command: `node bench/instructions.mjs ${process.argv.slice(2).join(' ')}`,
    node: process.version,
    warmup: WARMUP,
    concurrency: CONCURRENCY,
    body_bytes: Buffer.byteLength(BODY),
    call: MESSAGES ? 'streamed /v1/messages to an Anthropic provider' : '/v1/chat/completions',
    processors: INLINE ? 'in the API process' : 'separate worker',
    rows,
  };
  console.log(JSON.stringify(result, null, 2));
  if (rows.length === 2)
    for (const k of ['instructions_per_call', 'main_thread_per_call'])
      console.error(
        `${k}: ${rows[0].label} against ${rows[1].label}: ${(100 * (rows[0][k] / rows[1][k] - 1)).toFixed(1)} %`,
      );
}

void runBench(main, processes, async () => {
  await processes.stop(2000);
  for (const st of stores) await tearDownGateway(st);
});
