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

const names = (plan: RoutingPlan): string[] => {
  const out: string[] = [];
  for (let t = plan.next(); t; t = plan.next()) out.push(t.model.name);
  return out;
};

describe('RoutingPlan', () => {
  it('tries one target of a model or plain alias, whatever else it lists', () => {
    expect(names(new RoutingPlan({ targets: [target('a'), target('b')], routing: null }))).toEqual(['a']);
  });

  it('draws the first target by weight: 20,000 plans over 3:1 land within ±1 % of 75/25', () => {
    const random = seeded(42);
    const targets = [target('a', 3), target('b', 1)];
    let a = 0;
    for (let i = 0; i < 20_000; i++)
      if (new RoutingPlan({ targets, routing: routing('weighted') }, random).next()!.model.name === 'a') a++;
    expect(a / 20_000).toBeGreaterThan(0.74);
    expect(a / 20_000).toBeLessThan(0.76);
  });

  it('tries the lowest priority group first, at most retries + 1 targets per group, then the next group', () => {
    const targets = [target('fallback', 1, 1), target('a', 1, 0), target('b', 1, 0), target('c', 1, 0)];
    const plan = new RoutingPlan({ targets, routing: routing('weighted', 1) }, seeded(7));
    const order = names(plan);
    expect(order).toHaveLength(3);
    expect(order.slice(0, 2).every((n) => ['a', 'b', 'c'].includes(n))).toBe(true);
    expect(new Set(order.slice(0, 2)).size).toBe(2);
    expect(order[2]).toBe('fallback');
    expect(names(new RoutingPlan({ targets, routing: routing('weighted', 0) }))).toHaveLength(2);
  });

  it('orders a group cheapest first under cost, unpriced models last', () => {
    const unpriced = { ...target('free?'), model: { ...model('free?'), pricing: [] } };
    const targets = [target('dear', 1, 0, '60'), unpriced, target('cheap', 1, 0, '0.6')];
    expect(names(new RoutingPlan({ targets, routing: routing('cost', 5) }))).toEqual(['cheap', 'dear', 'free?']);
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

  it('leaves cooling targets out, and with every target cooling tries the one whose cooldown ends first', () => {
    const targets = [target('a', 1, 0), target('b', 1, 0), target('c', 1, 1)];
    const policy = routing('weighted', 5);
    const coolingA = new Map([['id-a', Date.now() + 10_000]]);
    expect(names(new RoutingPlan({ targets, routing: policy }, seeded(1), coolingA))).toEqual(['b', 'c']);
    const allCooling = new Map([
      ['id-a', Date.now() + 30_000],
      ['id-b', Date.now() + 5_000],
      ['id-c', Date.now() + 20_000],
    ]);
    expect(names(new RoutingPlan({ targets, routing: policy }, seeded(1), allCooling))).toEqual(['b']);
  });
});
