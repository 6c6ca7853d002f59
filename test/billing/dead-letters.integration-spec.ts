import type { Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { BackoffType, CAPPED_BACKOFF_MAX_MS, jobBackoffStrategy } from '#src/core/queue/job-backoff';
import { BillingJob, QueueName } from '#src/core/queue/queue.constants';
import { parseMetrics } from '#test/deploy/dashboard';
import { createGateway } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { queueOf } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';

const HOUR_MS = 3_600_000;
const BILLING_OPTIONS = {
  attempts: 21,
  backoff: { type: BackoffType.CappedExponential, delay: 1000 },
  removeOnFail: false,
};

/** The wait BullMQ scheduled after the job's last failed attempt, read back from the job's hash in Redis. */
async function nextAttempt(queue: Queue, id: string, attemptsMade: number): Promise<Job> {
  return waitFor(
    async () => {
      const job = await queue.getJob(id);
      if (!job || job.attemptsMade < attemptsMade) return undefined;
      const state = await job.getState();
      return state === 'delayed' || state === 'failed' ? job : undefined;
    },
    10_000,
    20,
  );
}

/**
 * Dead letters stay: a billing job outlives a PostgreSQL outage of an hour (21 attempts, waits doubling from 1 s
 * and capped at 5 min), then stays in the failed set, counted by `llmgw_queue_jobs`, until it is replayed.
 */
describe('billing dead letters', () => {
  let api: TestApp;
  let db: DataSource;
  let upstream: FakeOpenAi;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    db = api.get(DataSource);
  });
  afterAll(async () => {
    await db.query('ALTER TABLE usage_records DROP CONSTRAINT IF EXISTS test_dead_letter');
    await api.close();
    await upstream.stop();
  });

  it('sums the capped backoff of every retry to more than an hour, no wait longer than 5 minutes', () => {
    const job = { opts: { backoff: BILLING_OPTIONS.backoff } };
    const waits = Array.from({ length: BILLING_OPTIONS.attempts - 1 }, (_, i) =>
      jobBackoffStrategy(i + 1, BackoffType.CappedExponential, undefined, job),
    );
    expect(waits.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(Math.max(...waits)).toBe(CAPPED_BACKOFF_MAX_MS);
    expect(CAPPED_BACKOFF_MAX_MS).toBe(300_000);
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(HOUR_MS);
  });

  it('retries a refused billing event with the capped backoff, then keeps it failed and counts it in /metrics', async () => {
    const gw = await createGateway(api, upstream.url, { name: 'dead-letter-key' });
    const events = new EventCapture(api);
    const queue = queueOf(api, QueueName.Billing);
    // a real failure: PostgreSQL refuses this call's usage row until the constraint is dropped
    await db.query('ALTER TABLE usage_records ADD CONSTRAINT test_dead_letter CHECK (prompt_tokens < 1000)');
    upstream.reset({ usage: { prompt_tokens: 4321, completion_tokens: 3 } });
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: gw.model, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    const [{ callId }] = await events.count(1);

    // the batch the API enqueued and the call's own job split off it carry the billing options, as stored in Redis
    const batch = await waitFor(async () => {
      const jobs = await queue.getJobs(['completed']);
      return jobs.find((j) => (j?.name as BillingJob | undefined) === BillingJob.RecordUsageBatch);
    }, 10_000);
    expect(batch.opts).toMatchObject(BILLING_OPTIONS);
    const first = await nextAttempt(queue, callId, 1);
    expect(first.name).toBe(BillingJob.RecordUsage);
    expect(first.opts).toMatchObject(BILLING_OPTIONS);

    // every retry, without waiting out the backoff: the wait BullMQ scheduled is the capped one
    const waits: number[] = [];
    for (let attempt = 1; attempt < BILLING_OPTIONS.attempts; attempt++) {
      const job = await nextAttempt(queue, callId, attempt);
      expect({ attempt, state: await job.getState() }).toEqual({ attempt, state: 'delayed' });
      waits.push(job.delay);
      await job.promote();
    }
    expect(waits.slice(0, 9)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256].map((s) => s * 1000));
    expect(waits.slice(9)).toEqual(Array(11).fill(CAPPED_BACKOFF_MAX_MS));
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(HOUR_MS);

    const failed = await nextAttempt(queue, callId, BILLING_OPTIONS.attempts);
    expect(await failed.getState()).toBe('failed');
    expect(failed.failedReason).toMatch(/test_dead_letter/);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 1 });

    const text = await (await fetch(`${api.url}/metrics`)).text();
    const gauge = parseMetrics(text).filter((s) => s.name === 'llmgw_queue_jobs' && s.labels.queue === 'billing');
    expect(gauge.find((s) => s.labels.state === 'failed')?.value).toBe(1);
    expect(gauge.filter((s) => ['waiting', 'active', 'delayed'].includes(s.labels.state)).map((s) => s.value)).toEqual([
      0, 0, 0,
    ]);
  });
});
