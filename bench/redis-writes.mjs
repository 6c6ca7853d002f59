// What the hot Redis client's way of writing costs per command: ioredis auto-pipelining against plain writes,
// against writes coalesced by corking the socket, and coalesced writes of a pre-encoded EVALSHA (`encoded`, the
// hot scripts' way since the tenth session; needs a build). Each mode is a child process running the admission's
// shape of command (EVALSHA, 10 keys, 14 arguments) with as many Lua scripts defined as the gateway's hot
// client has (11), one at a time and 16 in flight. Modes take turns, round after round, so the machine's
// drift falls on all of them alike. Reports medians of the caller's CPU, wall time and Redis's CPU per command.
// `node bench/redis-writes.mjs [--rounds 5] [--commands 10000]`; needs Redis on BENCH_REDIS_URL.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { cliArgs } from './lib.mjs';

const MODES = ['auto-pipelining', 'plain', 'coalesced', 'encoded'];
const SCRIPTS = 11;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function child(mode, inflight, commands) {
  const coalesce = mode === 'coalesced' || mode === 'encoded';
  const r = new Redis(REDIS_URL, {
    enableAutoPipelining: mode === 'auto-pipelining',
    enableOfflineQueue: false,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
  });
  await new Promise((resolve) => r.once('ready', resolve));
  if (coalesce) {
    const { coalesceWrites } = await import('../dist/src/core/redis/coalesced-writes.js');
    coalesceWrites(r);
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (let i = 0; i < SCRIPTS; i++) r.defineCommand(`s${i}`, { numberOfKeys: 10, lua: `return ${i}` });
  const keys = Array.from({ length: 10 }, (_, i) => `{llmgw:bench}:key:0190f0f0-aaaa-bbbb:${i}`);
  const args = ['0190f0f0-aaaa-bbbb-cccc-ddddeeeeffff', 1000, '150', 64, 16, 1, 600000, 0, 1e8, -1, 1e15, 1, 2, 3];
  const info = async () => {
    const text = await r.info('cpu');
    const at = (k) => Number(text.match(new RegExp(`${k}:([0-9.]+)`))[1]);
    return at('used_cpu_sys') + at('used_cpu_user');
  };
  // `encoded`: the hot scripts' way (src/core/redis/encoded-script.ts): the keys and limits encoded once, a call
  // adding its own eight values
  const { HotScript, EncodedArgs } = await import('../dist/src/core/redis/encoded-script.js');
  const script = new HotScript('s3', 'return 3');
  const cachedKeys = new EncodedArgs(keys);
  const cachedLimits = new EncodedArgs(args.slice(8));
  const send =
    mode === 'encoded'
      ? () => script.call(r, 10, [cachedKeys, ...args.slice(0, 8), cachedLimits])
      : () => r.s3(...keys, ...args);
  for (let i = 0; i < 500; i++) await send();
  const redis0 = await info();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let sent = 0;
  const lane = async () => {
    while (sent < commands) {
      sent++;
      await send();
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const redis = (await info()) - redis0;
  r.disconnect();
  return {
    cpu_us: (cpu.user + cpu.system) / commands,
    wall_us: (wall * 1000) / commands,
    redis_cpu_us: (redis * 1e6) / commands,
  };
}

async function main() {
  const { option } = cliArgs();
  const rounds = Number(option('rounds', 5));
  const commands = Number(option('commands', 10000));
  const runs = [];
  for (let round = 0; round < rounds; round++)
    for (const inflight of [1, 16])
      for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
        const out = execFileSync(
          process.execPath,
          [fileURLToPath(import.meta.url), '--child', mode, String(inflight), String(commands)],
          { encoding: 'utf8' },
        );
        runs.push({ round, mode, inflight, ...JSON.parse(out) });
        process.stderr.write(`round ${round} ${mode} ${inflight}: ${out.trim()}\n`);
      }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = [];
  for (const inflight of [1, 16])
    for (const mode of MODES) {
      const mine = runs.filter((x) => x.mode === mode && x.inflight === inflight);
      rows.push({
        mode,
        inflight,
        cpu_us: median(mine.map((x) => x.cpu_us)),
        wall_us: median(mine.map((x) => x.wall_us)),
        redis_cpu_us: median(mine.map((x) => x.redis_cpu_us)),
      });
    }
  console.log('| mode | in flight | caller CPU µs/command | wall µs/command | Redis CPU µs/command |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const x of rows)
    console.log(
      `| ${x.mode} | ${x.inflight} | ${x.cpu_us.toFixed(1)} | ${x.wall_us.toFixed(1)} | ${x.redis_cpu_us.toFixed(1)} |`,
    );
  console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds, commands, rows, runs }));
}

if (process.argv[2] === '--child') {
  const [, , , mode, inflight, commands] = process.argv;
  child(mode, Number(inflight), Number(commands)).then((r) => process.stdout.write(JSON.stringify(r)));
} else await main();
