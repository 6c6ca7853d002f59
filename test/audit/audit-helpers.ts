import { Redis } from 'ioredis';
import { QueueName } from '#src/core/queue/queue.constants';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { CANARY_PROVIDER_KEY } from '#test/factories/gateway-fixtures';
import type { TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';
import { queueOf } from '#test/utils/queues';
import type { TestS3 } from '#test/utils/s3';
import { REDIS_TEST_URL, TEST_JWT_SECRET, baseTestEnv } from '#test/utils/test-env';

export { AUDIT_FIELDS } from '#test/audit/audit-fields';

/** `{prefix}YYYY/MM/DD/{pod}-{unix-ms}-{nanos}.jsonl.gz`, the date being that of the milliseconds. */
export function expectObjectKey(key: string, prefix: string, pod: string): void {
  const m = new RegExp(`^${prefix}(\\d{4})/(\\d{2})/(\\d{2})/${pod}-(\\d{13})-(\\d{6})\\.jsonl\\.gz$`).exec(key);
  if (!m) throw new Error(`unexpected object key ${key}`);
  const day = new Date(Number(m[4])).toISOString().slice(0, 10);
  if (day !== `${m[1]}-${m[2]}-${m[3]}`) throw new Error(`object key ${key}: date does not match ${day}`);
}

export const chatBody = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hello audit' }],
  ...extra,
});

export async function chat(
  url: string,
  key: string,
  body: Record<string, unknown> = chatBody(),
  headers: Record<string, string> = {},
): Promise<{ status: number; callId: string; text: string }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, callId: res.headers.get('x-gateway-call-id') ?? '', text: await res.text() };
}

/** The audit keys of this Jest worker's Redis prefix, read with a plain client. */
export class AuditRedis {
  readonly redis = new Redis(REDIS_TEST_URL);
  private readonly keys = new RedisKeys({ env: { REDIS_PREFIX: baseTestEnv().REDIS_PREFIX } } as never);

  bufferLength(): Promise<number> {
    return this.redis.llen(this.keys.auditBuffer());
  }

  async inFlight(): Promise<string[]> {
    return this.redis.zrange(this.keys.auditInflight(), 0, -1);
  }

  async dropped(): Promise<number> {
    return Number((await this.redis.get(this.keys.auditDropped())) ?? 0);
  }

  /** The running byte count the push script keeps against LOGGING_SINK_BUFFER_MAX_BYTES. */
  async bytes(): Promise<number> {
    return Number((await this.redis.get(this.keys.auditBytes())) ?? 0);
  }

  /** Records still in Redis: buffered plus in taken, not yet stored batches. */
  async pending(): Promise<number> {
    let n = await this.bufferLength();
    for (const id of await this.inFlight()) n += await this.redis.llen(this.keys.auditBatch(id));
    return n;
  }

  waitForBuffer(n: number, timeoutMs = 10_000): Promise<true> {
    return waitFor(async () => ((await this.bufferLength()) >= n ? true : undefined), timeoutMs, 25);
  }

  close(): void {
    this.redis.disconnect();
  }
}

/** Waits until `n` distinct call ids are stored, then returns every stored record (duplicates included). */
export async function waitForRecords(
  s3: TestS3,
  prefix: string,
  n: number,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>[]> {
  return waitFor(
    async () => {
      const records = await s3.records(prefix);
      return new Set(records.map((r) => r.call_id)).size >= n ? records : undefined;
    },
    timeoutMs,
    200,
  );
}

/** Fails when any canary secret (provider key, gateway key, JWT secret) appears in `text`. */
export function expectNoSecrets(text: string, gatewayKeys: string[]): void {
  for (const secret of [CANARY_PROVIDER_KEY, TEST_JWT_SECRET, ...gatewayKeys]) {
    if (text.includes(secret)) throw new Error(`secret ${secret.slice(0, 10)}... found in audit output`);
  }
}

export const metricValue = async (app: TestApp | string, name: string): Promise<number> => {
  const url = typeof app === 'string' ? app : app.url;
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
};

/**
 * Waits out the flush job a worker's scheduler runs at start-up, so only the flushes a test starts take
 * batches.
 */
export async function settleFlushQueue(app: TestApp): Promise<void> {
  const queue = queueOf(app, QueueName.LogFlush);
  await new Promise((r) => setTimeout(r, 200));
  await waitFor(
    async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'prioritized');
      const scheduled = (await queue.getJobSchedulers()).length > 0;
      return scheduled && c.waiting + c.active + c.prioritized === 0 ? true : undefined;
    },
    10_000,
    50,
  );
}
