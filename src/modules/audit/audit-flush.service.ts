import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type Span, SpanKind } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { type JobPayloads, LogFlushJob, QueueName } from '#src/core/queue/queue.constants';
import { Tracing } from '#src/core/tracing/tracing';
import { AuditBuffer, type TakenBatch } from '#src/modules/audit/audit-buffer';
import { AuditErrorCode, AuditException } from '#src/modules/audit/audit.exception';
import { AuditObjectKeys } from '#src/modules/audit/audit-object-key';
import { AUDIT_STORE, type AuditStore } from '#src/modules/audit/audit-store';

const SCHEDULER_ID = 'audit-flush';
/** A batch whose worker stops renewing its lease for this long is taken again by the next flush. */
export const AUDIT_LEASE_MS = 15_000;
const RENEW_EVERY_MS = 5_000;
/** A batch is also closed once it holds this many bytes of records (bounds one object and its memory). */
const BATCH_MAX_BYTES = 64 * 1024 * 1024;
/** One flush job stores at most this many batches, then hands the rest to a follow-up job. */
const BATCHES_PER_JOB = 50;
const SHUTDOWN_FLUSH_MS = 15_000;

type FlushReason = JobPayloads[LogFlushJob.Flush]['reason'];

export interface FlushResult {
  batches: number;
  records: number;
}

/** The call's ids in an audit line (tracing on), and how many calls a batch's span links to at most. */
const TRACE_IDS = /"trace_id":"([0-9a-f]{32})","span_id":"([0-9a-f]{16})"/;
const MAX_LINKS = 128;

/**
 * The worker side of audit logging: takes batches from the Redis buffer and stores each as one gzip JSON
 * Lines object, deleting the batch only after the store acknowledged it. The object key is fixed when the
 * batch is taken, so a retry or a resumed batch (its worker died) rewrites the same object: no record is
 * lost or stored twice.
 */
