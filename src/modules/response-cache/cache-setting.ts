import ms from 'ms';

export const CACHE_SCOPES = ['key', 'team', 'global'] as const;
export type CacheScope = (typeof CACHE_SCOPES)[number];

/** The longest a cached answer may be served (SPEC §14). */
export const MAX_CACHE_TTL_MS = 7 * 24 * 3600 * 1000;

/** The `cache` field as an admin writes it and reads it back: `{ttl: "1h", scope: "key"}`. */
export interface CacheSetting {
  ttl: string;
  scope: CacheScope;
}

/** A setting as the proxy uses it: `ttlMs` 0 switches the cache off where a less specific setting turned it on. */
export interface ResolvedCacheSetting {
  ttlMs: number;
  scope: CacheScope;
}

/** The ttl in milliseconds, or null when it is not a duration of 0 to 7 days (`30s`, `15m`, `1h`, `7d`). */
export function cacheTtlMs(ttl: unknown): number | null {
  if (typeof ttl !== 'string' || ttl.trim() === '') return null;
  const value = ms(ttl.trim() as ms.StringValue) as number | undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_CACHE_TTL_MS) return null;
  return Math.round(value);
}

/** A stored setting (jsonb) as the proxy uses it; null when unset or unreadable. */
export function resolveCacheSetting(stored: CacheSetting | null | undefined): ResolvedCacheSetting | null {
  if (!stored) return null;
  const ttlMs = cacheTtlMs(stored.ttl);
  if (ttlMs === null || !(CACHE_SCOPES as readonly string[]).includes(stored.scope)) return null;
  return { ttlMs, scope: stored.scope };
}

/**
 * The setting that applies to a call: the most specific one set, the caller's before the route's — key, then
 * team, then alias, then model. A `ttl` of 0 at a more specific level switches the cache off.
 */
export function effectiveCacheSetting(
  ...mostSpecificFirst: (ResolvedCacheSetting | null | undefined)[]
): ResolvedCacheSetting | null {
  const found = mostSpecificFirst.find((s) => s);
  return found && found.ttlMs > 0 ? found : null;
}
