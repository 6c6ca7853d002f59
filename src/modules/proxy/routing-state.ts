import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';
import { holdWrites } from '#src/core/redis/coalesced-writes';
import { EncodedArgs, HotScript } from '#src/core/redis/encoded-script';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { AlertPublisher } from '#src/modules/alerts/alert-publisher.service';
import { metrics } from '#src/modules/metrics/gateway-metrics';
import type { RoutingStrategy } from '#src/modules/models/alias-routing';
import type { ResolvedModel } from '#src/modules/models/model-resolver.service';
import { ENDED_LUA, FAILED_LUA, PICK_LUA } from '#src/modules/proxy/routing-state.lua';

/** A call in flight is forgotten after this long when UPSTREAM_TOTAL_TIMEOUT does not bound calls (a dead pod's). */
const BUSY_MAX_MS = 10 * 60_000;

/** The scripts of every routed call, sent pre-encoded (encoded-script.ts). */
const PICK = new HotScript('llmgwRoutePick', PICK_LUA);
const ENDED = new HotScript('llmgwRouteEnded', ENDED_LUA);

interface RoutingCommands {
  llmgwTargetFailed(failures: string, cooldown: string, ...args: (string | number)[]): Promise<number>;
}

export interface PickCandidate {
  model: ResolvedModel;
  priority: number;
}

export interface PickOptions {
  /** The call's first pick: cooling targets left out, groups ordered by the strategy's live stat. */
  first: boolean;
  strategy: RoutingStrategy;
  /** Count the call in flight on the picked target (routed calls). */
  track: boolean;
}

/** The targets in the order the call tries them, and which of them the attempt goes to. */
export interface Picked {
  /** Indexes into the candidates, in order. */
  order: number[];
  /** The position in `order` of the target picked, or -1 when every target was at its provider quota. */
  picked: number;
}

const STRATEGY_CODE: Record<RoutingStrategy, number> = { weighted: 0, cost: 0, least_busy: 1, latency: 2 };

/**
 * The live routing state every pod shares through Redis (SPEC §11): cooldowns, calls in flight, a decaying
 * time-to-first-byte average and provider quotas per target. A pick is one script, sent in the same pipelined
 * write as the call's admission; the end of an attempt is one more, off the answer's path. Only routed aliases
 * and models with a quota touch it. A Redis failure never fails a call: the pick falls back to the client's order
 * without quotas, and a lost end or failure only makes the stats less fresh.
 */
@Injectable()
export class RoutingState implements OnModuleInit {
  private readonly logger = new Logger(RoutingState.name);
  private readonly busyMaxMs: number;
  private readonly pickArgCache = new Map<string, { keys: EncodedArgs; args: EncodedArgs }>();
  /** Each target's keys for the end of an attempt, encoded once. */
  private readonly endedKeyCache = new Map<string, EncodedArgs>();
  private seq = 0;

  constructor(
    private readonly config: AppConfig,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly alerts: AlertPublisher,
  ) {
    const total = config.env.UPSTREAM_TOTAL_TIMEOUT;
    this.busyMaxMs = total > 0 ? total + 60_000 : BUSY_MAX_MS;
  }

  onModuleInit(): void {
    PICK.define(this.redis);
    ENDED.define(this.redis);
    this.redis.defineCommand('llmgwTargetFailed', { numberOfKeys: 2, lua: FAILED_LUA });
  }

  /** Whether a strategy reads the live stats (calls in flight, time to first byte) a call must then keep up to date. */
  static picksByLiveStats(strategy: RoutingStrategy): boolean {
    return strategy === 'least_busy' || strategy === 'latency';
  }

  /** Whether a call to this model alone needs the routing state (its provider quota). */
  static hasQuota(model: ResolvedModel): boolean {
    return model.rpmLimit !== null || model.tpmLimit !== null;
  }

  /**
   * Orders the candidates by live state and takes the first one with quota room. Starts its round trip before
   * returning (so a command sent in the same tick shares the pipelined write).
   */
  async pick(callId: string, candidates: readonly PickCandidate[], opts: PickOptions): Promise<Picked> {
    const { keys, args } = this.pickArgs(candidates);
    // a call's first pick is followed by its admission in this turn: both leave in one write
    if (opts.first) holdWrites(this.redis);
    try {
      const [picked, , ...order] = await PICK.call<number[]>(this.redis, keys.args.length, [
        keys,
        callId,
        opts.first ? 1 : 0,
        STRATEGY_CODE[opts.strategy],
        opts.track ? 1 : 0,
        this.busyMaxMs,
        args,
      ]);
      return { order: order.map((i) => i - 1), picked: picked - 1 };
    } catch (err) {
      this.logger.warn(
        { err: { message: (err as Error).message } },
        'reading the routing state failed; routing without cooldowns, stats or quotas',
      );
      return { order: candidates.map((_, i) => i), picked: 0 };
    }
  }

