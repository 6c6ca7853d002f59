/** How an alias picks among its targets (SPEC §11). */
export const ROUTING_STRATEGIES = ['weighted', 'least_busy', 'latency', 'cost'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** Failures an attempt is retried on another target for, before any byte reached the client. */
export const RETRY_CONDITIONS = ['429', '5xx', 'timeout', 'connect'] as const;
export type RetryCondition = (typeof RETRY_CONDITIONS)[number];

export const MAX_ROUTING_TARGETS = 16;
export const MAX_ROUTING_RETRIES = 5;
/** Bounds of `attempt_timeout`. */
export const MIN_ATTEMPT_TIMEOUT_MS = 100;
export const MAX_ATTEMPT_TIMEOUT_MS = 10 * 60_000;

export interface RoutingTarget {
  modelId: string;
  /** Share of the group's calls under `weighted` (> 0). */
  weight: number;
  /** Lower numbers are tried first; higher ones are fallbacks. */
  priority: number;
}

/** An alias's routing as stored (model ids, so a model rename keeps it). */
export interface AliasRouting {
  strategy: RoutingStrategy;
  targets: RoutingTarget[];
  /** Extra attempts per priority group. */
  retries: number;
  retryOn: RetryCondition[];
  /** How long an attempt waits for the provider's response headers before it counts as a `timeout` (null: no bound). */
  attemptTimeoutMs?: number | null;
}

export const ROUTING_DEFAULTS = {
  strategy: 'weighted' as RoutingStrategy,
  weight: 1,
  priority: 0,
  retries: 1,
  retryOn: [...RETRY_CONDITIONS] as RetryCondition[],
};

/** A duration as the API shows it: `2m`, `30s` or `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
