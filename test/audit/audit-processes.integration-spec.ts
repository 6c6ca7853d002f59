import {
  AUDIT_FIELDS,
  AuditRedis,
  chat,
  chatBody,
  expectNoSecrets,
  expectObjectKey,
  waitForRecords,
} from '#test/audit/audit-helpers';
import { createGateway } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { freePort, spawnBuilt, type Spawned, waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { TestS3 } from '#test/utils/s3';
import { baseTestEnv } from '#test/utils/test-env';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** These start the CommonJS build (dist/) as production does: refresh it with `npx tsc -p tsconfig.build.json`. */
describe('audit logs across processes', () => {
  let s3: TestS3;
  let upstream: FakeOpenAi;
  let redis: AuditRedis;
  let setup: TestApp;
  let gw: Awaited<ReturnType<typeof createGateway>>;
  const procs: Spawned[] = [];
  let seq = 0;
  let prefix: string;

  async function spawn(
    entry: 'main' | 'worker',
    env: Record<string, string> = {},
  ): Promise<{ proc: Spawned; url: string }> {
    const port = await freePort();
    const proc = spawnBuilt(entry, [], {
      ...baseTestEnv(),
      ...s3.env({ LOGGING_SINK_S3_PREFIX: prefix }),
      LOG_LEVEL: 'warn',
      [entry === 'main' ? 'GATEWAY_HTTP_PORT' : 'WORKER_HTTP_PORT']: String(port),
      ...env,
    });
    procs.push(proc);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => ((await fetch(`${url}/health/ready`)).status === 200 ? true : undefined), 30_000);
    return { proc, url };
  }

  beforeAll(async () => {
    await resetState();
    s3 = await new TestS3().start();
    upstream = await new FakeOpenAi().start();
    redis = new AuditRedis();
    // only creates the provider, model and key the spawned gateways use
    setup = await startApi({ RUN_PROCESSORS: 'false', LOGGING_SINK_ENABLED: 'false' });
    gw = await createGateway(setup, upstream.url);
  });
  afterAll(async () => {
    await setup.close();
    redis.close();
    await upstream.stop();
    await s3.stop();
  });
  beforeEach(() => {
    prefix = `p${++seq}/`;
    s3.setMode('pass');
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
    const leftovers = await redis.redis.keys(`{${baseTestEnv().REDIS_PREFIX}:audit}*`);
    if (leftovers.length > 0) await redis.redis.del(...leftovers);
  });

  it('API with RUN_PROCESSORS=false buffers only; a separate worker process stores the same records', async () => {
    const api = await spawn('main', { RUN_PROCESSORS: 'false', LOGGING_SINK_FLUSH_SIZE: '6', POD_NAME: 'api-x' });
    const calls = [
      await chat(api.url, gw.key),
      await chat(api.url, gw.key, chatBody({ stream: true })),
      await chat(api.url, gw.key),
      await chat(api.url, gw.key, chatBody({ stream: true })),
      await chat(api.url, 'sk-gw-wrong-key-00000000000000000000000000'),
      await chat(api.url, gw.key, chatBody({ model: 'missing' })),
    ];
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 401, 404]);
    await redis.waitForBuffer(6);
    await sleep(1000);
    expect(await s3.objects(prefix)).toEqual([]);
    expect(await redis.bufferLength()).toBe(6);

    // the size-triggered job the API enqueued waits in BullMQ until a worker runs
    await spawn('worker', { LOGGING_SINK_FLUSH_SIZE: '6', POD_NAME: 'worker-x' });
    const records = await waitForRecords(s3, prefix, 6);
    expect(records).toHaveLength(6);
    expect(records.map((r) => r.call_id).sort()).toEqual(calls.map((c) => c.callId).sort());
    for (const r of records) {
      expect(Object.keys(r)).toEqual(AUDIT_FIELDS);
      expect(r.pod).toBe('api-x');
    }
    const byId = new Map(records.map((r) => [r.call_id, r]));
    expect(calls.map((c) => byId.get(c.callId)!.status)).toEqual([200, 200, 200, 200, 401, 404]);
    expect(calls.map((c) => byId.get(c.callId)!.stream)).toEqual([false, true, false, true, false, false]);
    const objects = await s3.objects(prefix);
    for (const o of objects) expectObjectKey(o.key, prefix, 'worker-x');
    expectNoSecrets(JSON.stringify(objects), [gw.key]);
  });

  it('flushes on SIGTERM: the API pushes what it holds, the worker stores the buffer, both exit 0', async () => {
    const api = await spawn('main', { RUN_PROCESSORS: 'false' });
    const worker = await spawn('worker');
    const calls = await Promise.all(Array.from({ length: 5 }, () => chat(api.url, gw.key)));
    api.proc.child.kill('SIGTERM');
    expect(await api.proc.exited).toBe(0);
    expect(await redis.bufferLength()).toBe(5);
    expect(await s3.objects(prefix)).toEqual([]);
    worker.proc.child.kill('SIGTERM');
    expect(await worker.proc.exited).toBe(0);
    const records = await s3.records(prefix);
    expect(records.map((r) => r.call_id).sort()).toEqual(calls.map((c) => c.callId).sort());
    expect(await redis.pending()).toBe(0);
  });

  it('flushes on SIGTERM in a single API process running the processors', async () => {
    const api = await spawn('main');
    const calls = await Promise.all(Array.from({ length: 3 }, () => chat(api.url, gw.key)));
    api.proc.child.kill('SIGTERM');
    expect(await api.proc.exited).toBe(0);
    const records = await s3.records(prefix);
    expect(records.map((r) => r.call_id).sort()).toEqual(calls.map((c) => c.callId).sort());
  });

  it('loses nothing when a worker is killed with SIGKILL in the middle of an upload', async () => {
    const api = await spawn('main', { RUN_PROCESSORS: 'false', LOGGING_SINK_FLUSH_SIZE: '5' });
    s3.setMode('hold');
    const first = await spawn('worker', { LOGGING_SINK_FLUSH_SIZE: '5', POD_NAME: 'doomed' });
    const calls = await Promise.all(Array.from({ length: 5 }, () => chat(api.url, gw.key)));
    await waitFor(async () => (s3.held > 0 ? true : undefined), 15_000);
    first.proc.child.kill('SIGKILL');
    await first.proc.exited;
    expect(await redis.inFlight()).toHaveLength(1);
    expect(await redis.pending()).toBe(5);
    const [heldKey] = await redis.inFlight();

    s3.setMode('pass');
    await spawn('worker', { LOGGING_SINK_FLUSH_SIZE: '5', LOGGING_SINK_FLUSH_INTERVAL: '1s', POD_NAME: 'heir' });
    const records = await waitForRecords(s3, prefix, 5, 40_000);
    await sleep(1500);
    const objects = await s3.objects(prefix);
    expect(objects.map((o) => o.key)).toEqual([heldKey]);
    expect(records.map((r) => r.call_id).sort()).toEqual(calls.map((c) => c.callId).sort());
    expect(await s3.records(prefix)).toHaveLength(5);
    expect(await redis.pending()).toBe(0);
  });
});
