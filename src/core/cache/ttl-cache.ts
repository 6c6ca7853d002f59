import { LRUCache } from 'lru-cache';

export interface TtlCacheOptions<K, V> {
  /** Most entries kept; the least recently used one goes first. */
  max: number;
  /** Milliseconds an entry is served (CACHE_TTL). 0 means no caching: every get loads. */
  ttl: number;
  /** Reads the value. `undefined` means there is none: remembered only through `negative`, if set. */
  load: (key: K) => Promise<V | undefined>;
  /** A separate, bounded memory of keys whose load found nothing, so misses never evict hits. */
  negative?: { max: number; ttl: number };
  /** Clock for the TTLs, in milliseconds (tests); `performance.now` by default. */
  now?: () => number;
}

/**
 * The one read-through cache of the hot path: LRU with a TTL (lru-cache stores the entries), single-flight
 * loads (concurrent misses for a key share one load; a failed load is not kept, so the next get retries), and
 * `delete`/`clear` for the cross-pod invalidation. The pending load of a key is its generation token: dropping
 * the key forgets it, so a load that was running still answers its callers but never stores what it read, and
 * a get after the drop starts a fresh load instead of joining the stale one.
 */
export class TtlCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  private readonly entries: LRUCache<K, V> | null;
  private readonly misses: LRUCache<K, true> | null;
  private readonly inflight = new Map<K, Promise<V | undefined>>();
  private readonly load: (key: K) => Promise<V | undefined>;

  constructor(options: TtlCacheOptions<K, V>) {
    this.load = options.load;
    // an injected clock is read on every check (lru-cache otherwise reuses a reading for 1 ms of real time)
    const clock = options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {};
    const negative = options.negative;
    // lru-cache reads ttl 0 as "never expires"; here 0 means no caching at all
    this.entries = options.ttl > 0 ? new LRUCache<K, V>({ max: options.max, ttl: options.ttl, ...clock }) : null;
    this.misses =
      this.entries && negative && negative.ttl > 0
        ? new LRUCache<K, true>({ max: negative.max, ttl: negative.ttl, ...clock })
        : null;
  }

  /** The cached value, or the (shared) load's; `undefined` when the loader found none. */
  async get(key: K): Promise<V | undefined> {
    const entries = this.entries;
    if (!entries) return this.load(key);
    const hit = entries.get(key);
    if (hit !== undefined) return hit;
    if (this.misses?.has(key)) return undefined;
    let pending = this.inflight.get(key);
    if (!pending) {
      const load = this.load(key)
        .then((value) => {
          if (this.inflight.get(key) === load) {
            if (value === undefined) this.misses?.set(key, true);
            else entries.set(key, value);
          }
          return value;
        })
        .finally(() => {
          if (this.inflight.get(key) === load) this.inflight.delete(key);
        });
      this.inflight.set(key, load);
      pending = load;
    }
    return pending;
  }

  /** Drops one key; a load of it already running will not store what it read. */
  delete(key: K): void {
    this.inflight.delete(key);
    this.entries?.delete(key);
    this.misses?.delete(key);
  }

  /** Drops everything; loads already running will not store what they read. */
  clear(): void {
    this.inflight.clear();
    this.entries?.clear();
    this.misses?.clear();
  }
}
