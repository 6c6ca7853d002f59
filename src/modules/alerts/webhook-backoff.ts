import type { BackoffOptions, JobsOptions } from 'bullmq';
import { BackoffType, jobBackoffStrategy } from '#src/core/queue/job-backoff';

/** The delivery jobs' backoff type, handled by `alertsBackoffStrategy` (the alerts worker's setting). */
export const WEBHOOK_BACKOFF = 'webhook-capped-exponential';
/** The longest wait between two POSTs of one delivery. */
export const WEBHOOK_BACKOFF_MAX_MS = 3_600_000;
/** How long a delivery is retried (SPEC §13). */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 3_600_000;

/** The wait after the `attemptsMade`-th failed POST: `baseMs` doubling, capped at 1 h. */
export function webhookRetryDelay(attemptsMade: number, baseMs: number): number {
  return Math.min(WEBHOOK_BACKOFF_MAX_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
}

/** Attempts whose waits add up to 24 h: 33 with the default 10 s base (10 s, 20 s, ... 1 h, 1 h, ...). */
export function webhookAttempts(baseMs: number): number {
  let waited = 0;
  let attempts = 1;
  while (waited < WEBHOOK_RETRY_WINDOW_MS) waited += webhookRetryDelay(attempts++, baseMs);
  return attempts;
}

/** A delivery job's options; the job id is the delivery id, so one delivery is never queued twice. */
export function deliveryJobOptions(deliveryId: string, baseMs: number): JobsOptions {
  return {
    jobId: deliveryId,
    attempts: webhookAttempts(baseMs),
    backoff: { type: WEBHOOK_BACKOFF, delay: baseMs },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * A fan-out job is retried like billing (1 s doubling up to 5 min, a little over an hour), so a PostgreSQL outage of
 * that length loses no alert.
 */
export const FAN_OUT_JOB_OPTIONS: JobsOptions = {
  attempts: 21,
  backoff: { type: BackoffType.CappedExponential, delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The alerts worker's `backoffStrategy`: the delivery backoff, and the shared capped one for fan-out jobs. */
export function alertsBackoffStrategy(
  attemptsMade: number,
  type?: string,
  err?: Error,
  job?: { opts: { backoff?: number | BackoffOptions } },
): number {
  if (type !== WEBHOOK_BACKOFF) return jobBackoffStrategy(attemptsMade, type, err, job);
  const backoff = job?.opts.backoff;
  const base = typeof backoff === 'object' && backoff.delay ? backoff.delay : 10_000;
  return webhookRetryDelay(attemptsMade, base);
}
