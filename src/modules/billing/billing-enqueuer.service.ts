import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '#src/core/config/app-config';
import { Batcher } from '#src/core/batching/batcher';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { periodId } from '#src/modules/billing/budget-period';
import {
  BillingJob,
  type BudgetPeriodRef,
  budgetPeriodsOf,
  QueueName,
  type UsageJobData,
} from '#src/core/queue/queue.constants';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { BULL_REDIS } from '#src/core/redis/redis.module';
import { BillingService } from '#src/modules/billing/billing.service';
import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { type CallEventSink, CallEventsService } from '#src/modules/calls/call-events.service';
import { metrics } from '#src/modules/metrics/gateway-metrics';

/** Events are sent to BullMQ in batches (one job, one round trip) this often or this large. */
const BATCH_MS = 10;
const BATCH_MAX = 200;
/** Most events in one job or one direct write: 30 parameters a usage row (6 period rows of 5 at most) stays under PostgreSQL's 65,535. */
const WRITE_MAX = 1000;
const RETRY_MS = 500;
/** Key months to reconcile after an outage; past this many, every budgeted key's month is reconciled. */
const OWED_MAX = 10_000;
/** The outage log line repeats at most this often (the counts in it are totals). */
const LOG_EVERY_MS = 10_000;

/** What this process holds and what it did without Redis (for operators' logs and the outage tests). */
export interface BillingBacklog {
  /** Events in memory: waiting, retrying or being sent. Never more than BILLING_PENDING_MAX. */
  pending: number;
  /** Events written to PostgreSQL directly because Redis did not take them. */
  writtenDirectly: number;
  /** Events lost: neither Redis nor PostgreSQL took them. */
  dropped: number;
}

/**
 * Every admitted call becomes a billing event. The proxy never waits for this: events are batched in memory for
 * a few milliseconds and sent as one `record-usage-batch` job, which the processor writes in one transaction.
 * While Redis is unreachable (not connected, or a job not acknowledged within BILLING_ENQUEUE_TIMEOUT) batches
 * go straight to PostgreSQL through the same idempotent writer, so a job that still reaches the queue later
 * bills nothing twice. Only when PostgreSQL fails too do events wait in memory, at most BILLING_PENDING_MAX of
 * them; past that new ones are dropped, counted and logged with their usage.
 */
@Injectable()
export class BillingEnqueuer implements CallEventSink, OnModuleInit {
  readonly name = 'billing';
  private readonly logger = new Logger(BillingEnqueuer.name);
  private readonly enqueueTimeoutMs: number;
  private readonly batcher: Batcher<UsageJobData>;
  /** A job Redis has not acknowledged in time is still outstanding: send nothing more until it settles. */
  private unacknowledged = false;
  private writtenDirectly = 0;
  private dropped = 0;
  /**
   * Key months billed straight to PostgreSQL without Redis: their late settlement and marker clearing did not
   * run, so their counters are reconciled once Redis takes jobs again (`null`: too many, reconcile them all).
   */
  private owed: Map<string, BudgetPeriodRef> | null = new Map();
  private repairing = false;
  private lastDirectLog = 0;

  constructor(
    @InjectQueue(QueueName.Billing) private readonly queue: Queue,
    private readonly events: CallEventsService,
    private readonly lifecycle: LifecycleService,
    private readonly billing: BillingService,
    @Inject(BULL_REDIS) private readonly redis: RedisClient,
    config: AppConfig,
  ) {
    const pendingMax = config.env.BILLING_PENDING_MAX;
    this.enqueueTimeoutMs = config.env.BILLING_ENQUEUE_TIMEOUT;
    this.batcher = new Batcher<UsageJobData>({
      delayMs: BATCH_MS,
      sendAt: { items: BATCH_MAX },
      batchMax: { items: WRITE_MAX },
      capacity: { items: pendingMax },
      retryMs: RETRY_MS,
      send: (batch) => this.send(batch.items),
      // half the cap waiting behind a send Redis has not answered yet: PostgreSQL takes it rather than the cap.
      // That send has waited on Redis this long: its timeout decides the send, the overflow does not wait on Redis
      overflow: { atItems: Math.ceil(pendingMax / 2), send: (batch) => this.writeDirectly(batch.items, true) },
      onFailure: (err, batch) =>
        this.logger.warn(
          { err: { message: (err as Error).message }, events: batch.items.length },
          'billing batch taken by neither Redis nor PostgreSQL; retrying',
        ),
    });
  }

  onModuleInit(): void {
    this.events.register(this);
    this.lifecycle.onDrain('billing-enqueue', () => this.drain(), 'producer');
    this.redis.on('ready', () => void this.repairOwed());
  }

  accept(e: CallCompletedEvent): void {
    if (!e.admitted || !e.apiKey) return;
    const event = toJob(e);
    if (!this.batcher.add(event)) this.drop([{ event, reason: 'BILLING_PENDING_MAX events pending' }]);
  }

  backlog(): BillingBacklog {
    return {
      pending: this.batcher.held.items,
      writtenDirectly: this.writtenDirectly,
      dropped: this.dropped,
    };
  }

  /**
   * Sends everything pending before the process exits, retrying until `deadlineMs` passes; then one last
   * direct write of whatever is left (a batch being sent included: the writer is idempotent).
   */
  drain(deadlineMs = 10_000): Promise<void> {
    return this.batcher.drain(deadlineMs, (events) => this.writeLeftovers(events));
  }

