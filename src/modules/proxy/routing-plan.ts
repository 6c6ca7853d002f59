import { AppException } from '#src/core/errors/app.exception';
import { calculateCost } from '#src/modules/billing/cost-calculator';
import type { RetryCondition, RoutingStrategy } from '#src/modules/models/alias-routing';
import type { Resolution, RouteTarget } from '#src/modules/models/model-resolver.service';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';

/** The retry condition an upstream failure falls under, or null when it is answered at once. */
export function retryConditionOf(err: unknown): RetryCondition | null {
  if (err instanceof UpstreamException) return conditionOfCode(err.upstreamCode);
  if (err instanceof UpstreamStatusError) return conditionOfStatus(err.status);
  return null;
}

function conditionOfCode(code: UpstreamErrorCode): RetryCondition | null {
  switch (code) {
    case UpstreamErrorCode.RateLimited:
      return '429';
    case UpstreamErrorCode.Timeout:
      return 'timeout';
    case UpstreamErrorCode.Unreachable:
      return 'connect';
    // the provider's 5xx, overload, and the gateway's 502s for its credentials or model name: another target may work
    case UpstreamErrorCode.ServerError:
    case UpstreamErrorCode.Overloaded:
    case UpstreamErrorCode.Auth:
    case UpstreamErrorCode.ModelNotFound:
      return '5xx';
    // the client's request (another target would refuse it too), an answer too large, a refused address
    case UpstreamErrorCode.BadRequest:
    case UpstreamErrorCode.TooLarge:
    case UpstreamErrorCode.AddressRefused:
      return null;
  }
}

function conditionOfStatus(status: number): RetryCondition | null {
  if (status === 429) return '429';
  return status >= 500 ? '5xx' : null;
}

/**
 * A provider's error answer that a native surface would pass on unchanged (Anthropic's 529, say), thrown instead
 * so the routing can try another target; `answer` replays it when no target is left.
 */
export class UpstreamStatusError extends AppException {
  constructor(status: number, code: string) {
    super(code, status, `the provider answered ${status} (${code})`);
  }
}

type Random = () => number;

/**
 * The targets a routed call may try and in what order (SPEC §11). `baseOrder` draws the order the strategy wants
 * before live state: priority groups from the lowest number, each by weight (drawn without replacement) or by price
 * (`cost`). The routing state then leaves cooling targets out and, for `least_busy` and `latency`, reorders each
 * group by its live stat (RoutingState.pick); the plan keeps that order and counts attempts, at most `retries + 1`
 * per group. A target skipped at its provider quota is not an attempt. A model or a plain alias has one target.
 */
export class RoutingPlan {
  private position = 0;
  private readonly attempts = new Map<number, number>();

  constructor(
    private readonly order: readonly RouteTarget[],
    private readonly perGroup: number,
  ) {}

  /** The candidates in the strategy's order before live state (a model or plain alias: its one target). */
  static baseOrder(resolution: Pick<Resolution, 'targets' | 'routing'>, random: Random = Math.random): RouteTarget[] {
    const routing = resolution.routing;
    if (!routing) return resolution.targets.slice(0, 1);
    const out: RouteTarget[] = [];
    for (const group of priorityGroups(resolution.targets)) appendOrdered(out, group, routing.strategy, random);
    return out;
  }

  /** The targets still to try, in order: after the last attempt's, in groups with attempts left. */
  get remaining(): RouteTarget[] {
    return this.order.slice(this.position).filter((t) => (this.attempts.get(t.priority) ?? 0) < this.perGroup);
  }

  /** The attempt goes to `target` (one of `remaining`); the ones before it are passed over. */
  attempt(target: RouteTarget): void {
    this.position = this.order.indexOf(target, this.position) + 1;
    this.attempts.set(target.priority, (this.attempts.get(target.priority) ?? 0) + 1);
  }

  get hasNext(): boolean {
    return this.remaining.length > 0;
  }

  /** Every target the plan may try (for the budget's worst case). */
  get all(): readonly RouteTarget[] {
    return this.order;
  }
}

/**
 * A resolution's targets by priority group, lowest first, worked out once: the targets array lives in the alias
 * cache, and every routed call orders them.
 */
const groupsOf = new WeakMap<readonly RouteTarget[], RouteTarget[][]>();

function priorityGroups(targets: readonly RouteTarget[]): RouteTarget[][] {
  let groups = groupsOf.get(targets);
  if (!groups) {
    const priorities = [...new Set(targets.map((t) => t.priority))].sort((a, b) => a - b);
    groups = priorities.map((p) => targets.filter((t) => t.priority === p));
    groupsOf.set(targets, groups);
  }
  return groups;
}

/** A group's targets by reference price (`cost`), cheapest first; prices only change when the cache reloads. */
const byPrice = new WeakMap<RouteTarget[], RouteTarget[]>();

function appendOrdered(out: RouteTarget[], group: RouteTarget[], strategy: RoutingStrategy, random: Random): void {
  if (strategy === 'cost') {
    let sorted = byPrice.get(group);
    if (!sorted) {
      const price = new Map(group.map((t) => [t, referenceCost(t)]));
      sorted = [...group].sort((a, b) => price.get(a)! - price.get(b)!);
      byPrice.set(group, sorted);
    }
    for (const t of sorted) out.push(t);
    return;
  }
  // weighted, and the base of least_busy and latency (a tie in their stat keeps the weighted draw): drawn by
  // weight without replacement
  if (group.length === 1) {
    out.push(group[0]);
    return;
  }
  const left = group.slice();
  while (left.length > 0) {
    let total = 0;
    for (const t of left) total += t.weight;
    let r = random() * total;
    let i = 0;
    while (i < left.length - 1 && (r -= left[i].weight) >= 0) i++;
    out.push(left.splice(i, 1)[0]);
  }
}

/** A target's price of a reference call (1,000 prompt and 1,000 completion tokens), in nano-dollars; unpriced last. */
function referenceCost(target: RouteTarget): number {
  try {
    const cost = calculateCost(target.model.pricing, {
      promptTokens: 1000,
      completionTokens: 1000,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    // a model without a price is not known to be cheap: last
    return cost.unpriced ? Number.MAX_SAFE_INTEGER : cost.costNanos;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}
