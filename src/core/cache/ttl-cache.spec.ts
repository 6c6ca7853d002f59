import { TtlCache, type TtlCacheOptions } from '#src/core/cache/ttl-cache';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A cache over a loader that counts its calls, with a clock the test moves. */
function setup(options: Partial<TtlCacheOptions<string, string>> = {}) {
  const clock = { now: 1_000 };
  const loads: string[] = [];
  const sut = new TtlCache<string, string>({
    max: 3,
    ttl: 60_000,
    now: () => clock.now,
    load: (key) => {
      loads.push(key);
      return Promise.resolve(`${key}@${loads.length}`);
    },
    ...options,
  });
  return { sut, clock, loads };
}

describe('TtlCache', () => {
  it('serves a loaded value from memory until the TTL passes, then loads again', async () => {
    const { sut, clock, loads } = setup();
    expect(await sut.get('a')).toBe('a@1');
    clock.now += 60_000;
    expect(await sut.get('a')).toBe('a@1');
    clock.now += 1;
    expect(await sut.get('a')).toBe('a@2');
    expect(loads).toEqual(['a', 'a']);
  });

  it('evicts the least recently used entry beyond max', async () => {
    const { sut, loads } = setup({ max: 3 });
    for (const key of ['a', 'b', 'c']) await sut.get(key);
    await sut.get('a'); // a is now the most recently used: b goes first
    await sut.get('d');
    loads.length = 0;
    for (const key of ['a', 'c', 'd']) await sut.get(key);
    expect(loads).toEqual([]);
    await sut.get('b');
    expect(loads).toEqual(['b']);
  });

  it('with ttl 0 caches nothing: every get loads, even concurrent ones', async () => {
    const { sut, loads } = setup({ ttl: 0, negative: { max: 10, ttl: 0 } });
    expect(await sut.get('a')).toBe('a@1');
    expect(await sut.get('a')).toBe('a@2');
    await Promise.all([sut.get('a'), sut.get('a')]);
    expect(loads).toHaveLength(4);
  });

  it('shares one load among concurrent misses for a key (50 gets, 1 load)', async () => {
    const pending = deferred<string>();
    const { sut, loads } = setup({
      load: (key) => {
        loads.push(key);
        return pending.promise;
      },
    });
    const gets = Array.from({ length: 50 }, () => sut.get('a'));
    pending.resolve('A');
    expect(await Promise.all(gets)).toEqual(Array(50).fill('A'));
    expect(loads).toEqual(['a']);
    expect(await sut.get('a')).toBe('A');
    expect(loads).toHaveLength(1);
  });

  it('does not keep a failed load: every waiter gets the error and the next get retries', async () => {
    const first = deferred<string>();
    let calls = 0;
    const { sut } = setup({ load: () => (++calls === 1 ? first.promise : Promise.resolve('ok')) });
    const gets = Array.from({ length: 5 }, () => sut.get('a'));
    first.reject(new Error('database down'));
    for (const get of gets) await expect(get).rejects.toThrow('database down');
    expect(calls).toBe(1);
    expect(await sut.get('a')).toBe('ok');
    expect(calls).toBe(2);
  });

  it.each([
    ['clear', (sut: TtlCache<string, string>) => sut.clear()],
    ['delete', (sut: TtlCache<string, string>) => sut.delete('a')],
  ])('a load running during %s answers its callers but does not store the stale value', async (_name, drop) => {
    const stale = deferred<string>();
    let calls = 0;
    const { sut } = setup({ load: () => (++calls === 1 ? stale.promise : Promise.resolve('fresh')) });
    const before = sut.get('a');
    drop(sut);
    // a get after the invalidation does not join the stale load
    const after = sut.get('a');
    stale.resolve('stale');
    expect(await before).toBe('stale');
    expect(await after).toBe('fresh');
    expect(await sut.get('a')).toBe('fresh');
    expect(calls).toBe(2);
  });

  it('drops a stored value on delete and clear', async () => {
    const { sut, loads } = setup();
    await sut.get('a');
    await sut.get('b');
    sut.delete('a');
    await sut.get('a');
    await sut.get('b');
    expect(loads).toEqual(['a', 'b', 'a']);
    sut.clear();
    await sut.get('a');
    await sut.get('b');
    expect(loads).toEqual(['a', 'b', 'a', 'a', 'b']);
  });

  describe('negative caching', () => {
    const options = (found: Set<string>, loads: string[]): Partial<TtlCacheOptions<string, string>> => ({
      negative: { max: 2, ttl: 5_000 },
      load: (key) => {
        loads.push(key);
        return Promise.resolve(found.has(key) ? key.toUpperCase() : undefined);
      },
    });

    it('remembers a miss for the negative TTL, apart from the hits', async () => {
      const found = new Set(['a']);
      const loads: string[] = [];
      const { sut, clock } = setup({ ...options(found, loads), max: 1 });
      expect(await sut.get('a')).toBe('A');
      for (const key of ['x', 'y', 'x', 'y']) expect(await sut.get(key)).toBeUndefined();
      expect(await sut.get('a')).toBe('A'); // misses did not evict the hit
      expect(loads).toEqual(['a', 'x', 'y']);
      found.add('x');
      clock.now += 5_001;
      expect(await sut.get('x')).toBe('X');
    });

    it('forgets misses on clear, and a miss read before an invalidation is not remembered', async () => {
      const found = new Set<string>();
      const loads: string[] = [];
      const { sut } = setup(options(found, loads));
      await sut.get('x');
      found.add('x');
      sut.clear();
      expect(await sut.get('x')).toBe('X');

      const stale = deferred<string | undefined>();
      let calls = 0;
      const { sut: other } = setup({
        negative: { max: 2, ttl: 5_000 },
        load: () => (++calls === 1 ? stale.promise : Promise.resolve(undefined)),
      });
      const before = other.get('y');
      other.clear();
      stale.resolve(undefined);
      expect(await before).toBeUndefined();
      expect(await other.get('y')).toBeUndefined(); // loads: the stale miss was not remembered
      expect(await other.get('y')).toBeUndefined(); // this one was
      expect(calls).toBe(2);
    });
  });
});
