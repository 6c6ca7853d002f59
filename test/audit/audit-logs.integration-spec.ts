import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { LogFlushJob, QueueName } from '#src/core/queue/queue.constants';
import { AuditBuffer, type TakenBatch } from '#src/modules/audit/audit-buffer';
import { AuditFlushService } from '#src/modules/audit/audit-flush.service';
import {
  AUDIT_FIELDS,
  AuditRedis,
  chat,
  chatBody,
  expectNoSecrets,
  expectObjectKey,
  metricValue,
  waitForRecords,
} from '#test/audit/audit-helpers';
import { createGateway } from '#test/factories/gateway-fixtures';
import { startApi, startWorker, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { queueOf } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';
import { TestS3 } from '#test/utils/s3';

const NO_CAPS = { records: 100_000, bytes: 1024 * 1024 * 1024 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('audit logs', () => {
  let s3: TestS3;
  let upstream: FakeOpenAi;
  let redis: AuditRedis;
  const apps: TestApp[] = [];
  let seq = 0;
  /** Each test writes under its own key prefix of the shared bucket. */
  let prefix: string;

  const start = async (kind: 'api' | 'worker', env: Record<string, string> = {}): Promise<TestApp> => {
    const app = await (kind === 'api' ? startApi : startWorker)({
      ...s3.env({ LOGGING_SINK_S3_PREFIX: prefix }),
      ...env,
    });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    s3 = await new TestS3().start();
    upstream = await new FakeOpenAi().start();
    redis = new AuditRedis();
  });
  afterAll(async () => {
    redis.close();
    await upstream.stop();
    await s3.stop();
  });
  beforeEach(async () => {
    await resetState();
    upstream.reset();
    s3.setMode('pass');
    prefix = `t${++seq}/`;
  });
  afterEach(async () => {
    for (const app of apps.splice(0).reverse()) await app.close();
  });

  it('stores streamed, non-streamed and refused calls as SPEC §8 records under SPEC names, without secrets', async () => {
    const api = await start('api');
    const gw = await createGateway(api, upstream.url, { name: 'audit-team' });
    const plain = await chat(api.url, gw.key, chatBody({ messages: [{ role: 'user', content: `leak ${gw.key}` }] }), {
      'x-request-id': 'client-req-1',
      'user-agent': 'audit-test/1',
    });
    const streamed = await chat(api.url, gw.key, chatBody({ stream: true }));
    const badKey = await chat(api.url, 'sk-gw-not-a-real-key-000000000000000000000', chatBody());
    const unknownModel = await chat(api.url, gw.key, chatBody({ model: 'no-such-model' }));
    expect([plain.status, streamed.status, badKey.status, unknownModel.status]).toEqual([200, 200, 401, 404]);

    await redis.waitForBuffer(4);
    await queueOf(api, QueueName.LogFlush).add(LogFlushJob.Flush, { reason: 'manual' });
    const records = await waitForRecords(s3, prefix, 4);
    expect(records).toHaveLength(4);
    const byId = new Map(records.map((r) => [r.call_id, r]));
    for (const r of records) expect(Object.keys(r)).toEqual(AUDIT_FIELDS);

    expect(byId.get(plain.callId)).toMatchObject({
      schema_version: 1,
      client_request_id: 'client-req-1',
      api_key_id: gw.keyId,
      api_key_name: 'audit-team',
      provider_id: gw.providerId,
      provider_type: 'openai',
      model: 'gpt-4o-mini',
      status: 200,
      error_code: null,
      stream: false,
      truncated: false,
      user_agent: 'audit-test/1',
      client_ip: '127.0.0.1',
      pod: api.config.podName,
      request_body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'leak [redacted]' }] },
      response_body: expect.objectContaining({ object: 'chat.completion' }),
    });
    const plainRecord = byId.get(plain.callId)!;
    expect(new Date(plainRecord.timestamp as string).toISOString()).toBe(plainRecord.timestamp);
    expect(plainRecord.prompt_tokens).toBeGreaterThan(0);
    expect(Number(plainRecord.cost_usd)).toBeGreaterThan(0);

    expect(byId.get(streamed.callId)).toMatchObject({
      stream: true,
      status: 200,
      ttft_ms: expect.any(Number),
      response_body: { choices: [expect.objectContaining({ content: expect.any(String) })] },
    });
    expect(byId.get(badKey.callId)).toMatchObject({
      status: 401,
      error_code: 'invalid_api_key',
      api_key_id: null,
      provider_id: null,
      model: 'gpt-4o-mini',
      cost_usd: '0',
      // refused before anyone was authenticated: what they sent is not kept
      request_body: null,
    });
    expect(byId.get(unknownModel.callId)).toMatchObject({
      status: 404,
      error_code: 'model_not_found',
      api_key_id: gw.keyId,
      model: 'no-such-model',
    });

    const objects = await s3.objects(prefix);
    for (const o of objects) expectObjectKey(o.key, prefix, api.config.podName);
    expectNoSecrets(JSON.stringify(objects), [gw.key]);
    expect(await redis.pending()).toBe(0);
  });

  it('truncates bodies past LOG_BODY_MAX_BYTES and marks the record', async () => {
    const api = await start('api', { LOG_BODY_MAX_BYTES: '120' });
    const gw = await createGateway(api, upstream.url);
    const long = chatBody({ messages: [{ role: 'user', content: 'é'.repeat(400) }] });
    const res = await chat(api.url, gw.key, long);
    await redis.waitForBuffer(1);
    await api.get(AuditFlushService).flush('manual');
    const [record] = await waitForRecords(s3, prefix, 1);
    expect(record.call_id).toBe(res.callId);
    expect(record.truncated).toBe(true);
    expect(typeof record.request_body).toBe('string');
    expect(Buffer.byteLength(record.request_body as string)).toBeLessThanOrEqual(120);
    expect(JSON.stringify(long).startsWith(record.request_body as string)).toBe(true);
  });

  it('keeps a request body as the client sent it, on one line, not serialized again', async () => {
    const api = await start('api');
    const gw = await createGateway(api, upstream.url);
    const sent = '{"model":"gpt-4o-mini",\n  "messages":[{"role":"user","content":"caf\\u00e9"}], "temperature": 1.0}';
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: sent,
    });
    expect(res.status).toBe(200);
    await redis.waitForBuffer(1);
    await api.get(AuditFlushService).flush('manual');
    const [record] = await waitForRecords(s3, prefix, 1);
    expect(record.request_body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'café' }],
      temperature: 1,
    });
    // the client's own text (escape, spacing, `1.0`), less its line break
    const [object] = await s3.objects(prefix);
    expect(object.text).toContain(`"request_body":${sent.replace('\n', '')},`);
  });

  it('leaves both bodies out with LOG_BODIES=false', async () => {
    const api = await start('api', { LOG_BODIES: 'false' });
    const gw = await createGateway(api, upstream.url);
    await chat(api.url, gw.key);
    await redis.waitForBuffer(1);
    await api.get(AuditFlushService).flush('manual');
    const [record] = await waitForRecords(s3, prefix, 1);
    expect(record).not.toHaveProperty('request_body');
    expect(record).not.toHaveProperty('response_body');
    expect(record.status).toBe(200);
  });

  it('flushes when the buffer reaches LOGGING_SINK_FLUSH_SIZE, and not before', async () => {
    const api = await start('api', { LOGGING_SINK_FLUSH_SIZE: '5' });
    const gw = await createGateway(api, upstream.url);
    for (let i = 0; i < 4; i++) await chat(api.url, gw.key);
    await redis.waitForBuffer(4);
    await sleep(1500);
    expect(await s3.objects(prefix)).toEqual([]);
    await chat(api.url, gw.key);
    const records = await waitForRecords(s3, prefix, 5, 10_000);
    expect(records).toHaveLength(5);
    expect(await s3.objects(prefix)).toHaveLength(1);
  });

  it('flushes every LOGGING_SINK_FLUSH_INTERVAL without reaching the size', async () => {
    const api = await start('api', { LOGGING_SINK_FLUSH_INTERVAL: '1s' });
    const gw = await createGateway(api, upstream.url);
    const calls = [await chat(api.url, gw.key), await chat(api.url, gw.key)];
    const records = await waitForRecords(s3, prefix, 2, 10_000);
    expect(records.map((r) => r.call_id).sort()).toEqual(calls.map((c) => c.callId).sort());
  });

  it('loses and duplicates nothing while S3 fails for a while, then recovers', async () => {
    const api = await start('api', { LOGGING_SINK_FLUSH_SIZE: '10' });
    const gw = await createGateway(api, upstream.url);
    s3.setMode('fail');
    const calls = await Promise.all(Array.from({ length: 30 }, () => chat(api.url, gw.key)));
    expect(calls.every((c) => c.status === 200)).toBe(true);
    await waitFor(async () => (s3.puts >= 3 ? true : undefined), 15_000);
    await sleep(1000);
    expect(await s3.objects(prefix)).toEqual([]);
    expect(await redis.pending()).toBe(30);

    s3.setMode('pass');
    const records = await waitForRecords(s3, prefix, 30, 40_000);
    await sleep(500);
    const all = await s3.records(prefix);
    expect(all).toHaveLength(30);
    expect(new Set(all.map((r) => r.call_id))).toEqual(new Set(calls.map((c) => c.callId)));
    expect(records.length).toBeLessThanOrEqual(30);
    // a failed upload is retried under the key fixed when its batch was taken
    const stored = new Set((await s3.objects(prefix)).map((o) => o.key));
    const failed = s3.failedKeys.filter((k) => k.startsWith(prefix));
    expect(failed.length).toBeGreaterThan(0);
    for (const key of failed) expect(stored).toContain(key);
    expect(await redis.pending()).toBe(0);
    expect(await redis.inFlight()).toEqual([]);
  });

  it('has two workers flushing at once store every record exactly once', async () => {
    const api = await start('api', { RUN_PROCESSORS: 'false' });
    const workers = [
      await start('worker', { LOGGING_SINK_FLUSH_SIZE: '25', POD_NAME: 'worker-a' }),
      await start('worker', { LOGGING_SINK_FLUSH_SIZE: '25', POD_NAME: 'worker-b' }),
    ];
    const buffer = api.get(AuditBuffer);
    const ids = Array.from({ length: 1000 }, (_, i) => `call-${i}`);
    for (let i = 0; i < ids.length; i += 100) {
      const records = ids.slice(i, i + 100).map((id) => JSON.stringify({ call_id: id }));
      await buffer.push(buffer.newPushId(), records, NO_CAPS);
    }
    const results = await Promise.all(
      workers.flatMap((w) => [0, 1].map(() => w.get(AuditFlushService).flush('manual', 1000))),
    );
    expect(results.reduce((n, r) => n + r.records, 0)).toBe(1000);
    const objects = await s3.objects(prefix);
    const all = objects.flatMap((o) => o.lines.map((l) => l.call_id));
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
    expect(objects).toHaveLength(40);
    expect(objects.every((o) => /\/worker-[ab]-\d{13}-\d{6}\.jsonl\.gz$/.test(o.key))).toBe(true);
    expect(await redis.pending()).toBe(0);
  });

  it('fills a batch slice by slice up to its record and byte limits, taking records pushed meanwhile exactly once', async () => {
    const api = await start('api', { RUN_PROCESSORS: 'false' });
    const buffer = api.get(AuditBuffer);
    const record = (i: number): string => JSON.stringify({ call_id: `call-${String(i).padStart(5, '0')}` });
    const size = record(0).length;
    const push = (from: number, n: number): Promise<unknown> =>
      buffer.push(
        buffer.newPushId(),
        Array.from({ length: n }, (_, j) => record(from + j)),
        NO_CAPS,
      );
    const lines = async (id: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const page of buffer.read(id)) out.push(...page);
      return out;
    };
    for (let i = 0; i < 1000; i += 100) await push(i, 100);

    // a batch takes 100 records per script call and is filled to the record limit...
    const byCount = (await buffer.take('slices-count', 15_000, 250, 64 * 1024 * 1024))!;
    expect(await buffer.batchLength(byCount.id)).toBe(250);
    expect(byCount.count).toBe(250);
    // ...or to the byte limit, across calls
    const byBytes = (await buffer.take('slices-bytes', 15_000, 1000, 150 * size))!;
    expect(await buffer.batchLength(byBytes.id)).toBe(150);
    expect(byBytes.count).toBe(150);
    // while records keep arriving, every one lands in exactly one batch
    let pushed = false;
    const pushing = (async () => {
      for (let i = 1000; i < 1200; i += 10) await push(i, 10);
      pushed = true;
    })();
    const taken: TakenBatch[] = [];
    for (let n = 0; ; n++) {
      const done = pushed; // read before taking: an empty take after the last push ends the loop
      const batch = await buffer.take(`slices-${n}`, 15_000, 250, 64 * 1024 * 1024);
      if (batch) taken.push(batch);
      else if (done) break;
    }
    await pushing;
    const all = (await Promise.all([byCount, byBytes, ...taken].map((b) => lines(b.id)))).flat();
    expect(all).toHaveLength(1200);
    expect(new Set(all).size).toBe(1200);
    expect((await lines(byCount.id)).slice(0, 2)).toEqual([record(0), record(1)]);
    for (const batch of [byCount, byBytes, ...taken]) expect(await buffer.ack(batch)).toBe(true);
    expect(await redis.pending()).toBe(0);
    // every byte pushed was counted once and released by its batch's ack
    expect(await redis.bytes()).toBe(0);
  });

  it('drops and counts records past LOGGING_SINK_BUFFER_MAX while billing every call', async () => {
    const api = await start('api', { RUN_PROCESSORS: 'false', LOGGING_SINK_BUFFER_MAX: '5' });
    const worker = await start('worker');
    const gw = await createGateway(api, upstream.url);
    const before = await metricValue(api, 'llmgw_log_records_dropped_total');
    for (let i = 0; i < 8; i++) expect((await chat(api.url, gw.key)).status).toBe(200);
    await waitFor(async () => ((await redis.dropped()) === 3 ? true : undefined), 10_000);
    expect(await redis.bufferLength()).toBe(5);
    expect((await metricValue(api, 'llmgw_log_records_dropped_total')) - before).toBe(3);
    const ds = worker.get(DataSource);
    await waitFor(async () => {
      const [{ n }] = await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM usage_records');
      return Number(n) === 8 ? true : undefined;
    }, 15_000);
    expect(await metricValue(worker, 'llmgw_log_buffer_records')).toBe(5);
  });

  it('writes gzip JSON Lines files under DATA_DIR/logs when no bucket is configured', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'llmgw-audit-files-'));
    try {
      const api = await start('api', { LOGGING_SINK_S3_BUCKET: '', DATA_DIR: dataDir });
      const gw = await createGateway(api, upstream.url);
      const calls = [await chat(api.url, gw.key), await chat(api.url, gw.key, chatBody({ stream: true }))];
      await redis.waitForBuffer(2);
      await api.get(AuditFlushService).flush('manual');
      const root = join(dataDir, 'logs');
      const files = listFiles(root);
      expect(files).toHaveLength(1);
      const rel = relative(root, files[0]);
      expectObjectKey(rel, '', api.config.podName);
      const lines = gunzipSync(readFileSync(files[0]))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.call_id).sort()).toEqual(calls.map((c) => c.callId).sort());
      expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
      expect(existsSync(root)).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('writes nothing with LOGGING_SINK_ENABLED=false', async () => {
    const api = await start('api', { LOGGING_SINK_ENABLED: 'false' });
    const gw = await createGateway(api, upstream.url);
    await chat(api.url, gw.key);
    await sleep(300);
    expect(await redis.bufferLength()).toBe(0);
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}
