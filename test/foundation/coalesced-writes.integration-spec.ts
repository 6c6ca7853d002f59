import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { loadConfig } from '#src/core/config/app-config';
import { holdWrites } from '#src/core/redis/coalesced-writes';
import { closeRedis, createRedis } from '#src/core/redis/redis.factory';
import { waitFor } from '#test/utils/processes';
import { PrivateRedis } from '#test/utils/redis-server';

/**
 * The hot client's writes (src/core/redis/coalesced-writes.ts), on real sockets to a Redis of the test's own: a
 * command sent while nothing is in flight is written at once; the commands of one turn sent while others are in
 * flight leave in one socket write at the end of the turn; replies stay matched to their commands; a reconnect's
 * new socket coalesces too. Socket writes are counted at the stream's `_write`/`_writev` (one call per write
 * handed to the socket).
 */
describe('the hot Redis client coalesces its writes', () => {
  let server: PrivateRedis;
  let client: Redis;
  let writes: { single: number; batched: number; chunks: number };

  const counted = new WeakSet<object>();
  /** Counts the socket writes from now on (each socket is wrapped once). */
  const countWrites = (): void => {
    writes = { single: 0, batched: 0, chunks: 0 };
    if (counted.has(client.stream)) return;
    counted.add(client.stream);
    const stream = client.stream as unknown as {
      _write: (...a: unknown[]) => void;
      _writev: (chunks: unknown[], cb: unknown) => void;
    };
    const write = stream._write.bind(stream);
    const writev = stream._writev.bind(stream);
    stream._write = (...a: unknown[]) => {
      writes.single++;
      writes.chunks++;
      write(...a);
    };
    stream._writev = (chunks: unknown[], cb: unknown) => {
      writes.batched++;
      writes.chunks += chunks.length;
      writev(chunks, cb);
    };
  };

  beforeAll(async () => {
    server = await PrivateRedis.start();
    const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'llmgw-coalesce-')), REDIS_URL: server.url });
    client = createRedis(config, 'hot') as Redis;
    await waitFor(async () => (client.status === 'ready' ? true : undefined), 10_000, 20);
  });

  afterAll(async () => {
    await closeRedis(client);
    await server.stop();
  });

  it('uses no auto-pipelining, so no Pipeline is built per turn', () => {
    expect(client.options.enableAutoPipelining).toBe(false);
  });

  it('writes a command sent while nothing is in flight at once', async () => {
    countWrites();
    const reply = client.echo('alone');
    // before the turn ends: already handed to the socket
    expect(writes).toEqual({ single: 1, batched: 0, chunks: 1 });
    expect(await reply).toBe('alone');
    const again = client.echo('alone again');
    expect(writes.single).toBe(2);
    expect(await again).toBe('alone again');
  });

  it('sends the commands of one turn, after the first, in one write, replies in order', async () => {
    countWrites();
    await client.del('coalesce:counter');
    countWrites();
    const replies = Array.from({ length: 20 }, () => client.incr('coalesce:counter'));
    // the first went out at once; the other 19 wait for the end of the turn
    expect(writes).toEqual({ single: 1, batched: 0, chunks: 1 });
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(writes).toEqual({ single: 1, batched: 1, chunks: 20 });
  });

  it('holds a lone command for the next one of the same turn when asked (holdWrites)', async () => {
    countWrites();
    holdWrites(client);
    const first = client.echo('pick');
    const second = client.echo('admission');
    expect(writes).toEqual({ single: 0, batched: 0, chunks: 0 });
    expect(await Promise.all([first, second])).toEqual(['pick', 'admission']);
    expect(writes).toEqual({ single: 0, batched: 1, chunks: 2 });
    // only that turn: the next lone command goes out at once again
    const after = client.echo('later');
    expect(writes.single).toBe(1);
    expect(await after).toBe('later');
  });

  it('coalesces on the new socket after a reconnect', async () => {
    const before = client.stream;
    await client.client('KILL', 'SKIPME', 'no');
    await waitFor(async () => (client.status === 'ready' && client.stream !== before ? true : undefined), 10_000, 20);
    // the new socket is set up on 'connect', emitted on the next tick after it connected
    await new Promise((resolve) => setImmediate(resolve));
    countWrites();
    const replies = Array.from({ length: 5 }, (_, i) => client.echo(`after-${i}`));
    expect(await Promise.all(replies)).toEqual(['after-0', 'after-1', 'after-2', 'after-3', 'after-4']);
    expect(writes).toEqual({ single: 1, batched: 1, chunks: 5 });
  });
});