@Injectable()
export class AuditFlushService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuditFlushService.name);
  private readonly keys: AuditObjectKeys;

  constructor(
    private readonly config: AppConfig,
    private readonly buffer: AuditBuffer,
    @Inject(AUDIT_STORE) private readonly store: AuditStore,
    private readonly lifecycle: LifecycleService,
    @InjectQueue(QueueName.LogFlush) private readonly queue: Queue<JobPayloads[LogFlushJob.Flush]>,
    private readonly tracing: Tracing,
  ) {
    const prefix = this.store.kind === 's3' ? config.env.LOGGING_SINK_S3_PREFIX : '';
    this.keys = new AuditObjectKeys(prefix, config.podName);
  }

  /** Not awaited: start-up must not wait for Redis (readiness reports it); the scheduler lands once Redis answers. */
  onModuleInit(): void {
    this.lifecycle.onDrain('audit-flush', () => this.drain(), 'consumer');
    this.queue
      .upsertJobScheduler(
        SCHEDULER_ID,
        { every: this.config.env.LOGGING_SINK_FLUSH_INTERVAL },
        { name: LogFlushJob.Flush, data: { reason: 'interval' } },
      )
      .catch((error: unknown) => this.logger.warn(`audit flush scheduler not updated: ${String(error)}`));
  }

  onModuleDestroy(): void {
    this.store.close();
  }

  /** Stores batches until the buffer is empty; throws (after giving the failed batch back) when a store fails. */
  async flush(reason: FlushReason, maxBatches = BATCHES_PER_JOB): Promise<FlushResult> {
    const result: FlushResult = { batches: 0, records: 0 };
    while (result.batches < maxBatches) {
      const batch = await this.buffer.take(
        this.keys.next(),
        AUDIT_LEASE_MS,
        this.config.env.LOGGING_SINK_FLUSH_SIZE,
        BATCH_MAX_BYTES,
      );
      if (!batch) return result;
      result.records += await this.storeBatch(batch);
      result.batches++;
    }
    if ((await this.buffer.length()) > 0 && reason !== 'shutdown') {
      await this.queue.add(LogFlushJob.Flush, { reason }, { deduplication: { id: 'size', keepLastIfActive: true } });
    }
    return result;
  }

  /**
   * Stores one batch and acknowledges it, both fenced by the batch's lease token: the object is sent (or the
   * file renamed) only once every recorded record was read and the token still holds the batch, so a worker
   * whose lease was taken over never overwrites the new holder's object with a partial copy, nor deletes
   * what the new holder is reading.
   */
  private async storeBatch(batch: TakenBatch): Promise<number> {
    if (!this.tracing.on) return this.storeBatchIn(batch, null);
    // a span per stored batch, linked to the calls whose records it holds (SPEC §16)
    const options = {
      kind: SpanKind.CONSUMER,
      attributes: { 'llmgw.audit.batch_id': batch.id, 'llmgw.audit.store': this.store.kind },
    };
    return this.tracing.inSpan('llmgw.audit.store_batch', options, async (span) => {
      const stored = await this.storeBatchIn(batch, span);
      span.setAttribute('llmgw.audit.records', stored);
      return stored;
    });
  }

  private async storeBatchIn(batch: TakenBatch, span: Span | null): Promise<number> {
    const heartbeat = setInterval(
      () => void this.buffer.renew(batch, AUDIT_LEASE_MS).catch(() => undefined),
      RENEW_EVERY_MS,
    );
    heartbeat.unref();
    try {
      // a batch taken before counts were kept is counted now (its worker stopped before this version)
      const count = batch.count ?? (await this.buffer.batchLength(batch.id));
      if (count > 0) await this.store.put(batch.id, this.fencedRead(batch, count, span));
      if (!(await this.buffer.ack(batch))) throw AuditException.leaseLost(batch.id);
      if (batch.resumed) this.logger.log({ batch: batch.id, records: count }, 'resumed audit batch stored');
      return count;
    } catch (err) {
      if (err instanceof AuditException) return this.notStored(err);
      await this.buffer.release(batch).catch(() => undefined);
      throw err;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * The batch's pages, then the checks the store waits on before it commits (the S3 PUT is sent, the file
   * renamed only after its source ends): the token still holds the batch, and every recorded record was read.
   */
  private async *fencedRead(batch: TakenBatch, count: number, span: Span | null): AsyncGenerator<string[]> {
    let read = 0;
    let linked = 0;
    for await (const page of this.buffer.read(batch.id)) {
      read += page.length;
      for (let i = 0; span && i < page.length && linked < MAX_LINKS; i++) {
        // the ids sit in the record's head, before its bodies: only the start of a line is searched
        const ids = TRACE_IDS.exec(page[i].slice(0, 4096));
        if (!ids) continue;
        span.addLink({ context: { traceId: ids[1], spanId: ids[2], traceFlags: 1, isRemote: true } });
        linked++;
      }
      yield page;
    }
    if (!(await this.buffer.renew(batch, AUDIT_LEASE_MS))) throw AuditException.leaseLost(batch.id);
    if (read !== count) throw AuditException.countMismatch(batch.id, count, read);
  }

  /**
   * A lost lease is routine (the new holder stores the batch). A count mismatch is not: the batch keeps its
   * lease, so this flush goes on with other batches, and is retried once the lease runs out.
   */
  private notStored(err: AuditException): number {
    const fields = { batch: err.batchId, code: err.code, err: { message: err.message } };
    if (err.code === AuditErrorCode.LeaseLost) this.logger.warn(fields, 'audit batch taken over; not stored here');
    else this.logger.error(fields, 'audit batch not stored: records missing; left in Redis for a retry');
    return 0;
  }

  /**
   * SIGTERM, once the producer hooks ran (an API process's audit sink pushed what it held): store the whole
   * buffer (what cannot be stored stays in Redis).
   */
  private async drain(): Promise<void> {
    if (!this.buffer.ready) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), SHUTDOWN_FLUSH_MS);
    });
    try {
      const outcome = await Promise.race([this.flush('shutdown', Number.MAX_SAFE_INTEGER), deadline]);
      if (outcome === 'timeout') this.logger.warn('audit flush at shutdown ran out of time; the rest stays in Redis');
      else if (outcome.records > 0) this.logger.log(outcome, 'audit buffer flushed at shutdown');
    } catch (err) {
      this.logger.warn(
        { err: { message: (err as Error).message } },
        'audit flush at shutdown failed; records stay in Redis',
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
