import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { AuditBuffer } from '#src/modules/audit/audit-buffer';
import { AuditFlushService, type FlushResult } from '#src/modules/audit/audit-flush.service';
import { AuditRedis, settleFlushQueue } from '#test/audit/audit-helpers';
import { startWorker, type TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { TestS3 } from '#test/utils/s3';
import { baseTestEnv } from '#test/utils/test-env';

const CAPS = { records: 100_000, bytes: 1024 * 1024 * 1024 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Resumes of every paused read, called after each test so a failed test never leaves a flush hanging. */
const pausedReads: (() => void)[] = [];

/** Makes `buffer.read` stop after its first page (500 records) until `resume()`; `paused` resolves then. */
function pauseAfterFirstPage(buffer: AuditBuffer): { paused: Promise<void>; resume: () => void } {
  const read = buffer.read.bind(buffer);
  let onPaused!: () => void;
  let resume!: () => void;
  const paused = new Promise<void>((r) => (onPaused = r));
  const resumed = new Promise<void>((r) => (resume = r));
  pausedReads.push(resume);
  buffer.read = async function* (batchId: string): AsyncGenerator<string[]> {
    let first = true;
    for await (const page of read(batchId)) {
      yield page;
      if (first) {
        first = false;
        onPaused();
        await resumed;
      }
    }
  };
  return { paused, resume };
}

describe('audit batch fencing', () => {
  let s3: TestS3;
  let redis: AuditRedis;
  const keys = new RedisKeys({ env: { REDIS_PREFIX: baseTestEnv().REDIS_PREFIX } } as never);
  const apps: TestApp[] = [];
  let seq = 0;
  let prefix: string;

  const worker = async (pod: string, env: Record<string, string> = {}): Promise<TestApp> => {
    const app = await startWorker({
      ...s3.env({ LOGGING_SINK_S3_PREFIX: prefix }),
      LOGGING_SINK_FLUSH_SIZE: '1500',
      POD_NAME: pod,
      ...env,
    });
    apps.push(app);
    return app;
  };

  /** Process logs of every app of the test: Nest's Logger writes to the last app started. */
  const logs = (): string => apps.map((app) => app.logs.text()).join('\n');

  /** `n` records `{ call_id: call-<i> }`, pushed in slices of 100. */
  const pushRecords = async (buffer: AuditBuffer, n: number): Promise<void> => {
    for (let i = 0; i < n; i += 100) {
      const records = Array.from({ length: Math.min(100, n - i) }, (_, j) =>
        JSON.stringify({ call_id: `call-${i + j}` }),
      );
      await buffer.push(buffer.newPushId(), records, CAPS);
    }
  };

  /** As if the batch's worker had stopped renewing: the next take resumes it. */
  const expireLease = async (): Promise<string> => {
    const [id] = await redis.inFlight();
    await redis.redis.zadd(keys.auditInflight(), 0, id);
    return id;
  };

  const expectStoredOnce = async (n: number): Promise<void> => {
    const objects = await s3.objects(prefix);
    expect(objects).toHaveLength(1);
    const ids = objects[0].lines.map((l) => l.call_id);
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    expect(await redis.pending()).toBe(0);
    expect(await redis.inFlight()).toEqual([]);
    expect(await redis.redis.hlen(keys.auditBatchMeta())).toBe(0);
    expect(await redis.bytes()).toBe(0);
  };

  beforeAll(async () => {
    s3 = await new TestS3().start();
    redis = new AuditRedis();
  });
  afterAll(async () => {
    redis.close();
    await s3.stop();
  });
  beforeEach(async () => {
    await resetState();
    s3.setMode('pass');
    prefix = `fence${++seq}/`;
  });
  afterEach(async () => {
    for (const resume of pausedReads.splice(0)) resume();
    s3.setMode('pass');
    for (const app of apps.splice(0).reverse()) await app.close();
  });

  it('does not PUT a partial read once its lease was taken over: the new holder stores every record once', async () => {
    const a = await worker('worker-a');
    const b = await worker('worker-b');
    await settleFlushQueue(a);
    await pushRecords(a.get(AuditBuffer), 1200);
    const gate = pauseAfterFirstPage(a.get(AuditBuffer));
    const putsBefore = s3.puts;

    const staleFlush = a.get(AuditFlushService).flush('manual');
    await gate.paused;
    await expireLease();
    // b resumes the batch, stores all 1200 records and acknowledges it (its list is deleted)
    expect(await b.get(AuditFlushService).flush('manual')).toEqual({ batches: 1, records: 1200 });
    gate.resume();
    // a reads on into the deleted list: it neither PUTs what it has nor acknowledges
    expect(await staleFlush).toEqual({ batches: 1, records: 0 });

    expect(s3.puts - putsBefore).toBe(1);
    await expectStoredOnce(1200);
    expect(logs()).toContain('audit_lease_lost');
  });

  it('does not acknowledge a batch taken over while its PUT was in flight, so the new holder reads it whole', async () => {
    const a = await worker('worker-a');
    const b = await worker('worker-b');
    await settleFlushQueue(a);
    await pushRecords(a.get(AuditBuffer), 1200);
    s3.setMode('hold');
    const staleFlush = a.get(AuditFlushService).flush('manual');
    await waitFor(async () => (s3.held === 1 ? true : undefined), 10_000, 20);
    await expireLease();
    const gate = pauseAfterFirstPage(b.get(AuditBuffer));
    const newFlush = b.get(AuditFlushService).flush('manual');
    await gate.paused;

    // a's upload goes through now (503, then its SDK retry passes); its ack must not delete b's batch
    s3.setMode('pass');
    expect(await staleFlush).toEqual({ batches: 1, records: 0 });
    expect(await redis.pending()).toBe(1200);
    gate.resume();
    expect(await newFlush).toEqual({ batches: 1, records: 1200 });

    await expectStoredOnce(1200);
    expect(logs()).toContain('audit_lease_lost');
  });

  it('does not PUT a batch whose records read differ from its recorded count, and leaves it in Redis', async () => {
    const a = await worker('worker-a');
    const buffer = a.get(AuditBuffer);
    await settleFlushQueue(a);
    await pushRecords(buffer, 10);
    // a worker took the batch and died; then one of its records went missing (a lost write, a stray command)
    const taken = (await buffer.take(`${prefix}mismatch.jsonl.gz`, 15_000, 1500, 64 * 1024 * 1024))!;
    expect(taken.count).toBe(10);
    await redis.redis.lpop(keys.auditBatch(taken.id));
    await expireLease();
    const putsBefore = s3.puts;

    expect(await a.get(AuditFlushService).flush('manual')).toEqual({ batches: 1, records: 0 });

    expect(s3.puts - putsBefore).toBe(0);
    expect(await s3.objects(prefix)).toEqual([]);
    expect(await redis.inFlight()).toEqual([taken.id]);
    expect(await redis.redis.llen(keys.auditBatch(taken.id))).toBe(9);
    expect(logs()).toContain('audit_count_mismatch');
  });

  describe('with an S3 endpoint that accepts connections and never answers', () => {
    let hung: Server;
    const sockets = new Set<Socket>();

    beforeAll(async () => {
      hung = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    });
    afterEach(() => {
      for (const socket of sockets) socket.destroy();
    });

    it('fails the flush within LOGGING_SINK_S3_REQUEST_TIMEOUT per attempt and gives the batch back for a retry', async () => {
      const a = await worker('worker-a', {
        LOGGING_SINK_S3_ENDPOINT: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`,
        LOGGING_SINK_S3_REQUEST_TIMEOUT: '300ms',
      });
      await settleFlushQueue(a);
      await pushRecords(a.get(AuditBuffer), 5);
      const started = Date.now();
      const outcome = await Promise.race([
        a
          .get(AuditFlushService)
          .flush('manual')
          .then(
            (r: FlushResult) => r,
            (err: unknown) => err as Error,
          ),
        sleep(10_000).then(() => 'still waiting' as const),
      ]);

      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).name).toBe('TimeoutError');
      // 3 attempts of 300 ms plus the SDK's short backoff
      expect(Date.now() - started).toBeLessThan(4000);
      const [id] = await redis.inFlight();
      expect(await redis.redis.zscore(keys.auditInflight(), id)).toBe('0');
      expect(await redis.pending()).toBe(5);
    });
  });
});
