import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { type JobPayloads, LogFlushJob, QueueName } from '#src/core/queue/queue.constants';
import { AuditBuffer, type BufferCaps } from '#src/modules/audit/audit-buffer';
import { AuditObjectKeys } from '#src/modules/audit/audit-object-key';
import { type AuditRecordOptions, toAuditLine } from '#src/modules/audit/audit-record';
import { AUDIT_STORE, type AuditStore } from '#src/modules/audit/audit-store';
import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { type CallEventSink, CallEventsService } from '#src/modules/calls/call-events.service';
import { metrics } from '#src/modules/metrics/gateway-metrics';

/** Records go to Redis in one script call this often, or sooner when this many records or bytes wait. */
const BATCH_MS = 5;
const BATCH_RECORDS = 200;
const BATCH_BYTES = 1024 * 1024;
const RETRY_MS = 500;
/** At most one size-triggered flush enqueue per process this often (BullMQ deduplicates across processes). */
const ENQUEUE_EVERY_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

interface Push {
  id: string;
  records: string[];
  bytes: number;
}

/**
 * Every call-completed event, refused calls included, becomes one audit record (SPEC §8) appended to the
 * Redis buffer. The proxy never waits: records are serialized at once and pushed in small batches a few
 * milliseconds later by one Lua call that also enforces LOGGING_SINK_BUFFER_MAX and
 * LOGGING_SINK_BUFFER_MAX_BYTES. Billing is a separate sink and never waits on this one. While Redis does not
 * take them, records wait in memory up to LOGGING_SINK_MEMORY_MAX_BYTES (their serialized length); past it new
 * ones are dropped and counted.
 */
