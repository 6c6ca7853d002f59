import type { DefaultJobOptions } from 'bullmq';
import { BackoffType } from '#src/core/queue/job-backoff';

export enum QueueName {
  Billing = 'billing',
  LogFlush = 'log-flush',
  /** Alert webhooks (SPEC §13): one fan-out job per event, one delivery job per (webhook, event). */
  Alerts = 'alerts',
}

export enum BillingJob {
  /** One call's usage (a split-off event of a failed batch, or a job from before batches). */
  RecordUsage = 'record-usage',
  /** The usage of many calls: what the API enqueues (one job per enqueue batch). */
  RecordUsageBatch = 'record-usage-batch',
  PruneUsage = 'prune-usage',
  /** Recompute budgeted keys' Redis month counters from PostgreSQL (BUDGET_RECONCILE_INTERVAL). */
  ReconcileBudgets = 'reconcile-budgets',
}

export enum LogFlushJob {
  Flush = 'flush',
}

export enum AlertsJob {
  /** An event: finds the subscribed webhooks, records one delivery each and enqueues them (job id from the event id). */
  FanOut = 'fan-out',
  /** One delivery's POST, retried with backoff for 24 h (job id = delivery id). */
  Deliver = 'deliver',
  /** Publishes `key.expiring` for keys expiring within 7 days or 1 day (KEY_EXPIRY_SCAN_INTERVAL). */
  ScanKeyExpiry = 'scan-key-expiry',
}

/** An alert event as queued; `src/modules/alerts/alert-event.ts` holds its typed form (core knows no feature). */
export interface AlertEventJobData {
  id: string;
  type: string;
  created_at: string;
  data: unknown;
}

/** One billed call, as the billing processor writes it to `usage_records`. */
export interface UsageJobData {
  callId: string;
  clientRequestId: string | null;
  apiKeyId: string;
  apiKeyName: string;
  /** The key's team when the call was made (SPEC §13); absent means none. */
  teamId?: string | null;
  /** OpenAI's `user` / Anthropic's `metadata.user_id` of the request; absent means none. */
  endUser?: string | null;
  modelId: string | null;
  modelName: string | null;
  alias: string | null;
  providerId: string | null;
  providerName: string | null;
  endpoint: 'chat' | 'embeddings' | 'responses' | 'messages';
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** USD as a plain decimal string. */
  costUsd: string;
  /** Redis nano-dollar amount settled for this call (rounded up), used to clear the unbilled marker. */
  costNanos: number;
  estimated: boolean;
  unpriced: boolean;
  status: number;
  errorCode: string | null;
  stream: boolean;
  latencyMs: number;
  ttftMs: number | null;
  overheadMs: number;
  /** Upstream attempts (SPEC §11); absent (events enqueued before routing) means 1. */
  attempts?: number;
  /** Answered from the response cache (SPEC §14); absent means false. */
  cacheHit?: boolean;
  /** A cache hit's saved cost (USD, plain decimal); absent means 0. */
  savedUsd?: string;
  /** ISO-8601 admission time (Redis server time when metered); the call belongs to `month`. */
  createdAt: string;
  /**
   * The budget periods (budget-period.ts ids) whose Redis counters the call counts in, for its key and its team
   * (chosen by Redis time at admission). Events enqueued before periods existed carry `month` instead.
   */
  periods?: { key: string; team?: string };
  /** `YYYY-MM`: the month of events enqueued before budget periods (read as the key's `month:` period). */
  month?: string;
  /**
   * False when the call's cost is not in the Redis month counter yet: billing adds it with the usage row.
   * Absent (events enqueued before this field existed) means settled.
   */
  spendSettled?: boolean;
  /** The call's span (tracing on): the billing job's span links to it. */
  trace?: { traceId: string; spanId: string };
}

/** One key's or team's counter of one budget period. `teamId`: the key's team (its Redis keys' hash tag). */
export interface BudgetPeriodRef {
  type: 'key' | 'team';
  id: string;
  teamId?: string | null;
  period: string;
}

/** The budget counters a billed call counts in: its key's period and, with a team, the team's. */
export function budgetPeriodsOf(e: UsageJobData): BudgetPeriodRef[] {
  const keyPeriod = e.periods?.key ?? `month:${e.month}`;
  const refs: BudgetPeriodRef[] = [{ type: 'key', id: e.apiKeyId, teamId: e.teamId ?? null, period: keyPeriod }];
  if (e.teamId && e.periods?.team) refs.push({ type: 'team', id: e.teamId, teamId: e.teamId, period: e.periods.team });
  return refs;
}

/** Job name → payload, so every enqueue is type-checked. */
export interface JobPayloads {
  [BillingJob.RecordUsage]: UsageJobData;
  [BillingJob.RecordUsageBatch]: { events: UsageJobData[] };
  [BillingJob.PruneUsage]: Record<string, never>;
  /**
   * Every budgeted key's and team's current period, or only `subjects` (the periods billed without Redis, see
   * BillingEnqueuer). `keys` is the shape of jobs enqueued before teams (months of keys).
   */
  [BillingJob.ReconcileBudgets]: { subjects?: BudgetPeriodRef[]; keys?: { apiKeyId: string; month: string }[] };
  [LogFlushJob.Flush]: { reason: 'size' | 'interval' | 'shutdown' | 'manual' };
  [AlertsJob.FanOut]: AlertEventJobData;
  [AlertsJob.Deliver]: { deliveryId: string };
  [AlertsJob.ScanKeyExpiry]: Record<string, never>;
}

/** Retries with exponential backoff; completed jobs go away, failed ones stay a week. */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * A failed billing job is usage nobody has been billed for: it is retried for a little over an hour (waits of
 * 1 s doubling up to 5 min, 20 of them: 3,811 s), so a PostgreSQL outage of that length loses nothing, and then
 * stays in the failed set (the dead letters) until `billing-failed replay` or an operator removes it.
 * `llmgw_queue_jobs{queue="billing",state="failed"}` counts them for alerting.
 */
export const BILLING_JOB_OPTIONS: DefaultJobOptions = {
  ...DEFAULT_JOB_OPTIONS,
  // a completed batch holds its events, which are in usage_records by then (the writer is idempotent by call
  // id): keeping 10,000 of them held ~120 MB of Redis under load for nobody; a thousand is enough to look at
  removeOnComplete: { age: 600, count: 1000 },
  attempts: 21,
  backoff: { type: BackoffType.CappedExponential, delay: 1000 },
  removeOnFail: false,
};
