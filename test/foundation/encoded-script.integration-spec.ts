import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type Redis } from 'ioredis';
import { loadConfig } from '#src/core/config/app-config';
import { EncodedArgs, HotScript } from '#src/core/redis/encoded-script';
import { closeRedis, createRedis } from '#src/core/redis/redis.factory';
import { waitFor } from '#test/utils/processes';
import { PrivateRedis } from '#test/utils/redis-server';

/** Echoes what the script received, so a test can compare it with what was meant. */
const ECHO_LUA = `return {#KEYS, KEYS[1] or '', KEYS[#KEYS] or '', #ARGV, ARGV[1] or '', ARGV[#ARGV] or '', table.concat(ARGV, '|')}`;
const FAIL_LUA = `return redis.error_reply('ERR refused by the script')`;
const echo = new HotScript('testEcho', ECHO_LUA);
const fail = new HotScript('testFail', FAIL_LUA);
const incr = new HotScript('testIncr', `return redis.call('INCRBY', KEYS[1], ARGV[1])`);

/**
 * The hot scripts' pre-encoded EVALSHA (src/core/redis/encoded-script.ts), on a Redis of the test's own: Redis
 * receives exactly the keys and arguments meant, whatever their bytes; a script Redis does not have (a new
 * connection, SCRIPT FLUSH) runs anyway and once; errors reach the caller as ioredis reports them.
 */
describe('a hot script sent pre-encoded', () => {
  let server: PrivateRedis;
  let client: Redis;

  beforeAll(async () => {
    server = await PrivateRedis.start();
    const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'llmgw-encoded-')), REDIS_URL: server.url });
    client = createRedis(config, 'hot') as Redis;
    await waitFor(async () => (client.status === 'ready' ? true : undefined), 10_000, 20);
    for (const script of [echo, fail, incr]) script.define(client);
  });

  afterAll(async () => {
    await closeRedis(client);
    await server.stop();
  });

  /** Counts the calls that went through ioredis' own command `name` (the fallback) instead of the pre-encoded one. */
  const countFallbacks = (name: string): { n: number } => {
    const count = { n: 0 };
    const own = client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const original = own[name];
    own[name] = (...a: unknown[]) => {
      count.n++;
      return original.apply(client, a);
    };
    return count;
  };

  it('delivers cached parts and per-call values in order, multi-byte text and numbers as ioredis would', async () => {
    const fallbacks = countFallbacks('testEcho');
    const keys = new EncodedArgs(['{t}:a', '{t}:ключ', '{t}:z']);
    const limits = new EncodedArgs([-1, 1.5, '0,5,1', '']);
    const args = [keys, 'call-1', 12_345_678_901, '0.000001', 'émoji 😀 end', limits];
    const expected = ['call-1', '12345678901', '0.000001', 'émoji 😀 end', '-1', '1.5', '0,5,1', ''];
    const reply = await echo.call(client, 3, args);
    expect(reply).toEqual([3, '{t}:a', '{t}:z', 8, 'call-1', '', expected.join('|')]);
    // the same call through ioredis' own command gives the same
    expect(
      await (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>).testEcho(
        3,
        '{t}:a',
        '{t}:ключ',
        '{t}:z',
        ...expected,
      ),
    ).toEqual(reply);
    // a cached part is reused as it is, call after call
    const again = await echo.call(client, 3, [keys, 'call-2', 1, 'x', 'y', limits]);
    expect(again).toEqual([
      3,
      '{t}:a',
      '{t}:z',
      8,
      'call-2',
      '',
      ['call-2', '1', 'x', 'y', '-1', '1.5', '0,5,1', ''].join('|'),
    ]);
    // the first call loaded the script through ioredis (and the comparison called it once); the last went pre-encoded
    expect(fallbacks.n).toBe(2);
  });

  it('runs a script Redis does not have yet, exactly once, after SCRIPT FLUSH', async () => {
    await client.del('{t}:counter');
    await client.script('FLUSH');
    const fallbacks = countFallbacks('testIncr');
    expect(await incr.call(client, 1, [new EncodedArgs(['{t}:counter']), 5])).toBe(5);
    expect(fallbacks.n).toBe(1);
    // loaded now: the next goes by its SHA alone
    expect(await incr.call(client, 1, [new EncodedArgs(['{t}:counter']), 2])).toBe(7);
    expect(fallbacks.n).toBe(1);
    expect(await client.get('{t}:counter')).toBe('7');
  });

  it("passes the script's error to the caller, and the connection stays usable", async () => {
    await expect(fail.call(client, 0, ['x'])).rejects.toThrow('ERR refused by the script');
    await client.script('FLUSH');
    await expect(fail.call(client, 0, ['x'])).rejects.toThrow('ERR refused by the script');
    expect(await client.ping()).toBe('PONG');
  });

  it('goes through ioredis for a Cluster client, which needs the keys to pick a node', async () => {
    const seen: unknown[][] = [];
    const cluster = Object.create(Cluster.prototype) as Cluster & { testEcho: (...a: unknown[]) => Promise<string> };
    cluster.testEcho = (...a: unknown[]) => {
      seen.push(a);
      return Promise.resolve('via ioredis');
    };
    expect(await echo.call(cluster, 1, [new EncodedArgs(['{t}:a']), 'v', new EncodedArgs([1, 2])])).toBe('via ioredis');
    expect(seen).toEqual([[1, '{t}:a', 'v', 1, 2]]);
  });

  it('fails like any hot command when Redis is not reachable (no offline queue)', async () => {
    const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'llmgw-encoded-')), REDIS_URL: server.url });
    const closed = createRedis(config, 'hot') as Redis;
    await waitFor(async () => (closed.status === 'ready' ? true : undefined), 10_000, 20);
    closed.disconnect();
    await expect(echo.call(closed, 0, ['x'])).rejects.toThrow();
  });
});
