import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { QueueName } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { BULL_REDIS, HOT_REDIS, SUBSCRIBER_REDIS } from '#src/core/redis/redis-tokens';
import { AuditSink } from '#src/modules/audit/audit-sink.service';
import { BillingEnqueuer } from '#src/modules/billing/billing-enqueuer.service';
import { createGateway } from '#test/factories/gateway-fixtures';
import { sleep } from '#test/operations/traffic';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { billingJobsByCall, drainQueue, queueOf } from '#test/utils/queues';
import { PrivateRedis } from '#test/utils/redis-server';
import { resetState } from '#test/utils/reset';
import { TcpProxy } from '#test/utils/tcp-proxy';
import { PG_ROOT_URL, workerDbName } from '#test/utils/test-env';

/**
 * A Redis outage seen by a key without limits (issue item 7): its calls never needed Redis to be admitted,
 * so they keep answering, and their billing must neither wait behind BullMQ's offline queue in an unbounded
 * list nor be billed twice when Redis comes back. Redis is the test's own server, frozen (SIGSTOP) or killed
 * for real; PostgreSQL is reached through a relay the test can cut.
 */
const PENDING_MAX = 50;
const AUDIT_MEMORY_MAX = 16 * 1024;

async function chat(api: TestApp, key: string): Promise<{ status: number; callId: string }> {
  const res = await fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, callId: res.headers.get('x-gateway-call-id')! };
}

