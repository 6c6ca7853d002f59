import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { AppConfig } from '#src/core/config/app-config';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import type { CallEndpoint } from '#src/modules/calls/call-event';
import type { AuthenticatedKey } from '#src/modules/keys/api-key-auth.service';
import type { Resolution } from '#src/modules/models/model-resolver.service';
import { cacheKeyOf } from '#src/modules/response-cache/cache-key';
import { effectiveCacheSetting } from '#src/modules/response-cache/cache-setting';

/** What a call does with the cache: read and write it, only write (`refresh`), or neither (`bypass`). */
export type CacheMode = 'use' | 'refresh' | 'bypass';
/** What `x-gateway-cache` tells the client. */
export type CacheOutcome = 'hit' | 'miss' | 'bypass';

/** The cache decision of one call on a cache-enabled route. */
export interface CachePlan {
  mode: CacheMode;
  digest: string;
  ttlMs: number;
}

/** A stored answer: the exact JSON the client got, and who answered it at what cost. */
export interface CachedAnswer {
  v: 1;
  body: string;
  contentType: string;
  /** The model and provider that answered (the hit's usage row names them). */
  modelId: string;
  providerId: string;
  /** What the answer cost: what a hit saves. */
  costUsd: string;
  /** Whether the body goes into a hit's audit record (embeddings keep their vectors out). */
  audited: boolean;
}

/** A leading miss: resolves the calls of this pod waiting for the same answer (with it, or null: go upstream). */
export interface Flight {
  settle(answer: CachedAnswer | null): void;
}

const NO_FLIGHT: Flight = { settle: () => undefined };

/**
 * The response cache (SPEC §14): exact-match answers in Redis under a SHA-256 key, written off the response
 * path, at most CACHE_MAX_ENTRY_BYTES each and for at most 7 days. Concurrent identical non-streamed misses of
 * one pod share one upstream call: the first leads, the others wait for its answer (single flight); the map
 * holds only calls in flight. Redis failing is a miss, never an error.
 */
@Injectable()
export class ResponseCache {
  private readonly logger = new Logger(ResponseCache.name);
  private readonly inflight = new Map<string, Promise<CachedAnswer | null>>();

  constructor(
    private readonly config: AppConfig,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * The plan of a call, or null when its route has no cache: the most specific setting (key, then team, then
   * alias, then model) and the request's `x-gateway-cache` / `cache-control` headers. The body is the one the model gets
   * (alias defaults under the client's values).
   */
  plan(input: {
    headers: IncomingHttpHeaders;
    key: AuthenticatedKey;
    resolution: Resolution;
    api: CallEndpoint;
    /** Called only when the route has a cache. */
    body: () => Record<string, unknown>;
  }): CachePlan | null {
    const { key, resolution } = input;
    const setting = effectiveCacheSetting(key.cache, key.team?.cache, resolution.alias?.cache, resolution.model.cache);
    if (!setting) return null;
    const resolved = resolution.routing ? `alias:${resolution.alias!.id}` : `model:${resolution.model.id}`;
    return {
      mode: requestedMode(input.headers),
      ttlMs: setting.ttlMs,
      digest: cacheKeyOf({
        scope: setting.scope,
        // a key without a team is a team of one: its answers stay its own
        scopeId:
          setting.scope === 'global' ? null : setting.scope === 'key' ? key.id : (key.team?.id ?? `key:${key.id}`),
        resolved,
        api: input.api,
        body: input.body(),
      }),
    };
  }

  /**
   * The stored answer, or null. A non-streamed miss (`lead`) waits for an identical call of this pod already
   * going upstream; when there is none it becomes the leader, decided before this returns so two concurrent
   * identical misses never both lead.
   */
  async lookup(plan: CachePlan, lead: boolean): Promise<{ answer: CachedAnswer | null; flight: Flight }> {
    if (plan.mode !== 'use') return { answer: null, flight: NO_FLIGHT };
    const joined = lead ? await this.inflight.get(plan.digest) : null;
    if (joined) return { answer: joined, flight: NO_FLIGHT };
    const stored = await this.read(plan.digest);
    if (stored) return { answer: stored, flight: NO_FLIGHT };
    if (!lead) return { answer: null, flight: NO_FLIGHT };
    // another identical call started leading while this one read Redis: wait for it instead
    const other = this.inflight.get(plan.digest);
    if (other) return { answer: await other, flight: NO_FLIGHT };
    return { answer: null, flight: this.leadFlight(plan.digest) };
  }

  /** Stores an answer, off the response path: never awaited by the call, failures only logged. */
  store(plan: CachePlan, answer: CachedAnswer): void {
    if (plan.mode === 'bypass') return;
    const json = JSON.stringify(answer);
    if (Buffer.byteLength(json, 'utf8') > this.config.env.CACHE_MAX_ENTRY_BYTES) return;
    this.redis.set(this.keys.responseCache(plan.digest), json, 'PX', plan.ttlMs).catch((err: unknown) => {
      this.logger.warn({ err: { message: (err as Error).message } }, 'storing a cached answer failed');
    });
  }

  /** Whether an answer of this many bytes may be stored. */
  fits(bytes: number): boolean {
    return bytes <= this.config.env.CACHE_MAX_ENTRY_BYTES;
  }

  private leadFlight(digest: string): Flight {
    let settle!: (answer: CachedAnswer | null) => void;
    const flight = new Promise<CachedAnswer | null>((resolve) => (settle = resolve));
    this.inflight.set(digest, flight);
    let settled = false;
    return {
      settle: (answer) => {
        if (settled) return;
        settled = true;
        if (this.inflight.get(digest) === flight) this.inflight.delete(digest);
        settle(answer);
      },
    };
  }

  private async read(digest: string): Promise<CachedAnswer | null> {
    try {
      const raw = await this.redis.get(this.keys.responseCache(digest));
      if (raw === null) return null;
      const parsed = JSON.parse(raw) as CachedAnswer;
      return parsed.v === 1 && typeof parsed.body === 'string' ? parsed : null;
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'reading the response cache failed; a miss');
      return null;
    }
  }
}

/** `x-gateway-cache: bypass | refresh`, or the same through `cache-control: no-store | no-cache`. */
export function requestedMode(headers: IncomingHttpHeaders): CacheMode {
  const gateway = String(headers['x-gateway-cache'] ?? '')
    .trim()
    .toLowerCase();
  if (gateway === 'bypass') return 'bypass';
  if (gateway === 'refresh') return 'refresh';
  const directives = String(headers['cache-control'] ?? '')
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store')) return 'bypass';
  if (directives.includes('no-cache')) return 'refresh';
  return 'use';
}
