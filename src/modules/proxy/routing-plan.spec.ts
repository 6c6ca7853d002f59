import type { ResolvedModel, RouteTarget } from '#src/modules/models/model-resolver.service';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { retryConditionOf, RoutingPlan, UpstreamStatusError } from '#src/modules/proxy/routing-plan';

const model = (name: string, output = '1'): ResolvedModel => ({
  id: `id-${name}`,
  name,
  upstreamModel: name,
  providerId: `p-${name}`,
  contextWindow: null,
  maxOutputTokens: null,
  rpmLimit: null,
  tpmLimit: null,
  capabilities: [],
  pricing: [
    { direction: 'input', modality: 'text', unit: '1m_tokens', tier: 'default', price: '1' },
    { direction: 'output', modality: 'text', unit: '1m_tokens', tier: 'default', price: output },
  ],
});
const target = (name: string, weight = 1, priority = 0, output = '1'): RouteTarget => ({
  model: model(name, output),
  weight,
  priority,
});
const routing = (strategy: 'weighted' | 'cost', retries = 1) => ({
  strategy,
  retries,
  retryOn: ['429', '5xx', 'timeout', 'connect'] as ('429' | '5xx' | 'timeout' | 'connect')[],
});

/** A seeded generator (mulberry32), so the distribution check is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const names = (targets: readonly RouteTarget[]): string[] => targets.map((t) => t.model.name);

/** The names of the targets a plan tries when every attempt fails and no target is at its quota. */
function tried(plan: RoutingPlan): string[] {
  const out: string[] = [];
  for (let next = plan.remaining[0]; next; next = plan.remaining[0]) {
    plan.attempt(next);
    out.push(next.model.name);
  }
  return out;
}

describe('RoutingPlan', () => {
  it('tries one target of a model or plain alias, whatever else it lists', () => {
    expect(names(RoutingPlan.baseOrder({ targets: [target('a'), target('b')], routing: null }))).toEqual(['a']);
  });

  it('draws the first target by weight: 20,000 plans over 3:1 land within ±1 % of 75/25', () => {
    const random = seeded(42);
    const targets = [target('a', 3), target('b', 1)];
    let a = 0;
    for (let i = 0; i < 20_000; i++)
      if (RoutingPlan.baseOrder({ targets, routing: routing('weighted') }, random)[0].model.name === 'a') a++;
    expect(a / 20_000).toBeGreaterThan(0.74);
    expect(a / 20_000).toBeLessThan(0.76);
  });

  it('orders the lowest priority group first, and tries at most retries + 1 targets per group, then the next group', () => {
    const targets = [target('fallback', 1, 1), target('a', 1, 0), target('b', 1, 0), target('c', 1, 0)];
    const order = RoutingPlan.baseOrder({ targets, routing: routing('weighted', 1) }, seeded(7));
    expect(names(order).slice(0, 3).sort()).toEqual(['a', 'b', 'c']);
    expect(order[3].model.name).toBe('fallback');
    const plan = tried(new RoutingPlan(order, 2));
    expect(plan).toHaveLength(3);
    expect(new Set(plan.slice(0, 2)).size).toBe(2);
    expect(plan[2]).toBe('fallback');
    expect(tried(new RoutingPlan(order, 1))).toEqual([order[0].model.name, 'fallback']);
  });

  it('passes over the targets before the one an attempt goes to (skipped at their provider quota) without counting them', () => {
    const order = [target('a'), target('b'), target('c'), target('z', 1, 1)];
    const plan = new RoutingPlan(order, 2);
    plan.attempt(order[1]); // a was at its quota
    expect(names(plan.remaining)).toEqual(['c', 'z']);
    plan.attempt(order[2]);
    expect(names(plan.remaining)).toEqual(['z']); // two attempts in group 0: its retries are spent
    expect(plan.hasNext).toBe(true);
    plan.attempt(order[3]);
    expect(plan.hasNext).toBe(false);
  });

  it('orders a group cheapest first under cost, unpriced models last', () => {
    const unpriced = { ...target('free?'), model: { ...model('free?'), pricing: [] } };
    const targets = [target('dear', 1, 0, '60'), unpriced, target('cheap', 1, 0, '0.6')];
    expect(names(RoutingPlan.baseOrder({ targets, routing: routing('cost', 5) }))).toEqual(['cheap', 'dear', 'free?']);
  });

  it('retries rate limits, provider 5xx, timeouts and refused connections, never a bad request', () => {
    const up = (code: UpstreamErrorCode) => new UpstreamException(code, 'p');
    expect(retryConditionOf(up(UpstreamErrorCode.RateLimited))).toBe('429');
    expect(retryConditionOf(up(UpstreamErrorCode.ServerError))).toBe('5xx');
    expect(retryConditionOf(up(UpstreamErrorCode.Overloaded))).toBe('5xx');
    expect(retryConditionOf(up(UpstreamErrorCode.Timeout))).toBe('timeout');
    expect(retryConditionOf(up(UpstreamErrorCode.Unreachable))).toBe('connect');
    expect(retryConditionOf(up(UpstreamErrorCode.BadRequest))).toBeNull();
    expect(retryConditionOf(new UpstreamStatusError(529, 'overloaded_error'))).toBe('5xx');
    expect(retryConditionOf(new UpstreamStatusError(400, 'invalid_request_error'))).toBeNull();
    expect(retryConditionOf(new Error('anything else'))).toBeNull();
  });
});
