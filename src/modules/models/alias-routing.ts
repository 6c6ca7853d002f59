/** How an alias picks among its targets (SPEC §11). */
export const ROUTING_STRATEGIES = ['weighted', 'least_busy', 'latency', 'cost'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];
/** The strategies this build routes by; the others need live stats shared across pods (not built yet). */
export const BUILT_STRATEGIES: readonly RoutingStrategy[] = ['weighted', 'cost'];

/** Failures an attempt is retried on another target for, before any byte reached the client. */
export const RETRY_CONDITIONS = ['429', '5xx', 'timeout', 'connect'] as const;
export type RetryCondition = (typeof RETRY_CONDITIONS)[number];

export const MAX_ROUTING_TARGETS = 16;
export const MAX_ROUTING_RETRIES = 5;

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
}

export const ROUTING_DEFAULTS = {
  strategy: 'weighted' as RoutingStrategy,
  weight: 1,
  priority: 0,
  retries: 1,
  retryOn: [...RETRY_CONDITIONS] as RetryCondition[],
};
