import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { BillingJob, QueueName, type UsageJobData } from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { BillingService } from '#src/modules/billing/billing.service';
import { utcMonth } from '#src/modules/billing/month';
import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { type CallEventSink, CallEventsService } from '#src/modules/calls/call-events.service';

/** Events are sent to BullMQ in batches (one job, one round trip) this often or this large. */
const BATCH_MS = 10;
const BATCH_MAX = 200;
const RETRY_MS = 500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Every admitted call becomes a billing event. The proxy never waits for this: events are batched in memory for
 * a few milliseconds and sent as one `record-usage-batch` job, which the processor writes in one transaction; a
 * failed send is retried, and a graceful shutdown sends whatever is still pending before the process exits.
 */
@Injectable()
export class BillingEnqueuer implements CallEventSink, OnModuleInit {
  readonly name = 'billing';
  private readonly logger = new Logger(BillingEnqueuer.name);
  private pending: UsageJobData[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private inFlight: UsageJobData[] = [];

  constructor(
    @InjectQueue(QueueName.Billing) private readonly queue: Queue,
    private readonly events: CallEventsService,
    private readonly lifecycle: LifecycleService,
    private readonly billing: BillingService,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
  ) {}

  onModuleInit(): void {
    this.events.register(this);
    this.lifecycle.onDrain('billing-enqueue', () => this.drain());
  }

  accept(e: CallCompletedEvent): void {
    if (!e.admitted || !e.apiKey) return;
    this.pending.push(toJob(e));
    if (this.pending.length >= BATCH_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  /** Sends everything pending, retrying until it is acknowledged or `deadline` passes (a hung Redis call included). */
  async drain(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.pending.length > 0 || this.flushing) {
      const left = until - Date.now();
      if (left <= 0 || this.redis.status !== 'ready') return this.writeDirectly();
      await Promise.race([this.flush(), sleep(Math.min(left, 1000))]);
      if (this.pending.length > 0 && !this.flushing) await sleep(100);
    }
  }

  /**
   * Last resort when Redis cannot take the events before the process exits: the usage rows go straight to
   * PostgreSQL (idempotent per call id, so a batch that did reach the queue is not billed twice).
   */
  private async writeDirectly(): Promise<void> {
    const events = [...this.inFlight, ...this.pending];
    this.pending = [];
    let failed: { event: UsageJobData; error: Error }[];
    try {
      failed = (await this.billing.recordBatch(events)).failed;
    } catch (error) {
      failed = events.map((event) => ({ event, error: error as Error }));
    }
    for (const { event, error } of failed)
      this.logger.error(
        { err: { message: error.message }, callId: event.callId, usage: event },
        'billing event lost: neither Redis nor PostgreSQL took it',
      );
    const lost = failed.length;
    this.logger.warn(
      { events: events.length, lost },
      'Redis unavailable at shutdown: billing events written to PostgreSQL directly',
    );
  }

  private flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushing) return this.flushing;
    if (this.pending.length === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    this.inFlight = batch;
    this.flushing = this.queue
      .add(BillingJob.RecordUsageBatch, { events: batch })
      .then(() => undefined)
      .catch((err: unknown) => {
        this.logger.warn(
          { err: { message: (err as Error).message }, events: batch.length },
          'billing enqueue failed; retrying',
        );
        this.pending = batch.concat(this.pending);
        this.timer ??= setTimeout(() => void this.flush(), RETRY_MS);
      })
      .finally(() => {
        this.flushing = null;
        this.inFlight = [];
        if (this.pending.length > 0) this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
      });
    return this.flushing;
  }
}

function toJob(e: CallCompletedEvent): UsageJobData {
  return {
    callId: e.callId,
    clientRequestId: e.clientRequestId,
    apiKeyId: e.apiKey!.id,
    apiKeyName: e.apiKey!.name,
    modelId: e.model?.id ?? null,
    modelName: e.model?.name ?? null,
    alias: e.alias,
    providerId: e.provider?.id ?? null,
    providerName: e.provider?.name ?? null,
    endpoint: e.endpoint,
    promptTokens: e.usage.promptTokens,
    completionTokens: e.usage.completionTokens,
    cacheReadTokens: e.usage.cacheReadTokens,
    cacheWriteTokens: e.usage.cacheWriteTokens,
    reasoningTokens: e.usage.reasoningTokens,
    costUsd: e.costUsd,
    costNanos: e.costNanos,
    estimated: e.usage.estimated,
    unpriced: e.unpriced,
    status: e.status,
    errorCode: e.errorCode,
    stream: e.stream,
    latencyMs: e.latencyMs,
    ttftMs: e.ttftMs,
    overheadMs: e.overheadMs,
    createdAt: (e.period?.admittedAt ?? e.startedAt).toISOString(),
    month: e.period?.month ?? utcMonth(e.startedAt),
    spendSettled: e.spendSettled ?? true,
  };
}