  private async writeLeftovers(events: UsageJobData[]): Promise<void> {
    try {
      await this.writeDirectly(events);
    } catch (err) {
      this.drop(events.map((event) => ({ event, reason: (err as Error).message })));
    }
  }

  private redisDown(): boolean {
    return this.redis.status !== 'ready' || this.unacknowledged;
  }

  /** To the queue while Redis takes jobs; otherwise straight to PostgreSQL. Throws when neither took the batch. */
  private async send(batch: readonly UsageJobData[]): Promise<void> {
    if (!this.redisDown()) {
      try {
        await this.enqueue(batch);
        return void this.repairOwed();
      } catch (err) {
        this.logger.warn(
          { err: { message: (err as Error).message }, events: batch.length },
          'billing enqueue failed; writing the batch to PostgreSQL directly',
        );
      }
    }
    await this.writeDirectly(batch);
  }

  /**
   * BullMQ's add waits as long as its connection does (offline queue, a Redis that stopped answering), so it
   * races a timer. A job that loses the race may still be added later: its events are then written twice,
   * which the per-call-id writer turns into one row. Until it settles, batches skip Redis, so at most one such
   * job is ever held by the connection.
   */
  private async enqueue(batch: readonly UsageJobData[]): Promise<void> {
    return this.withTimeout(this.queue.add(BillingJob.RecordUsageBatch, { events: [...batch] }));
  }

  private async withTimeout(added: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not acknowledge the job within ${this.enqueueTimeoutMs} ms`)),
        this.enqueueTimeoutMs,
      );
    });
    try {
      await Promise.race([added, timeout]);
    } catch (err) {
      this.unacknowledged = true;
      added.then(
        () => {
          this.unacknowledged = false;
          void this.repairOwed();
        },
        () =>
          setTimeout(() => {
            this.unacknowledged = false;
            void this.repairOwed();
          }, RETRY_MS).unref(),
      );
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The same idempotent writer as the processor's (usage rows unique per call id). Throws when PostgreSQL
   * is unreachable (the batch is retried); events it refuses one by one are dropped.
   */
  private async writeDirectly(events: readonly UsageJobData[], redisDown = this.redisDown()): Promise<void> {
    if (events.length === 0) return;
    const { failed } = await this.billing.recordBatch(events, { redisDown });
    this.writtenDirectly += events.length - failed.length;
    if (redisDown) {
      this.owe(events);
      // Redis may have come back while this write ran (its 'ready' then found nothing owed)
      void this.repairOwed();
    }
    this.drop(failed.map(({ event, error }) => ({ event, reason: error.message })));
    if (Date.now() - this.lastDirectLog < LOG_EVERY_MS) return;
    this.lastDirectLog = Date.now();
    this.logger.warn(
      { writtenDirectly: this.writtenDirectly, pending: this.backlog().pending },
      'Redis unavailable: billing events written to PostgreSQL directly',
    );
  }

  private owe(events: readonly UsageJobData[]): void {
    for (const event of events)
      for (const ref of budgetPeriodsOf(event)) {
        if (!this.owed) return;
        this.owed.set(`${ref.type}:${ref.id}:${ref.teamId ?? ''}:${ref.period}`, ref);
        if (this.owed.size > OWED_MAX) this.owed = null;
      }
  }

  /**
   * Once Redis takes jobs again, one reconcile job for the key months billed without it (the worker rebuilds
   * each counter from PostgreSQL plus the unbilled markers), so /gateway/key shows their real spend at once
   * rather than after BUDGET_RECONCILE_INTERVAL. Given back for the next try when Redis does not take it.
   */
  private async repairOwed(): Promise<void> {
    if (this.repairing || this.redisDown() || (this.owed && this.owed.size === 0)) return;
    this.repairing = true;
    const owed = this.owed;
    this.owed = new Map();
    try {
      await this.withTimeout(
        this.queue.add(BillingJob.ReconcileBudgets, owed ? { subjects: [...owed.values()] } : {}, { attempts: 3 }),
      );
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'budget reconcile after an outage not queued');
      if (!owed) this.owed = null;
      else for (const [k, v] of owed) this.owed?.set(k, v);
    } finally {
      this.repairing = false;
    }
  }

  /** Each lost event is logged with its usage: the log is then its only record, for billing it by hand. */
  private drop(lost: { event: UsageJobData; reason: string }[]): void {
    if (lost.length === 0) return;
    this.dropped += lost.length;
    metrics.billingEventsDropped.inc(lost.length);
    for (const { event, reason } of lost)
      this.logger.error(
        { err: { message: reason }, callId: event.callId, apiKeyId: event.apiKeyId, usage: event },
        'billing event lost: neither Redis nor PostgreSQL took it',
      );
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
    estimated: e.usage.estimated === true,
    unpriced: e.unpriced,
    status: e.status,
    errorCode: e.errorCode,
    stream: e.stream,
    latencyMs: e.latencyMs,
    ttftMs: e.ttftMs,
    overheadMs: e.overheadMs,
    attempts: e.attempts?.length ?? 1,
    ...(e.cache === 'hit' ? { cacheHit: true, savedUsd: e.savedUsd ?? '0' } : {}),
    teamId: e.apiKey!.teamId ?? null,
    endUser: e.endUser ?? null,
    createdAt: (e.period?.admittedAt ?? e.startedAt).toISOString(),
    periods: e.period?.periods ?? { key: periodId('month', e.startedAt) },
    spendSettled: e.spendSettled ?? true,
    ...(e.trace ? { trace: e.trace } : {}),
  };
}