/** `n` calls, `concurrency` at a time; every one must answer 200. */
async function chatMany(api: TestApp, key: string, n: number, concurrency = 8): Promise<string[]> {
  const ids: string[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < n) {
      started++;
      const { status, callId } = await chat(api, key);
      expect(status).toBe(200);
      ids.push(callId);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

async function metric(api: TestApp, name: string): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

async function usageRows(api: TestApp, callIds: string[]): Promise<string[]> {
  const rows = await api
    .get(DataSource)
    .query<{ call_id: string }[]>('SELECT call_id FROM usage_records WHERE call_id = ANY($1)', [callIds]);
  return rows.map((r) => r.call_id);
}

/** How many calls the key's aggregates count: a call billed twice would be counted twice here. */
async function aggregateRequests(api: TestApp, apiKeyId: string): Promise<{ monthly: number; daily: number }> {
  const ds = api.get(DataSource);
  const [m] = await ds.query<{ n: number }[]>(
    "SELECT coalesce(sum(requests), 0)::int AS n FROM budget_spend WHERE subject_type = 'key' AND subject_id = $1 AND period LIKE 'month:%'",
    [apiKeyId],
  );
  const [d] = await ds.query<{ n: number }[]>(
    'SELECT coalesce(sum(requests), 0)::int AS n FROM usage_daily WHERE api_key_id = $1',
    [apiKeyId],
  );
  return { monthly: m.n, daily: d.n };
}

/** Call ids of the audit records stored as files under DATA_DIR/logs (no bucket configured). */
async function storedAuditCallIds(api: TestApp): Promise<string[]> {
  const dir = join(api.config.env.DATA_DIR, 'logs');
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.jsonl.gz'));
  const texts = await Promise.all(files.map(async (f) => gunzipSync(await readFile(join(dir, f))).toString('utf8')));
  return texts
    .flatMap((text) => text.split('\n').filter(Boolean))
    .map((line) => (JSON.parse(line) as { call_id: string }).call_id);
}

/** Samples the process's in-memory billing and audit holdings until stopped, keeping the largest seen. */
function sampleMemory(api: TestApp): () => { maxPending: number; maxAuditBytes: number } {
  const billing = api.get(BillingEnqueuer);
  const audit = api.get(AuditSink);
  let maxPending = 0;
  let maxAuditBytes = 0;
  const timer = setInterval(() => {
    maxPending = Math.max(maxPending, billing.backlog().pending);
    maxAuditBytes = Math.max(maxAuditBytes, audit.memoryBytes);
  }, 1);
  return () => {
    clearInterval(timer);
    return { maxPending, maxAuditBytes };
  };
}

/**
 * Waits until the app's Redis clients are connected again after a restart of the server. Closing the app while
 * they still wait to reconnect leaves the commands queued meanwhile unsettled (ioredis does not reject its
 * offline queue on quit or disconnect then), among them BullMQ's blocking wait, whose watchdog timer then keeps
 * the Jest worker alive for up to 11 s after the file ended. BullMQ's own connections duplicate BULL_REDIS (same
 * retry strategy, at most 2 s between attempts): one more attempt's delay lets them catch up.
 */
async function reconnected(api: TestApp): Promise<void> {
  const clients = [HOT_REDIS, BULL_REDIS, SUBSCRIBER_REDIS].map((token) => api.app.get<RedisClient>(token));
  await waitFor(async () => (clients.every((c) => c.status === 'ready') ? true : undefined), 10_000, 20);
  await sleep(2_000);
}

describe('Redis outage: a key without limits keeps answering, billed in PostgreSQL once', () => {
  let redis: PrivateRedis;
  let pg: TcpProxy;
  let upstream: FakeOpenAi;
  let api: TestApp;
  let gw: Awaited<ReturnType<typeof createGateway>>;

  beforeAll(async () => {
    await resetState();
    redis = await PrivateRedis.start();
    const target = new URL(PG_ROOT_URL);
    pg = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const dbUrl = new URL(PG_ROOT_URL);
    dbUrl.port = String(pg.port);
    dbUrl.pathname = `/${workerDbName()}`;
    upstream = await new FakeOpenAi().start();
    api = await startApi({
      REDIS_URL: redis.url,
      DATABASE_URL: dbUrl.toString(),
      DB_CONNECT_TIMEOUT: '1s',
      REDIS_COMMAND_TIMEOUT: '200ms',
      BILLING_PENDING_MAX: String(PENDING_MAX),
      BILLING_ENQUEUE_TIMEOUT: '300ms',
      LOGGING_SINK_MEMORY_MAX_BYTES: String(AUDIT_MEMORY_MAX),
    });
    gw = await createGateway(api, upstream.url); // no rate limit, token limit or budget
  });
  afterEach(async () => {
    redis.resume();
    await pg.restore();
    if (!redis.running) {
      await redis.start();
      await reconnected(api);
    }
  });
  afterAll(async () => {
    await api?.close();
    await redis.stop();
    await pg.cut();
    await upstream.stop();
  });

  it('bills calls made while Redis is frozen in PostgreSQL within seconds, and a job Redis takes late bills nothing twice', async () => {
    const first = await chat(api, gw.key); // through the queue, as usual
    expect(first.status).toBe(200);
    await waitFor(async () => ((await usageRows(api, [first.callId])).length === 1 ? true : undefined));
    await drainQueue(api, QueueName.Billing);
    const directBefore = api.get(BillingEnqueuer).backlog().writtenDirectly;
    const droppedBefore = await metric(api, 'llmgw_billing_events_dropped_total');

    redis.pause(); // connections stay open, nothing answers: queue.add would wait forever
    const sampling = sampleMemory(api);
    const ids = await chatMany(api, gw.key, 120, 4);
    await waitFor(async () => ((await usageRows(api, ids)).length === ids.length ? true : undefined), 5_000, 50);
    const { maxPending, maxAuditBytes } = sampling();
    expect(maxPending).toBeLessThanOrEqual(PENDING_MAX);
    expect(maxAuditBytes).toBeLessThanOrEqual(AUDIT_MEMORY_MAX);
    // the rows commit before the enqueuer's counter moves (TypeORM's transaction ends a few ticks after COMMIT):
    // a batch seen in PostgreSQL may not be counted yet
    const writtenDirectly = (): number => api.get(BillingEnqueuer).backlog().writtenDirectly - directBefore;
    await waitFor(async () => (writtenDirectly() >= ids.length ? true : undefined), 2_000, 10).catch(() => undefined);
    expect(writtenDirectly()).toBe(ids.length);

    redis.resume();
    await drainQueue(api, QueueName.Billing);
    // the batch that timed out reached the queue once Redis answered again, and was processed: it wrote nothing
    const late = [...(await billingJobsByCall(queueOf(api, QueueName.Billing), ['completed'])).entries()].filter(
      ([callId]) => ids.includes(callId),
    );
    expect(late.length).toBeGreaterThan(0);
    for (const [, { job }] of late) expect((job as Job<unknown, number>).returnvalue).toBe(0);
    // every call once: one row each, and counted once in the monthly and daily aggregates
    expect((await usageRows(api, ids)).sort()).toEqual([...ids].sort());
    expect(await aggregateRequests(api, gw.keyId)).toEqual({ monthly: ids.length + 1, daily: ids.length + 1 });
    expect(await metric(api, 'llmgw_billing_events_dropped_total')).toBe(droppedBefore);
    // the audit records held while Redis was frozen reach the buffer once it answers
    await waitFor(async () => (api.get(AuditSink).memoryBytes === 0 ? true : undefined), 10_000, 50);
  }, 60_000);

  it('holds at most BILLING_PENDING_MAX events while neither Redis nor PostgreSQL takes them, dropping and counting the rest', async () => {
    expect((await chat(api, gw.key)).status).toBe(200); // warms the key and model caches read without PostgreSQL
    // its billing event must have left the process (batched a few ms after the answer), or it takes a pending slot
    await waitFor(async () => (api.get(BillingEnqueuer).backlog().pending === 0 ? true : undefined), 5_000, 10);
    await drainQueue(api, QueueName.Billing);
    const droppedBefore = await metric(api, 'llmgw_billing_events_dropped_total');
    const auditDroppedBefore = await metric(api, 'llmgw_log_records_dropped_total');

    await redis.stop(); // killed: connection refused
    await pg.cut();
    const sampling = sampleMemory(api);
    const ids = await chatMany(api, gw.key, 120);
    const { maxPending, maxAuditBytes } = sampling();
    expect(maxPending).toBeLessThanOrEqual(PENDING_MAX);
    expect(api.get(BillingEnqueuer).backlog().pending).toBe(PENDING_MAX);
    expect(await metric(api, 'llmgw_billing_events_dropped_total')).toBe(droppedBefore + ids.length - PENDING_MAX);
    const lost = api.logs
      .entries()
      .filter((l) => l.msg === 'billing event lost: neither Redis nor PostgreSQL took it')
      .map((l) => l.callId as string)
      .filter((id) => ids.includes(id));
    expect(lost).toHaveLength(ids.length - PENDING_MAX);
    // audit records: the memory cap holds, the rest are dropped and counted
    expect(maxAuditBytes).toBeLessThanOrEqual(AUDIT_MEMORY_MAX);
    expect(await metric(api, 'llmgw_log_records_dropped_total')).toBeGreaterThan(auditDroppedBefore);

    // PostgreSQL back, Redis still down: the events held are written directly, exactly those not dropped
    await pg.restore();
    const kept = ids.filter((id) => !lost.includes(id));
    await waitFor(async () => ((await usageRows(api, kept)).length === kept.length ? true : undefined), 10_000, 50);
    expect(await usageRows(api, lost)).toEqual([]);
    expect(api.get(BillingEnqueuer).backlog().pending).toBe(0);
  }, 60_000);

  it('at shutdown with Redis frozen, stores directly the audit records of the push still waiting on Redis', async () => {
    expect((await chat(api, gw.key)).status).toBe(200);
    await waitFor(async () => (api.get(AuditSink).memoryBytes === 0 ? true : undefined), 10_000, 50);

    redis.pause();
    const ids = await chatMany(api, gw.key, 3, 3);
    // every call published its record (a call outlives its response by a little)
    await waitFor(async () => (api.get(LifecycleService).inflightCalls === 0 ? true : undefined), 5_000, 5);
    // the deadline passes while a push waits on the frozen Redis (REDIS_COMMAND_TIMEOUT 200 ms): that push's
    // records go to the store with the rest, and the push failing later neither retries nor loses them
    await api.get(AuditSink).drain(50);
    expect(api.get(AuditSink).memoryBytes).toBe(0);
    const stored = await storedAuditCallIds(api);
    expect(ids.filter((id) => !stored.includes(id))).toEqual([]);
    expect(
      api.logs.entries().some((l) => l.msg === 'Redis unavailable at shutdown: audit records stored directly'),
    ).toBe(true);
    // Redis answers again: the push abandoned above lands too (the duplicate a frozen Redis may cause), billing settles
    redis.resume();
    await drainQueue(api, QueueName.Billing);
  }, 30_000);
});
