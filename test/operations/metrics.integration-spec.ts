import { Client } from 'pg';
import { QueueName } from '#src/core/queue/queue.constants';
import { parseMetrics, type Sample } from '#test/deploy/dashboard';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { type CallResult, chat } from '#test/operations/traffic';
import { startApi, startWorker, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { freePort, type Spawned, spawnBuilt, waitFor } from '#test/utils/processes';
import { billingJobsByCall, drainQueue, queueOf } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';
import { baseTestEnv } from '#test/utils/test-env';

/**
 * SPEC §9 metrics after real traffic through the built API (its own process, so its registry holds exactly
 * this traffic, as deployed: RUN_PROCESSORS=false) and the worker role's gauges. test/deploy/
 * running-apps.integration-spec.ts already checks that the dashboard's metrics and labels exist; this checks
 * the values: counts per model/provider/status, `unknown` for a model the client made up, tokens by type
 * and cost equal to what billing wrote, no ids in any label, and which role exports the queue gauges.
 */
const PROVIDER = 'openai-primary';
const MODEL = 'gpt-4o-mini';
/** What a client typed for a model that does not exist: must never become a label value. */
const TYPED_UNKNOWN = 'my-made-up-model-7f3c';
const CLIENT_REQUEST_ID = 'client-req-42.a';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

describe('/metrics after a test run of real traffic', () => {
  let fixtures: TestApp;
  let upstream: FakeOpenAi;
  let api: Spawned;
  let apiUrl: string;
  let text: string;
  let samples: Sample[];
  let calls: Record<string, CallResult[]>;
  let keys: { id: string; key: string }[];

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    fixtures = await startApi({ RUN_PROCESSORS: 'false' });
    const provider = await createProvider(fixtures, { baseUrl: upstream.url, name: PROVIDER });
    await createModel(fixtures, { providerId: provider.id, name: MODEL });
    const plain = await createKey(fixtures, { name: 'plain' });
    const limited = await createKey(fixtures, { name: 'limited', rateLimit: 1 });
    const broke = await createKey(fixtures, { name: 'broke', monthlyBudget: 0 });
    keys = [plain, limited, broke];

    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = spawnBuilt('main', [], { ...baseTestEnv(), GATEWAY_HTTP_PORT: String(port), RUN_PROCESSORS: 'false' });
    await waitFor(async () => ((await fetch(`${apiUrl}/health/ready`)).status === 200 ? true : undefined), 30_000);

    const headers = { 'x-request-id': CLIENT_REQUEST_ID };
    upstream.reset({ usage: { prompt_tokens: 30, completion_tokens: 10, cached: 8, reasoning: 4 } });
    calls = {
      ok: [await chat(apiUrl, plain.key, MODEL, { headers }), await chat(apiUrl, plain.key, MODEL)],
      streamed: [await chat(apiUrl, plain.key, MODEL, { stream: true })],
      unknown: [await chat(apiUrl, plain.key, TYPED_UNKNOWN)],
      limitedOk: [await chat(apiUrl, limited.key, MODEL)],
      rateLimited: [await chat(apiUrl, limited.key, MODEL)],
      overBudget: [await chat(apiUrl, broke.key, MODEL)],
    };
    upstream.reset({ error: { status: 500, body: { error: { message: 'boom', type: 'server_error' } } } });
    calls.upstreamError = [await chat(apiUrl, plain.key, MODEL)];
    upstream.reset();

    // call metrics are recorded from the call events, just after each response
    await waitFor(async () => {
      const t = await (await fetch(`${apiUrl}/metrics`)).text();
      return value(parseMetrics(t), 'llmgw_requests_total') >= 8 ? t : undefined;
    }, 5000).then((t) => {
      text = t;
      samples = parseMetrics(t);
    });
  });

  afterAll(async () => {
    api?.child.kill('SIGTERM');
    if (api) await api.exited;
    await fixtures?.close();
    await upstream?.stop();
  });

  it('made the traffic it meant to: OK, streamed, unknown model, rate limited, over budget, upstream error', () => {
    const statuses = Object.fromEntries(Object.entries(calls).map(([k, rs]) => [k, rs.map((r) => r.status)]));
    expect(statuses).toEqual({
      ok: [200, 200],
      streamed: [200],
      unknown: [404],
      limitedOk: [200],
      rateLimited: [429],
      overBudget: [429],
      upstreamError: [502],
    });
    expect(calls.streamed[0].done).toBe(true);
  });

  it('counts requests by resolved model, provider and status; a made-up model is `unknown`', () => {
    const requests = samples.filter((s) => s.name === 'llmgw_requests_total');
    expect(requests.every((s) => Object.keys(s.labels).sort().join() === 'model,provider,status')).toBe(true);
    expect(value(samples, 'llmgw_requests_total', { model: MODEL, provider: PROVIDER, status: '200' })).toBe(4);
    expect(value(samples, 'llmgw_requests_total', { model: MODEL, provider: PROVIDER, status: '502' })).toBe(1);
    expect(value(samples, 'llmgw_requests_total', { model: MODEL, status: '429' })).toBe(2);
    expect(value(samples, 'llmgw_requests_total', { model: 'unknown', provider: 'unknown', status: '404' })).toBe(1);
    expect(value(samples, 'llmgw_requests_total')).toBe(8);
    // the refused calls carry the provider of their model or `unknown`, never anything else
    expect(
      requests.filter((s) => s.labels.status === '429').every((s) => [PROVIDER, 'unknown'].includes(s.labels.provider)),
    ).toBe(true);
    expect(text).not.toContain(TYPED_UNKNOWN);
    // the duration histogram saw every request, with the same labels
    expect(value(samples, 'llmgw_request_duration_seconds_count')).toBe(8);
    expect(value(samples, 'llmgw_request_duration_seconds_count', { model: 'unknown', status: '404' })).toBe(1);
  });

  it('times the admitted calls: overhead, upstream and time to first token, in buckets from 100 µs to minutes', () => {
    const admitted = { model: MODEL, provider: PROVIDER };
    expect(value(samples, 'llmgw_overhead_seconds_count', admitted)).toBe(5);
    expect(value(samples, 'llmgw_upstream_duration_seconds_count', admitted)).toBe(5);
    expect(value(samples, 'llmgw_upstream_duration_seconds_count', { ...admitted, status: '502' })).toBe(1);
    expect(value(samples, 'llmgw_time_to_first_token_seconds_count', admitted)).toBe(4);
    // refused calls never reached a provider: no overhead or upstream sample for them
    expect(samples.some((s) => s.name.startsWith('llmgw_overhead_seconds') && s.labels.model === 'unknown')).toBe(
      false,
    );
    const buckets = (name: string): number[] =>
      [
        ...new Set(
          samples
            .filter((s) => s.name === `${name}_bucket`)
            .map((s) => (s.labels.le === '+Inf' ? Infinity : Number(s.labels.le))),
        ),
      ].sort((a, b) => a - b);
    const overhead = buckets('llmgw_overhead_seconds');
    expect(overhead.filter((le) => le < 0.001).length).toBeGreaterThanOrEqual(3);
    expect(overhead.at(-1)).toBe(Infinity);
    const latency = buckets('llmgw_request_duration_seconds');
    expect(latency.some((le) => le <= 0.05)).toBe(true);
    expect(latency.some((le) => le >= 60 && le < Infinity)).toBe(true);
    for (const name of ['llmgw_upstream_duration_seconds', 'llmgw_time_to_first_token_seconds'])
      expect(buckets(name)).toEqual(latency);
    // the gateway's own time is part of the whole call's, and is counted in the buckets it falls in
    const overheadSum = value(samples, 'llmgw_overhead_seconds_sum', admitted);
    expect(overheadSum).toBeGreaterThan(0);
    expect(overheadSum).toBeLessThan(value(samples, 'llmgw_request_duration_seconds_sum', admitted));
    expect(value(samples, 'llmgw_overhead_seconds_bucket', { ...admitted, le: '+Inf' })).toBe(5);
  });

  it('counts refusals by model, and tokens by type and cost equal to what billing wrote', async () => {
    expect(value(samples, 'llmgw_rate_limited_total', { model: MODEL })).toBe(1);
    expect(value(samples, 'llmgw_budget_exceeded_total', { model: MODEL })).toBe(1);
    expect(samples.some((s) => s.name === 'llmgw_log_records_dropped_total')).toBe(true);
    expect(value(samples, 'llmgw_unmetered_calls_total')).toBe(0);

    // the worker writes the billing events these calls queued; its usage rows are the reference
    const worker = await startWorker();
    try {
      await drainQueue(worker, QueueName.Billing);
    } finally {
      await worker.close();
    }
    const db = new Client({ connectionString: baseTestEnv().DATABASE_URL });
    await db.connect();
    let sums: Record<string, string>;
    try {
      sums = (
        await db.query<Record<string, string>>(
          `SELECT count(*) AS n, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion,
                  sum(cache_read_tokens) AS cache_read, sum(cache_write_tokens) AS cache_write,
                  sum(reasoning_tokens) AS reasoning, sum(cost_usd) AS cost FROM usage_records`,
        )
      ).rows[0];
    } finally {
      await db.end();
    }
    expect(Number(sums.n)).toBe(5);
    for (const type of ['prompt', 'completion', 'cache_read', 'reasoning'] as const) {
      expect({ type, n: value(samples, 'llmgw_tokens_total', { model: MODEL, provider: PROVIDER, type }) }).toEqual({
        type,
        n: Number(sums[type]),
      });
    }
    expect(value(samples, 'llmgw_tokens_total', { type: 'cache_read' })).toBe(8 * 4);
    expect(value(samples, 'llmgw_tokens_total', { type: 'reasoning' })).toBe(4 * 4);
    expect(value(samples, 'llmgw_tokens_total', { type: 'cache_write' })).toBe(Number(sums.cache_write));
    const tokenTypes = new Set(samples.filter((s) => s.name === 'llmgw_tokens_total').map((s) => s.labels.type));
    expect(
      [...tokenTypes].every((t) => ['prompt', 'completion', 'cache_read', 'cache_write', 'reasoning'].includes(t)),
    ).toBe(true);
    const cost = value(samples, 'llmgw_cost_usd_total', { model: MODEL, provider: PROVIDER });
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeCloseTo(Number(sums.cost), 12);
  });

  it('puts no request, call or key id (nor the client request id or an API key) in any label value', () => {
    const ours = samples.filter((s) => s.name.startsWith('llmgw_'));
    const values = ours.flatMap((s) => Object.values(s.labels));
    expect(values.filter((v) => UUID.test(v))).toEqual([]);
    const secrets = [
      CLIENT_REQUEST_ID,
      ...keys.flatMap((k) => [k.id, k.key]),
      ...Object.values(calls).flatMap((rs) => rs.map((r) => r.callId ?? '')),
    ].filter(Boolean);
    expect(secrets.filter((s) => text.includes(s))).toEqual([]);
    const labelNames = new Set(ours.flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual(['le', 'model', 'provider', 'status', 'type']);
  });

  it('exports the queue gauges from the worker role only: the worker has them, this API (RUN_PROCESSORS=false) not', async () => {
    expect(samples.some((s) => s.name.startsWith('process_cpu_user_seconds_total'))).toBe(true);
    expect(text).not.toMatch(/llmgw_queue_jobs|llmgw_log_buffer_records/);

    const worker = await startWorker();
    try {
      await drainQueue(worker, QueueName.Billing);
      const workerText = await (await fetch(`${worker.url}/metrics`)).text();
      const ws = parseMetrics(workerText);
      const queueJobs = ws.filter((s) => s.name === 'llmgw_queue_jobs');
      expect(queueJobs.every((s) => Object.keys(s.labels).sort().join() === 'queue,state')).toBe(true);
      const queues = new Set(queueJobs.map((s) => s.labels.queue));
      expect(queues).toEqual(new Set(Object.values(QueueName)));
      const states = new Set(queueJobs.map((s) => s.labels.state));
      expect(states).toEqual(
        new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed']),
      );
      // the billing jobs of this run (its calls, in one or more batches) are read from BullMQ, not made up
      const billing = queueOf(worker, QueueName.Billing);
      expect((await billingJobsByCall(billing, ['completed'])).size).toBe(5);
      const { completed } = await billing.getJobCounts('completed');
      expect(value(ws, 'llmgw_queue_jobs', { queue: QueueName.Billing, state: 'completed' })).toBe(completed);
      expect(value(ws, 'llmgw_queue_jobs', { queue: QueueName.Billing, state: 'waiting' })).toBe(0);
      expect(ws.filter((s) => s.name === 'llmgw_log_buffer_records')).toHaveLength(1);
    } finally {
      await worker.close();
    }
  });
});
