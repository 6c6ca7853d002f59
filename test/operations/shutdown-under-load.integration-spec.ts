import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { BillingJob, QueueName, type UsageJobData } from '#src/core/queue/queue.constants';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { type CallResult, chat, occurrences, sleep, usageRows } from '#test/operations/traffic';
import { startApi, startWorker, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { freePort, type Spawned, spawnBuilt, waitFor } from '#test/utils/processes';
import { billingJobsByCall, drainQueue, queueOf } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';
import { baseTestEnv } from '#test/utils/test-env';

/**
 * SPEC §9 under load, on the built processes production runs (dist/): SIGTERM while non-streamed calls and
 * slow streams are in flight. Readiness fails at once, the drain delay still serves new connections, then
 * every call in flight gets the grace period, a stream that outlives it is cut and billed as 499, every
 * admitted call is billed exactly once, and the process exits 0.
 */
const DRAIN_DELAY_MS = 1500;
const GRACE_MS = 5000;
/** The slow upstream: headers after UPSTREAM_DELAY_MS; streams then send WORDS chunks CHUNK_DELAY_MS apart. */
const UPSTREAM_DELAY_MS = 1000;
const CHUNK_DELAY_MS = 200;
const WORDS = 12;
const STREAM_MS = UPSTREAM_DELAY_MS + (WORDS + 1) * CHUNK_DELAY_MS;

const WAVE1 = { json: 16, streams: 8, stuck: 2 };
const WAVE2 = { json: 4, streams: 2 };

interface LoadRun {
  proc: Spawned;
  exitCode: number | null;
  sigAt: number;
  exitedAt: number;
  readyAfterSignal: number;
  readyAfterSignalMs: number;
  liveDuringDrain: number[];
  /** Calls in flight at SIGTERM that must finish (slow model). */
  inFlight: CallResult[];
  /** Calls started during the drain delay, on new connections. */
  duringDrain: CallResult[];
  /** Streams that never end upstream: cut when the grace period is over. */
  stuck: CallResult[];
}

describe('graceful shutdown under load (built processes)', () => {
  let fixtures: TestApp;
  let slow: FakeOpenAi;
  let stuck: FakeOpenAi;
  let key: { id: string; key: string };
  let slowModel: { id: string; name: string };
  let billing: Queue;

  beforeAll(async () => {
    await resetState();
    slow = await new FakeOpenAi().start();
    stuck = await new FakeOpenAi().start();
    // only creates the providers, models and key, and reads the queue: no processors in this process
    fixtures = await startApi({ RUN_PROCESSORS: 'false' });
    const slowProvider = await createProvider(fixtures, { baseUrl: slow.url, name: 'slow-upstream' });
    const stuckProvider = await createProvider(fixtures, { baseUrl: stuck.url, name: 'stuck-upstream' });
    slowModel = await createModel(fixtures, { providerId: slowProvider.id, name: 'slow-model' });
    await createModel(fixtures, { providerId: stuckProvider.id, name: 'stuck-model' });
    key = await createKey(fixtures, { name: 'load' });
    billing = queueOf(fixtures, QueueName.Billing);
  });

  afterAll(async () => {
    await fixtures?.close();
    await slow?.stop();
    await stuck?.stop();
  });

  beforeEach(() => {
    const reply = Array.from({ length: WORDS }, (_, i) => `word${i}`).join(' ');
    slow.reset({ delayMs: UPSTREAM_DELAY_MS, chunkDelayMs: CHUNK_DELAY_MS, reply });
    stuck.reset({ hang: true, chunkDelayMs: 20 });
  });

  /** Starts the API, loads it, sends SIGTERM mid-load and records what every client saw. */
  async function terminateUnderLoad(env: Record<string, string>): Promise<LoadRun> {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = spawnBuilt('main', [], {
      ...baseTestEnv(),
      GATEWAY_HTTP_PORT: String(port),
      SHUTDOWN_DRAIN_DELAY: `${DRAIN_DELAY_MS}ms`,
      SHUTDOWN_GRACE_PERIOD: `${GRACE_MS}ms`,
      ...env,
    });
    try {
      await waitFor(async () => ((await fetch(`${base}/health/ready`)).status === 200 ? true : undefined), 30_000);
      const wave1 = [
        ...Array.from({ length: WAVE1.json }, () => chat(base, key.key, 'slow-model')),
        ...Array.from({ length: WAVE1.streams }, () => chat(base, key.key, 'slow-model', { stream: true })),
      ];
      const stuckCalls = Array.from({ length: WAVE1.stuck }, () =>
        chat(base, key.key, 'stuck-model', { stream: true }),
      );
      // every call has reached its upstream: all of them are in flight in the gateway
      await waitFor(
        async () =>
          slow.requests.length >= WAVE1.json + WAVE1.streams && stuck.requests.length >= WAVE1.stuck ? true : undefined,
        10_000,
        10,
      );
      const exited = proc.exited.then((code) => ({ code, at: Date.now() }));
      const sigAt = Date.now();
      proc.child.kill('SIGTERM');

      const ready = await waitFor(
        async () => {
          const res = await fetch(`${base}/health/ready`);
          return res.status === 503 ? res.status : undefined;
        },
        1000,
        20,
      );
      const readyAfterSignalMs = Date.now() - sigAt;
      // new connections are still served during the drain delay
      const wave2 = [
        ...Array.from({ length: WAVE2.json }, () => chat(base, key.key, 'slow-model')),
        ...Array.from({ length: WAVE2.streams }, () => chat(base, key.key, 'slow-model', { stream: true })),
      ];
      const liveDuringDrain: number[] = [];
      while (Date.now() - sigAt < DRAIN_DELAY_MS - 300) {
        liveDuringDrain.push((await fetch(`${base}/health/live`)).status);
        await sleep(100);
      }
      const [inFlight, duringDrain, stuckResults, exit] = await Promise.all([
        Promise.all(wave1),
        Promise.all(wave2),
        Promise.all(stuckCalls),
        exited,
      ]);
      return {
        proc,
        exitCode: exit.code,
        sigAt,
        exitedAt: exit.at,
        readyAfterSignal: ready,
        readyAfterSignalMs,
        liveDuringDrain,
        inFlight,
        duringDrain,
        stuck: stuckResults,
      };
    } finally {
      proc.child.kill('SIGKILL');
    }
  }

  /** What every load run must show, whichever process bills. */
  function expectGracefulRun(run: LoadRun): void {
    const log = run.proc.output();
    expect({ exitCode: run.exitCode, log: run.exitCode === 0 ? '' : log }).toEqual({ exitCode: 0, log: '' });
    expect(log).toContain('shutdown complete');
    // readiness failed at once, liveness stayed up through the drain delay
    expect(run.readyAfterSignal).toBe(503);
    expect(run.readyAfterSignalMs).toBeLessThan(500);
    expect(run.liveDuringDrain.length).toBeGreaterThanOrEqual(3);
    expect(run.liveDuringDrain.every((s) => s === 200)).toBe(true);

    // nothing in flight was cut short: every call answered, every stream ended with [DONE]
    for (const r of [...run.inFlight, ...run.duringDrain]) {
      expect({ kind: r.kind, status: r.status, cut: r.cut, done: r.kind === 'json' || r.done }).toEqual({
        kind: r.kind,
        status: 200,
        cut: false,
        done: true,
      });
      expect(r.callId).toMatch(/^[0-9a-f-]{36}$/);
    }
    for (const r of run.inFlight.filter((x) => x.kind === 'json'))
      expect(JSON.parse(r.text)).toMatchObject({
        choices: [{ message: { content: expect.stringContaining('word11') } }],
      });
    // the streams were still running when the listener closed: the grace period is what let them finish
    const listenerClosedAt = run.sigAt + DRAIN_DELAY_MS;
    const streams = [...run.inFlight, ...run.duringDrain].filter((r) => r.kind === 'stream');
    expect(streams.every((r) => r.endedAt > listenerClosedAt)).toBe(true);
    expect(streams.every((r) => r.endedAt - r.startedAt >= STREAM_MS - 100)).toBe(true);

    // the never-ending streams were cut when the grace period ran out, not before
    for (const r of run.stuck) {
      expect(r.status).toBe(200);
      expect(r.done).toBe(false);
      expect(r.cut || !r.done).toBe(true);
      expect(r.endedAt).toBeGreaterThanOrEqual(listenerClosedAt + GRACE_MS - 100);
    }
    expect(stuck.requests.every((q) => q.aborted)).toBe(true);
    // and the process did not linger after that
    expect(run.exitedAt - run.sigAt).toBeGreaterThanOrEqual(DRAIN_DELAY_MS + GRACE_MS - 100);
    expect(run.exitedAt - run.sigAt).toBeLessThan(DRAIN_DELAY_MS + GRACE_MS + 5000);
  }

  const admittedIds = (run: LoadRun): string[] =>
    [...run.inFlight, ...run.duringDrain, ...run.stuck].map((r) => r.callId!);

  async function expectBilledOnce(run: LoadRun): Promise<void> {
    const ids = admittedIds(run);
    expect(new Set(ids).size).toBe(WAVE1.json + WAVE1.streams + WAVE1.stuck + WAVE2.json + WAVE2.streams);
    const rows = await usageRows(ids);
    expect(Object.values(occurrences(ids, rows)).every((n) => n === 1)).toBe(true);
    const byId = new Map(rows.map((r) => [r.call_id, r]));
    for (const r of [...run.inFlight, ...run.duringDrain])
      expect(byId.get(r.callId!)).toMatchObject({ status: 200, stream: r.kind === 'stream' });
    // cut by the shutdown, billed as a client that went away (SPEC §3)
    for (const r of run.stuck)
      expect(byId.get(r.callId!)).toMatchObject({ status: 499, stream: true, error_code: 'client_closed_request' });
  }

  it('API with inline processors: serves through the drain delay, finishes calls and streams in flight, cuts and bills what outlives the grace period, loses no billing event, exits 0', async () => {
    const run = await terminateUnderLoad({});
    expectGracefulRun(run);

    // at exit, every admitted call is either written already or safely in the billing queue (none failed, none lost)
    const ids = admittedIds(run);
    const written = new Set((await usageRows(ids)).map((r) => r.call_id));
    const queued = await billingJobsByCall(billing);
    const states = ids.map((id) => (written.has(id) ? 'written' : (queued.get(id)?.state ?? 'missing')));
    expect(states.filter((s) => !['written', 'waiting', 'completed'].includes(s))).toEqual([]);
    // whatever the API left queued, the next processor writes: then every call is billed exactly once
    const worker = await startWorker();
    try {
      await drainQueue(worker, QueueName.Billing);
      await expectBilledOnce(run);
    } finally {
      await worker.close();
    }
  });

  it('API with RUN_PROCESSORS=false: every billing event reaches the queue before exit and the separate worker writes it once', async () => {
    const workerPort = await freePort();
    const worker = spawnBuilt('worker', [], {
      ...baseTestEnv(),
      WORKER_HTTP_PORT: String(workerPort),
      SHUTDOWN_DRAIN_DELAY: '0ms',
    });
    try {
      await waitFor(async () =>
        (await fetch(`http://127.0.0.1:${workerPort}/health/ready`)).status === 200 ? true : undefined,
      );
      const run = await terminateUnderLoad({ RUN_PROCESSORS: 'false' });
      expectGracefulRun(run);
      const ids = admittedIds(run);
      // each event went through the queue in a batch job, processed by the worker process
      await waitFor(async () => ((await usageRows(ids)).length === ids.length ? true : undefined), 15_000);
      const queued = await billingJobsByCall(billing);
      expect(ids.map((id) => [queued.get(id)?.job.name, queued.get(id)?.state])).toEqual(
        ids.map(() => [BillingJob.RecordUsageBatch, 'completed']),
      );
      await expectBilledOnce(run);
      expect(run.proc.output()).not.toContain('billing enqueue failed');

      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  it('worker: on SIGTERM it finishes the jobs it is running, then exits 0, leaving the rest queued', async () => {
    const port = await freePort();
    const worker = spawnBuilt('worker', [], {
      ...baseTestEnv(),
      WORKER_HTTP_PORT: String(port),
      SHUTDOWN_DRAIN_DELAY: '0ms',
    });
    // holds every usage insert until released: the worker's jobs stay active
    const locker = new Client({ connectionString: baseTestEnv().DATABASE_URL });
    await locker.connect();
    try {
      await waitFor(async () =>
        (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
      );
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE usage_records IN EXCLUSIVE MODE');
      const now = new Date();
      const jobs: UsageJobData[] = Array.from({ length: 40 }, (_, i) => ({
        callId: crypto.randomUUID(),
        clientRequestId: null,
        apiKeyId: key.id,
        apiKeyName: 'load',
        modelId: slowModel.id,
        modelName: slowModel.name,
        alias: null,
        providerId: null,
        providerName: 'slow-upstream',
        endpoint: 'chat',
        promptTokens: 10 + i,
        completionTokens: 5,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        costUsd: '0.000001',
        costNanos: 1000,
        estimated: false,
        unpriced: false,
        status: 200,
        errorCode: null,
        stream: false,
        latencyMs: 100,
        ttftMs: 100,
        overheadMs: 1,
        createdAt: now.toISOString(),
        month: now.toISOString().slice(0, 7),
      }));
      await billing.addBulk(jobs.map((data) => ({ name: BillingJob.RecordUsage, data, opts: { jobId: data.callId } })));
      const active = await waitFor(
        async () => {
          const c = await billing.getJobCounts('active');
          return c.active > 0 ? await billing.getJobs(['active']) : undefined;
        },
        10_000,
        50,
      );
      await sleep(300); // let the worker take up to its concurrency
      const activeIds = (await billing.getJobs(['active'])).map((j) => j.id!);
      expect(activeIds.length).toBeGreaterThanOrEqual(active.length);

      worker.child.kill('SIGTERM');
      await sleep(1500);
      // still waiting on its active jobs, not killed by its own shutdown
      expect(worker.child.exitCode).toBeNull();
      await locker.query('COMMIT');

      expect(await worker.exited).toBe(0);
      expect(worker.output()).toContain('shutdown complete');
      const counts = await billing.getJobCounts('active', 'failed', 'waiting', 'completed');
      expect(counts).toMatchObject({ active: 0, failed: 0 });
      // the jobs it had taken are written; the others wait for the next worker; none is lost
      const rows = await usageRows(jobs.map((j) => j.callId));
      const written = new Set(rows.map((r) => r.call_id));
      expect(activeIds.every((id) => written.has(id))).toBe(true);
      expect(rows.length + counts.waiting).toBe(jobs.length);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      worker.child.kill('SIGKILL');
    }
  });
});
