import type { BackoffOptions } from 'bullmq';

/** Backoff types of our own: BullMQ hands any type it does not know to the worker's `backoffStrategy`. */
export enum BackoffType {
  /** Doubles from `delay` (1 s, 2 s, 4 s, ...) but never waits longer than CAPPED_BACKOFF_MAX_MS. */
  CappedExponential = 'capped-exponential',
}

/** The longest wait between two attempts: a long outage is retried every 5 minutes, not every few hours. */
export const CAPPED_BACKOFF_MAX_MS = 5 * 60_000;
const DEFAULT_DELAY_MS = 1000;

/**
 * The worker setting `backoffStrategy`: BullMQ's own exponential backoff has no cap, so 21 attempts would
 * wait 12 days before the last one. `attemptsMade` counts the attempt that just failed (1 after the first).
 */
export function jobBackoffStrategy(
  attemptsMade: number,
  type?: string,
  _err?: Error,
  job?: { opts: { backoff?: number | BackoffOptions } },
): number {
  if (type !== BackoffType.CappedExponential) throw new Error(`unknown backoff type ${type}`);
  const backoff = job?.opts.backoff;
  const delay = typeof backoff === 'object' ? (backoff.delay ?? DEFAULT_DELAY_MS) : DEFAULT_DELAY_MS;
  return Math.min(CAPPED_BACKOFF_MAX_MS, delay * 2 ** Math.max(0, attemptsMade - 1));
}
