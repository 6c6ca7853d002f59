import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { type Batch, Batcher } from '#src/core/batching/batcher';
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
  /** Serialized records; a failed push is retried under the same id (its batch id) so Redis applies it at most once. */
  private readonly batcher: Batcher<string>;
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
    this.batcher = new Batcher<string>({
      delayMs: BATCH_MS,
      sendAt: { items: BATCH_RECORDS, bytes: BATCH_BYTES },
      capacity: { bytes: config.env.LOGGING_SINK_MEMORY_MAX_BYTES },
      sizeOf: (line) => line.length,
      retryMs: RETRY_MS,
      newBatchId: () => this.buffer.newPushId(),
      send: (push) => this.push(push),
      onFailure: (err, push) =>
        this.logger.warn(
          { err: { message: (err as Error).message }, records: push.items.length },
          'audit push failed; retrying',
        ),
    });
  }

  onModuleInit(): void {
    if (!this.config.env.LOGGING_SINK_ENABLED) return;
    this.events.register(this);
    this.lifecycle.onDrain('audit-buffer', () => this.drain(), 'producer');
  }

  accept(e: CallCompletedEvent): void {
    if (!this.batcher.add(toAuditLine(e, this.options)))
      this.dropped(1, 'LOGGING_SINK_MEMORY_MAX_BYTES held in memory', e.callId);
  }

  /**
   * Pushes everything pending. When Redis is down or `deadlineMs` passes, what is left is stored directly
   * (S3 or DATA_DIR/logs) as one object, bypassing the buffer; only if that fails too are records lost.
   */
  drain(deadlineMs = 10_000): Promise<void> {
    return this.batcher.drain(
      deadlineMs,
      (records) => this.storeDirectly(records),
      () => !this.buffer.ready,
    );
  }

  /**
   * The last resort of a shutdown without Redis. A failed push may have reached Redis before its answer was
   * lost, so a record can then appear twice (same call_id): a duplicate is better than a loss.
   */
  private async storeDirectly(records: string[]): Promise<void> {
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

  private async push(push: Batch<string>): Promise<void> {
    const { length, dropped } = await this.buffer.push(push.id, push.items, this.caps);
    if (dropped > 0)
      this.dropped(dropped, 'Redis buffer full (LOGGING_SINK_BUFFER_MAX or LOGGING_SINK_BUFFER_MAX_BYTES)');
    if (length >= this.config.env.LOGGING_SINK_FLUSH_SIZE) this.requestFlush();
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
    return this.batcher.held.bytes;
  }
}