@Injectable()
export class AuditSink implements CallEventSink, OnModuleInit {
  readonly name = 'audit';
  private readonly logger = new Logger(AuditSink.name);
  private readonly options: AuditRecordOptions;
  private readonly caps: BufferCaps;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Pending, retried and in-flight records: what LOGGING_SINK_MEMORY_MAX_BYTES caps. */
  private heldBytes = 0;
  /** A push that failed, retried first under the same id so Redis applies it at most once. */
  private retry: Push | null = null;
  /** The push Redis has not answered yet. */
  private inFlight: Push | null = null;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastEnqueue = 0;
  private lastDropLog = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly buffer: AuditBuffer,
    private readonly events: CallEventsService,
    private readonly lifecycle: LifecycleService,
    @InjectQueue(QueueName.LogFlush) private readonly queue: Queue<JobPayloads[LogFlushJob.Flush]>,
    @Inject(AUDIT_STORE) private readonly store: AuditStore,
  ) {
    this.options = {
      pod: config.podName,
      logBodies: config.env.LOG_BODIES,
      bodyMaxBytes: config.env.LOG_BODY_MAX_BYTES,
    };
    this.caps = { records: config.env.LOGGING_SINK_BUFFER_MAX, bytes: config.env.LOGGING_SINK_BUFFER_MAX_BYTES };
  }

  onModuleInit(): void {
    if (!this.config.env.LOGGING_SINK_ENABLED) return;
    this.events.register(this);
    this.lifecycle.onDrain('audit-buffer', () => this.drain(), 'producer');
  }

  accept(e: CallCompletedEvent): void {
    const line = toAuditLine(e, this.options);
    if (this.heldBytes + line.length > this.config.env.LOGGING_SINK_MEMORY_MAX_BYTES)
      return this.dropped(1, 'LOGGING_SINK_MEMORY_MAX_BYTES held in memory', e.callId);
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.heldBytes += line.length;
    if (this.pending.length >= BATCH_RECORDS || this.pendingBytes >= BATCH_BYTES) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  /**
   * Pushes everything pending. When Redis is down or `deadlineMs` passes, what is left is stored directly
   * (S3 or DATA_DIR/logs) as one object, bypassing the buffer; only if that fails too are records lost.
   */
  async drain(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.pending.length > 0 || this.retry || this.flushing) {
      const left = until - Date.now();
      if (left <= 0 || !this.buffer.ready) return this.storeDirectly();

      await Promise.race([this.flush(), sleep(Math.min(left, 1000))]);
      if ((this.pending.length > 0 || this.retry) && !this.flushing) await sleep(100);
    }
  }

  /**
   * The last resort of a shutdown without Redis. A failed push may have reached Redis before its answer was
   * lost, so a record can then appear twice (same call_id): a duplicate is better than a loss.
   */
  private async storeDirectly(): Promise<void> {
    const records = [...(this.inFlight?.records ?? []), ...(this.retry?.records ?? []), ...this.pending];
    this.inFlight = null;
    this.retry = null;
    this.pending = [];
    this.pendingBytes = 0;
    this.heldBytes = 0;
    if (records.length === 0) return;
    const prefix = this.store.kind === 's3' ? this.config.env.LOGGING_SINK_S3_PREFIX : '';
    const key = new AuditObjectKeys(prefix, this.config.podName).next();
    try {
      await this.store.put(
        key,
        (async function* () {
          yield records;
        })(),
      );
      this.logger.warn(
        { records: records.length, key },
        'Redis unavailable at shutdown: audit records stored directly',
      );
    } catch (err) {
      this.logger.error(
        { lost: records.length, err: { message: (err as Error).message } },
        'audit records lost: neither Redis nor the audit store took them',
      );
    }
  }

  private next(): Push | null {
    if (this.retry) return this.retry;
    if (this.pending.length === 0) return null;
    let bytes = 0;
    let n = 0;
    while (n < this.pending.length && n < BATCH_RECORDS && bytes < BATCH_BYTES) bytes += this.pending[n++].length;
    const records = this.pending.splice(0, n);
    this.pendingBytes -= bytes;
    return { id: this.buffer.newPushId(), records, bytes };
  }

  private flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushing) return this.flushing;
    const push = this.next();
    if (!push) return Promise.resolve();
    this.retry = null;
    this.inFlight = push;
    this.flushing = this.buffer
      .push(push.id, push.records, this.caps)
      .then(({ length, dropped }) => {
        if (this.inFlight === push) this.heldBytes -= push.bytes;
        if (dropped > 0)
          this.dropped(dropped, 'Redis buffer full (LOGGING_SINK_BUFFER_MAX or LOGGING_SINK_BUFFER_MAX_BYTES)');
        if (length >= this.config.env.LOGGING_SINK_FLUSH_SIZE) this.requestFlush();
      })
      .catch((err: unknown) => {
        if (this.inFlight !== push) return; // already stored directly at shutdown
        this.retry = push;
        this.logger.warn(
          { err: { message: (err as Error).message }, records: push.records.length },
          'audit push failed; retrying',
        );
      })
      .finally(() => {
        this.flushing = null;
        if (this.inFlight === push) this.inFlight = null;
        if (this.retry) this.timer ??= setTimeout(() => void this.flush(), RETRY_MS).unref();
        else if (this.pending.length > 0) this.timer ??= setTimeout(() => void this.flush(), 0);
      });
    return this.flushing;
  }

  /** One waiting flush job at a time across all pods; a second is queued while one runs, never more. */
  private requestFlush(): void {
    const now = Date.now();
    if (now - this.lastEnqueue < ENQUEUE_EVERY_MS) return;
    this.lastEnqueue = now;
    this.queue
      .add(LogFlushJob.Flush, { reason: 'size' }, { deduplication: { id: 'size', keepLastIfActive: true } })
      .catch((err: unknown) =>
        this.logger.warn({ err: { message: (err as Error).message } }, 'could not enqueue the audit flush'),
      );
  }

  private dropped(n: number, reason: string, callId?: string): void {
    metrics.logRecordsDropped.inc(n);
    if (Date.now() - this.lastDropLog < 10_000) return;
    this.lastDropLog = Date.now();
    this.logger.warn({ dropped: n, reason, callId }, 'audit records dropped');
  }

  /** Bytes of serialized records this process holds in memory (for operators and the outage tests). */
  get memoryBytes(): number {
    return this.heldBytes;
  }
}
