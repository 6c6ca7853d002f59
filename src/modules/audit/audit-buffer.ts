import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { BULL_REDIS, HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { ACK_LUA, FILL_LUA, LEASE_LUA, PUSH_LUA, TAKE_LUA } from '#src/modules/audit/audit.lua';

/** How long a push id is remembered: longer than any retry of that push. */
const PUSH_MARKER_TTL_MS = 10 * 60_000;
const PAGE = 500;
/**
 * Records moved per script call when taking a batch: each call holds Redis for well under a millisecond
 * (a 1,000-record batch in one call held it for 3–7 ms, stalling every gateway's admission meanwhile).
 */
const TAKE_SLICE = 100;

interface AuditCommands {
  llmgwAuditPush(
    buffer: string,
    dropped: string,
    marker: string,
    bytes: string,
    cap: number,
    maxBytes: number,
    ttl: number,
    ...records: string[]
  ): Promise<[number, number, number]>;
  llmgwAuditTake(
    buffer: string,
    inflight: string,
    batch: string,
    meta: string,
    leaseMs: number,
    maxRecords: number,
    maxBytes: number,
    batchId: string,
    token: string,
  ): Promise<[string, number, number, number] | []>;
  llmgwAuditFill(
    buffer: string,
    meta: string,
    batch: string,
    batchId: string,
    token: string,
    maxRecords: number,
    maxBytes: number,
  ): Promise<[number, number]>;
  llmgwAuditLease(inflight: string, meta: string, batchId: string, token: string, ms: number): Promise<number>;
  llmgwAuditAck(
    batch: string,
    meta: string,
    inflight: string,
    bytes: string,
    batchId: string,
    token: string,
  ): Promise<number>;
}

export interface PushResult {
  length: number;
  dropped: number;
}

/** What a push may fill: LOGGING_SINK_BUFFER_MAX records in the buffer, LOGGING_SINK_BUFFER_MAX_BYTES in all. */
export interface BufferCaps {
  records: number;
  bytes: number;
}

export interface TakenBatch {
  /** The object key, fixed when the batch was first taken. */
  id: string;
  resumed: boolean;
  /** This take's lease token: only its holder may renew, give up or acknowledge the batch. */
  token: string;
  /** Records in the batch as counted when they were moved in; null for a batch taken before counts were kept. */
  count: number | null;
}

/**
 * The Redis side of audit logging: the capped buffer the API pushes to, and the batches a flush takes from
 * it. A batch moves atomically from the buffer into its own list and the in-flight set, with a lease; it is
 * deleted only once stored, and taken again by the next flush if its lease runs out first.
 */
@Injectable()
export class AuditBuffer implements OnModuleInit {
  /** Pushes go through the proxy's fail-fast client; flushes through the patient one (large batches, no per-command timeout). */
  private readonly hot: AuditCommands;
  private readonly cmd: AuditCommands;

  constructor(
    @Inject(HOT_REDIS) private readonly hotRedis: RedisClient,
    @Inject(BULL_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.hot = hotRedis as unknown as AuditCommands;
    this.cmd = redis as unknown as AuditCommands;
  }

  onModuleInit(): void {
    this.hotRedis.defineCommand('llmgwAuditPush', { numberOfKeys: 4, lua: PUSH_LUA });
    this.redis.defineCommand('llmgwAuditTake', { numberOfKeys: 4, lua: TAKE_LUA });
    this.redis.defineCommand('llmgwAuditFill', { numberOfKeys: 3, lua: FILL_LUA });
    this.redis.defineCommand('llmgwAuditLease', { numberOfKeys: 2, lua: LEASE_LUA });
    this.redis.defineCommand('llmgwAuditAck', { numberOfKeys: 4, lua: ACK_LUA });
  }

  /** Whether the push connection is up (a drain does not wait on a dead Redis). */
  get ready(): boolean {
    return this.hotRedis.status === 'ready';
  }

  newPushId(): string {
    return randomUUID();
  }

  /** Appends serialized records under `pushId` (reuse it when retrying the same records). */
  async push(pushId: string, records: readonly string[], caps: BufferCaps): Promise<PushResult> {
    const [length, dropped] = await this.hot.llmgwAuditPush(
      this.keys.auditBuffer(),
      this.keys.auditDropped(),
      this.keys.auditPushMarker(pushId),
      this.keys.auditBytes(),
      caps.records,
      caps.bytes,
      PUSH_MARKER_TTL_MS,
      ...records,
    );
    return { length, dropped };
  }

  /**
   * A batch of up to `maxRecords` records (about `maxBytes`) under a new lease token: a batch whose lease ran
   * out, as it is, or a new one filled slice by slice (TAKE_SLICE records per script call, so Redis is never
   * held long).
   */
  async take(newBatchId: string, leaseMs: number, maxRecords: number, maxBytes: number): Promise<TakenBatch | null> {
    const buffer = this.keys.auditBuffer();
    const meta = this.keys.auditBatchMeta();
    const batch = this.keys.auditBatch(newBatchId);
    const token = randomUUID();
    let asked = Math.min(TAKE_SLICE, maxRecords);
    const reply = await this.cmd.llmgwAuditTake(
      buffer,
      this.keys.auditInflight(),
      batch,
      meta,
      leaseMs,
      asked,
      maxBytes,
      newBatchId,
      token,
    );
    if (reply.length === 0) return null;
    if (reply[1] === 1) return { id: reply[0], resumed: true, token, count: reply[2] < 0 ? null : reply[2] };
    let [, , last, bytes] = reply;
    let moved = last;
    while (last === asked && moved < maxRecords && bytes < maxBytes) {
      asked = Math.min(TAKE_SLICE, maxRecords - moved);
      const [m, b] = await this.cmd.llmgwAuditFill(buffer, meta, batch, newBatchId, token, asked, maxBytes - bytes);
      last = m;
      moved += m;
      bytes += b;
    }
    return { id: newBatchId, resumed: false, token, count: moved };
  }

  /** The batch's records, page by page (a batch never changes once taken). */
  async *read(batchId: string): AsyncGenerator<string[]> {
    const key = this.keys.auditBatch(batchId);
    for (let start = 0; ; start += PAGE) {
      const page = await this.redis.lrange(key, start, start + PAGE - 1);
      if (page.length > 0) yield page;
      if (page.length < PAGE) return;
    }
  }

  batchLength(batchId: string): Promise<number> {
    return this.redis.llen(this.keys.auditBatch(batchId));
  }

  /** Extends the lease; false when `batch.token` no longer holds the batch (another worker took it over). */
  async renew(batch: TakenBatch, leaseMs: number): Promise<boolean> {
    const held = await this.cmd.llmgwAuditLease(
      this.keys.auditInflight(),
      this.keys.auditBatchMeta(),
      batch.id,
      batch.token,
      leaseMs,
    );
    return held === 1;
  }

  /** Gives a batch up (its upload failed): the next flush, on any worker, takes it first. */
  async release(batch: TakenBatch): Promise<void> {
    await this.renew(batch, 0);
  }

  /** Deletes a stored batch; false (and nothing deleted) when `batch.token` no longer holds it. */
  async ack(batch: TakenBatch): Promise<boolean> {
    const acked = await this.cmd.llmgwAuditAck(
      this.keys.auditBatch(batch.id),
      this.keys.auditBatchMeta(),
      this.keys.auditInflight(),
      this.keys.auditBytes(),
      batch.id,
      batch.token,
    );
    return acked === 1;
  }

  length(): Promise<number> {
    return this.redis.llen(this.keys.auditBuffer());
  }

  inFlight(): Promise<number> {
    return this.redis.zcard(this.keys.auditInflight());
  }
}