  /**
   * The pick script's keys (five per candidate) and limits (three), per list of candidates, built and encoded once:
   * the candidates' models live in the alias cache, so a routed call reuses them.
   */
  private pickArgs(candidates: readonly PickCandidate[]): { keys: EncodedArgs; args: EncodedArgs } {
    let id = '';
    for (const c of candidates) id += `${c.model.id}:${c.priority}:${c.model.rpmLimit}:${c.model.tpmLimit},`;
    let built = this.pickArgCache.get(id);
    if (!built) {
      built = {
        keys: new EncodedArgs(
          candidates.flatMap(({ model }) => {
            const k = this.keys.target(model.id);
            return [k.cooldown, k.busy, k.latency, k.quotaRequests, k.quotaTokens];
          }),
        ),
        args: new EncodedArgs(
          candidates.flatMap(({ model, priority }) => [priority, model.rpmLimit ?? -1, model.tpmLimit ?? -1]),
        ),
      };
      if (this.pickArgCache.size >= 1000) this.pickArgCache.clear();
      this.pickArgCache.set(id, built);
    }
    return built;
  }

  /**
   * An attempt ended: the call leaves the target's in-flight count; an answer adds its time to first byte to the
   * target's average (`ttfbMs`), and its tokens to the provider quota. Off the answer's path.
   */
  ended(model: ResolvedModel, callId: string, outcome: { ttfbMs: number | null; tokens: number }): void {
    let keys = this.endedKeyCache.get(model.id);
    if (!keys) {
      const k = this.keys.target(model.id);
      keys = new EncodedArgs([k.busy, k.latency, k.quotaTokens]);
      if (this.endedKeyCache.size >= 1000) this.endedKeyCache.clear();
      this.endedKeyCache.set(model.id, keys);
    }
    // the settle (or a retry's pick) follows in this turn: both leave in one write
    holdWrites(this.redis);
    ENDED.call(this.redis, 3, [keys, callId, outcome.ttfbMs ?? -1, model.tpmLimit !== null ? outcome.tokens : 0]).catch(
      (err: unknown) =>
        this.logger.warn(
          { err: { message: (err as Error).message }, model: model.name },
          'recording an attempt failed',
        ),
    );
  }

  /** Gives back what a pick took (the call was refused after it): the quota request slot and the in-flight count. */
  release(model: ResolvedModel, callId: string): void {
    const k = this.keys.target(model.id);
    void Promise.all([this.redis.zrem(k.quotaRequests, callId), this.redis.zrem(k.busy, callId)]).catch(
      () => undefined,
    );
  }

  /** Counts a retryable failure of a target (or starts its cooldown at once for a provider's Retry-After). */
  async failed(
    model: { id: string; name: string; providerId: string },
    retryAfterSeconds: number | undefined,
  ): Promise<void> {
    const k = this.keys.target(model.id);
    try {
      const started = await this.cmd.llmgwTargetFailed(
        k.failures,
        k.cooldown,
        this.config.env.ROUTING_COOLDOWN_FAILURES,
        this.config.env.ROUTING_COOLDOWN,
        retryAfterSeconds !== undefined ? Math.max(1, Math.ceil(retryAfterSeconds * 1000)) : 0,
        `${process.pid}:${++this.seq}:${Math.random()}`,
      );
      if (started > 0) {
        metrics.targetCooldowns.inc({ model: model.name });
        const until = new Date(started).toISOString();
        this.logger.warn({ model: model.name, until }, 'routing target cooling down');
        void this.alerts.publish({
          id: `routing.cooldown:${model.id}:${started}`,
          type: 'routing.cooldown',
          created_at: new Date().toISOString(),
          data: { model: model.name, provider_id: model.providerId, until },
        });
      }
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, model: model.name }, 'recording a failure failed');
    }
  }

  private get cmd(): RoutingCommands {
    return this.redis as unknown as RoutingCommands;
  }
}
