// What enqueueing billing events costs the API process (run by hand, not in CI):
// `node bench/billing-enqueue.mjs [--events N]`.
//
// The gateway sends call-completed events to the BullMQ billing queue off the response path, in batches
// (one `record-usage-batch` job every 10 ms or 200 events, src/modules/billing/billing-enqueuer.service.ts).
// This measures, on the real Redis, the CPU time of this process per event and the events/s for one job per
// event (`add`, and `addBulk` of 200 jobs, the gateway's earlier design) against one job per batch of 20 and
// of 200 events, with the gateway's payload. Nothing consumes the queue; it is deleted afterwards.
import { cpuUsage } from 'node:process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = option('events', 20_000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `{llmgw-bench-enqueue-${process.pid}}:bull`;

const job = (i) => ({
  callId: `01a2${String(i).padStart(28, '0')}`,
  clientRequestId: null,
  apiKeyId: '01a20854-0df7-77dc-9e81-5794e96c1ed6',
  apiKeyName: 'my-app',
  modelId: '01a20854-0573-75ca-a2af-745326d58d8f',
  modelName: 'gpt-4o-mini',
  alias: null,
  providerId: '01a20853-f822-74b8-b183-3d07c917ea40',
  providerName: 'openai',
  endpoint: 'chat',
  promptTokens: 12,
  completionTokens: 10,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  costUsd: '0.0000078',
  costNanos: 7800,
  estimated: false,
  unpriced: false,
  status: 200,
  errorCode: null,
  stream: false,
  latencyMs: 3.4,
  ttftMs: 3.4,
  overheadMs: 0.4,
  createdAt: new Date().toISOString(),
  month: '2026-11',
});

async function measure(name, queue, run) {
  const c0 = cpuUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const c = cpuUsage(c0);
  const cpuUs = c.user + c.system;
  return {
    mode: name,
    events: EVENTS,
    seconds: +(ms / 1000).toFixed(2),
    events_per_s: Math.round(EVENTS / (ms / 1000)),
    cpu_us_per_event: +(cpuUs / EVENTS).toFixed(1),
  };
}

const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue('billing', { connection, prefix });
await queue.waitUntilReady();
const opts = { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true };

const results = [];
results.push(
  await measure('add per event (64 in flight)', queue, async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < EVENTS) {
          const i = next++;
          await queue.add('record-usage', job(i), { ...opts, jobId: `a${i}` });
        }
      }),
    );
  }),
);
await queue.obliterate({ force: true });
results.push(
  await measure('addBulk of 200', queue, async () => {
    for (let i = 0; i < EVENTS; i += 200) {
      const batch = [];
      for (let j = i; j < Math.min(EVENTS, i + 200); j++)
        batch.push({ name: 'record-usage', data: job(j), opts: { ...opts, jobId: `b${j}` } });
      await queue.addBulk(batch);
    }
  }),
);
await queue.obliterate({ force: true });
for (const size of [20, 200]) {
  results.push(
    await measure(`one batch job per ${size} events (the gateway)`, queue, async () => {
      for (let i = 0; i < EVENTS; i += size) {
        const events = [];
        for (let j = i; j < Math.min(EVENTS, i + size); j++) events.push(job(j));
        await queue.add('record-usage-batch', { events }, opts);
      }
    }),
  );
  await queue.obliterate({ force: true });
}
await queue.close();
connection.disconnect();

console.log(`billing enqueue, ${new Date().toISOString()}, node ${process.version}, Redis ${REDIS_URL}`);
console.log('| mode | events | seconds | events/s | CPU µs per event (this process) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of results)
  console.log(`| ${r.mode} | ${r.events} | ${r.seconds} | ${r.events_per_s} | ${r.cpu_us_per_event} |`);
