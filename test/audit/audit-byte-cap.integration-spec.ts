import { RedisKeys } from '#src/core/redis/redis-keys';
import { AuditFlushService } from '#src/modules/audit/audit-flush.service';
import { AuditRedis, chat, metricValue, settleFlushQueue } from '#test/audit/audit-helpers';
import { createGateway } from '#test/factories/gateway-fixtures';
import { startApi, startWorker, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { TestS3 } from '#test/utils/s3';
import { baseTestEnv } from '#test/utils/test-env';

describe('audit buffer byte cap', () => {
  let s3: TestS3;
  let upstream: FakeOpenAi;
  let redis: AuditRedis;
  const keys = new RedisKeys({ env: { REDIS_PREFIX: baseTestEnv().REDIS_PREFIX } } as never);
  const apps: TestApp[] = [];

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
  beforeEach(() => resetState());
  afterEach(async () => {
    for (const app of apps.splice(0).reverse()) await app.close();
  });

  /** Bytes of the records waiting in the buffer, as Redis stores them. */
  const bufferedBytes = async (): Promise<number> =>
    (await redis.redis.lrangeBuffer(keys.auditBuffer(), 0, -1)).reduce((n, r) => n + r.length, 0);

  it('drops and counts records past LOGGING_SINK_BUFFER_MAX_BYTES, and takes records again once a flush stored them', async () => {
    const env = { ...s3.env({ LOGGING_SINK_S3_PREFIX: 'bytecap/' }), LOGGING_SINK_BUFFER_MAX_BYTES: '4kb' };
    const api = await startApi({ ...env, RUN_PROCESSORS: 'false' });
    apps.push(api);
    const worker = await startWorker(env);
    apps.push(worker);
    const gw = await createGateway(api, upstream.url);
    await settleFlushQueue(worker);
    const before = await metricValue(api, 'llmgw_log_records_dropped_total');

    // each record (request and response bodies included) is several hundred bytes: 12 cannot fit in 4 KiB
    for (let i = 0; i < 12; i++) expect((await chat(api.url, gw.key)).status).toBe(200);
    const dropped = await waitFor(async () => {
      const n = await redis.dropped();
      return n > 0 && (await redis.bufferLength()) + n === 12 ? n : undefined;
    }, 10_000);
    const kept = await redis.bufferLength();
    expect(kept).toBeGreaterThan(0);
    expect(await redis.bytes()).toBe(await bufferedBytes());
    expect(await redis.bytes()).toBeLessThanOrEqual(4096);
    expect((await metricValue(api, 'llmgw_log_records_dropped_total')) - before).toBe(dropped);

    expect(await worker.get(AuditFlushService).flush('manual')).toEqual({ batches: 1, records: kept });
    expect(await s3.records('bytecap/')).toHaveLength(kept);
    expect(await redis.bytes()).toBe(0);

    // the room is back: new records are buffered, none dropped
    for (let i = 0; i < 2; i++) expect((await chat(api.url, gw.key)).status).toBe(200);
    await redis.waitForBuffer(2);
    expect(await redis.dropped()).toBe(dropped);
    expect(await redis.bytes()).toBe(await bufferedBytes());
  });
});
