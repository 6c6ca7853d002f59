import type { CacheSetting } from '../api/types';
import type { Parsed } from './fields';

export type CacheScope = CacheSetting['scope'];

/** The response-cache setting as the inputs hold it: an empty ttl means "not set here". */
export interface CacheForm {
  ttl: string;
  scope: CacheScope;
}

export const CACHE_SCOPES: { value: CacheScope; label: string }[] = [
  { value: 'key', label: 'Each key its own answers' },
  { value: 'team', label: "The caller's team shares answers" },
  { value: 'global', label: 'Every key shares answers' },
];

export const cacheFormFrom = (setting: CacheSetting | null | undefined): CacheForm =>
  setting ? { ttl: setting.ttl, scope: setting.scope } : { ttl: '', scope: 'key' };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_MS = 7 * 86_400_000;

/**
 * The setting to send: null when the ttl is empty (not set here, the next less specific one applies), else
 * `{ttl, scope}` with a ttl from 0s (off where a less specific setting turned it on) to 7d.
 */
export function parseCache(form: CacheForm): Parsed<CacheSetting | null> {
  const ttl = form.ttl.trim();
  if (ttl === '') return { ok: true, value: null };
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(ttl);
  if (!match) return { ok: false, error: 'Cache time: a duration such as 30s, 15m, 1h or 7d (0s switches it off).' };
  if (Number(match[1]) * UNIT_MS[match[2]] > MAX_MS) return { ok: false, error: 'Cache time: at most 7d.' };
  return { ok: true, value: { ttl, scope: form.scope } };
}

/** "1h, per key", or "not set". */
export function cacheText(setting: CacheSetting | null | undefined): string {
  if (!setting) return 'not set';
  return `${setting.ttl}, ${setting.scope === 'global' ? 'shared by every key' : `per ${setting.scope}`}`;
}
