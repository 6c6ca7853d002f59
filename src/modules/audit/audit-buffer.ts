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
    cap: number,
    ttl: number,
    ...records: string[]
  ): Promise<[number, number, number]>;
  llmgwAuditTake(
    buffer: string,
    inflight: string,
    batch: string,
    leaseMs: number,
    maxRecords: number,
    maxBytes: number,
    batchId: string,
  ): Promise<[string, number, number, number] | []>;
  llmgwAuditFill(
    buffer: string,
    inflight: string,
    batch: string,
    batchId: string,
    maxRecords: number,
    maxBytes: number,
  ): Promise<[number, number]>;
  llmgwAuditLease(inflight: string, batchId: string, ms: number): Promise<number>;
  llmgwAuditAck(batch: string, inflight: string, batchId: string): Promise<number>;
}

export interface PushResult {
  length: number;
  dropped: number;
}

export interface TakenBatch {
  /** The object key, fixed when the batch was first taken. */
  id: string;
  resumed: boolean;
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
    this.hotRedis.defineCommand('llmgwAuditPush', { numberOfKeys: 3, lua: PUSH_LUA });
    this.redis.defineCommand('llmgwAuditTake', { numberOfKeys: 3, lua: TAKE_LUA });
    this.redis.defineCommand('llmgwAuditFill', { numberOfKeys: 3, lua: FILL_LUA });
    this.redis.defineCommand('llmgwAuditLease', { numberOfKeys: 1, lua: LEASE_LUA });
    this.redis.defineCommand('llmgwAuditAck', { numberOfKeys: 2, lua: ACK_LUA });
  }

  /** Whether the push connection is up (a drain does not wait on a dead Redis). */
  get ready(): boolean {
    return this.hotRedis.status === 'ready';
  }

  newPushId(): string {
    return randomUUID();
  }

  /** Appends serialized records under `pushId` (reuse it when retrying the same records). */
  async push(pushId: string, records: string[], cap: number): Promise<PushResult> {
    const [length, dropped] = await this.hot.llmgwAuditPush(
      this.keys.auditBuffer(),
      this.keys.auditDropped(),
      this.keys.auditPushMarker(pushId),
      cap,
      PUSH_MARKER_TTL_MS,
      ...records,
    );
    return { length, dropped };
  }

  /**
   * A batch of up to `maxRecords` records (about `maxBytes`): a batch whose lease ran out, as it is, or a new
   * one filled slice by slice (TAKE_SLICE records per script call, so Redis is never held long).
   */
  async take(newBatchId: string, leaseMs: number, maxRecords: number, maxBytes: number): Promise<TakenBatch | null> {
    const buffer = this.keys.auditBuffer();
    const inflight = this.keys.auditInflight();
    const batch = this.keys.auditBatch(newBatchId);
    let asked = Math.min(TAKE_SLICE, maxRecords);
    const reply = await this.cmd.llmgwAuditTake(buffer, inflight, batch, leaseMs, asked, maxBytes, newBatchId);
    if (reply.length === 0) return null;
    if (reply[1] === 1) return { id: reply[0], resumed: true };
    let [, , last, bytes] = reply;
    let moved = last;
    while (last === asked && moved < maxRecords && bytes < maxBytes) {
      asked = Math.min(TAKE_SLICE, maxRecords - moved);
      const [m, b] = await this.cmd.llmgwAuditFill(buffer, inflight, batch, newBatchId, asked, maxBytes - bytes);
      last = m;
      moved += m;
      bytes += b;
    }
    return { id: newBatchId, resumed: false };
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

  async renew(batchId: string, leaseMs: number): Promise<void> {
    await this.cmd.llmgwAuditLease(this.keys.auditInflight(), batchId, leaseMs);
  }

  /** Gives a batch up (its upload failed): the next flush, on any worker, takes it first. */
  async release(batchId: string): Promise<void> {
    await this.cmd.llmgwAuditLease(this.keys.auditInflight(), batchId, 0);
  }

  async ack(batchId: string): Promise<void> {
    await this.cmd.llmgwAuditAck(this.keys.auditBatch(batchId), this.keys.auditInflight(), batchId);
  }

  length(): Promise<number> {
    return this.redis.llen(this.keys.auditBuffer());
  }

  inFlight(): Promise<number> {
    return this.redis.zcard(this.keys.auditInflight());
  }
}
