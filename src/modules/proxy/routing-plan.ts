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
 * The order a call tries its targets in (SPEC §11): priority groups from the lowest number, within a group by the
 * strategy (`weighted`: drawn by weight without replacement; `cost`: cheapest first), at most `retries + 1`
 * targets per group, cooling targets left out. A model or a plain alias has one target and no retries.
 */
export class RoutingPlan {
  private readonly order: RouteTarget[];
  private position = 0;

  /**
   * `coolingUntil`: targets every pod skips now (model id → when the cooldown ends); when all of them cool, the
   * call goes to the one whose cooldown ends first rather than being refused.
   */
  constructor(
    resolution: Pick<Resolution, 'targets' | 'routing'>,
    random: Random = Math.random,
    coolingUntil: ReadonlyMap<string, number> = new Map(),
  ) {
    const routing = resolution.routing;
    if (!routing) {
      this.order = resolution.targets.slice(0, 1);
      return;
    }
    const warm = resolution.targets.filter((t) => !coolingUntil.has(t.model.id));
    if (warm.length === 0) {
      const soonest = [...resolution.targets].sort(
        (a, b) => coolingUntil.get(a.model.id)! - coolingUntil.get(b.model.id)!,
      );
      this.order = soonest.slice(0, 1);
      return;
    }
    const priorities = [...new Set(warm.map((t) => t.priority))].sort((a, b) => a - b);
    this.order = priorities.flatMap((p) =>
      ordered(
        warm.filter((t) => t.priority === p),
        routing.strategy,
        random,
      ).slice(0, routing.retries + 1),
    );
  }

  /** The next target to try, or null when none is left. */
  next(): RouteTarget | null {
    return this.order[this.position++] ?? null;
  }

  get hasNext(): boolean {
    return this.position < this.order.length;
  }

  /** Every target the plan may try (for the budget's worst case). */
  get all(): readonly RouteTarget[] {
    return this.order;
  }

  /** Whether a later target belongs to another priority group than `target` (trying it is a fallback). */
  fallsBackAfter(target: RouteTarget): boolean {
    const next = this.order[this.position];
    return next !== undefined && next.priority !== target.priority;
  }
}

function ordered(group: RouteTarget[], strategy: RoutingStrategy, random: Random): RouteTarget[] {
  if (strategy === 'cost') {
    const price = new Map(group.map((t) => [t, referenceCost(t)]));
    return [...group].sort((a, b) => price.get(a)! - price.get(b)!);
  }
  // weighted (the strategies that need live stats are refused on write until they are built)
  const left = [...group];
  const out: RouteTarget[] = [];
  while (left.length > 0) {
    const total = left.reduce((sum, t) => sum + t.weight, 0);
    let r = random() * total;
    let i = 0;
    while (i < left.length - 1 && (r -= left[i].weight) >= 0) i++;
    out.push(...left.splice(i, 1));
  }
  return out;
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
