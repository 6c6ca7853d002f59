import { cacheTtlMs, effectiveCacheSetting, resolveCacheSetting } from '#src/modules/response-cache/cache-setting';

describe('cache setting', () => {
  it.each([
    ['1h', 3_600_000],
    ['30s', 30_000],
    ['7d', 604_800_000],
    ['0s', 0],
    ['8d', null],
    ['-1s', null],
    ['soon', null],
    ['', null],
  ])('reads ttl %p as %p', (ttl, expected) => {
    expect(cacheTtlMs(ttl)).toBe(expected);
  });

  it('takes the most specific setting, and a ttl of 0 there switches the cache off', () => {
    const key = resolveCacheSetting({ ttl: '5m', scope: 'key' });
    const model = resolveCacheSetting({ ttl: '1h', scope: 'global' });
    const off = resolveCacheSetting({ ttl: '0s', scope: 'key' });
    expect(effectiveCacheSetting(null, undefined, model)).toEqual({ ttlMs: 3_600_000, scope: 'global' });
    expect(effectiveCacheSetting(key, null, model)).toEqual({ ttlMs: 300_000, scope: 'key' });
    expect(effectiveCacheSetting(off, null, model)).toBeNull();
    expect(effectiveCacheSetting(null, null, null)).toBeNull();
  });
});
