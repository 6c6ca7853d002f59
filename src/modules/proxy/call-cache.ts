import type { AuthenticatedKey } from '#src/modules/keys/api-key-auth.service';
import type { Resolution } from '#src/modules/models/model-resolver.service';
import type { CallContext } from '#src/modules/proxy/call-context';
import type {
  CachedAnswer,
  CacheOutcome,
  CachePlan,
  Flight,
  ResponseCache,
} from '#src/modules/response-cache/response-cache.service';

/** What a stored answer records of the call that produced it. */
export type Answered = Omit<CachedAnswer, 'v' | 'body'>;

/**
 * One call's use of the response cache (SPEC §14), for a route that has one: its plan, what the lookup found,
 * and the single flight it may lead. The call keeps its answer with `keep` and lets waiting calls go with
 * `release` once it ends.
 */
export class CallCache {
  private constructor(
    private readonly cache: ResponseCache,
    private readonly plan: CachePlan,
    private readonly flight: Flight,
    /** The stored answer the lookup found, if any. */
    readonly found: CachedAnswer | null,
  ) {}

  /** Plans and looks the call up; null when its route has no cache. */
  static async open(
    cache: ResponseCache,
    ctx: CallContext,
    input: { key: AuthenticatedKey; resolution: Resolution; clientBody: Record<string, unknown>; stream: boolean },
  ): Promise<CallCache | null> {
    const { key, resolution, clientBody } = input;
    const plan = cache.plan({
      headers: ctx.request.headers,
      key,
      resolution,
      api: ctx.endpoint,
      // the body the model gets (alias defaults under the client's values), built only for a route with a cache
      body: () => (resolution.alias ? { ...resolution.alias.config, ...clientBody } : clientBody),
    });
    if (!plan) return null;
    const { answer, flight } = await cache.lookup(plan, !input.stream);
    return new CallCache(cache, plan, flight, answer);
  }

  /** `x-gateway-cache` of a call that goes upstream. */
  get missOutcome(): CacheOutcome {
    return this.plan.mode === 'bypass' ? 'bypass' : 'miss';
  }

  /**
   * Stores a complete answer for the next identical call (off the response path) and hands it to the calls of
   * this pod waiting on this one.
   */
  keep(payload: Buffer | string | object, answered: Answered): void {
    if (this.plan.mode === 'bypass') return;
    const body = Buffer.isBuffer(payload)
      ? payload.toString('utf8')
      : typeof payload === 'string'
        ? payload
        : JSON.stringify(payload);
    if (!this.cache.fits(Buffer.byteLength(body, 'utf8'))) return;
    const answer: CachedAnswer = { v: 1, body, ...answered };
    this.flight.settle(answer);
    this.cache.store(this.plan, answer);
  }

  /** The call ended: the calls waiting on it go upstream themselves when it stored nothing. */
  release(): void {
    this.flight.settle(null);
  }
}

/**
 * The limits a cache hit is admitted against: it takes a request of the rate limit and nothing of the token
 * limit or the budget, so those are left out (nothing reserved, nothing to settle), except a limit of 0,
 * which refuses every call of the key (SPEC §4), hits included.
 */
export function hitLimits(key: AuthenticatedKey): AuthenticatedKey {
  const strip = <T extends { tokensPerMinute: number | null; budget: string | null }>(s: T): T => ({
    ...s,
    tokensPerMinute: s.tokensPerMinute === 0 ? 0 : null,
    budget: s.budget !== null && Number(s.budget) === 0 ? s.budget : null,
  });
  return { ...strip(key), team: key.team ? strip(key.team) : null };
}
