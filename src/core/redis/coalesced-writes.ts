import type { Redis } from 'ioredis';
import type { RedisClient } from '#src/core/redis/redis.factory';

type Write = (...args: unknown[]) => boolean;

/** Per socket (a reconnect brings a new one): holds its writes until the end of the event loop's turn. */
const holds = new WeakMap<object, () => void>();

/**
 * Makes a client write the commands it sends while others are in flight as one socket write, at the end of the
 * event loop's turn. That is the syscall saving of ioredis' auto-pipelining without its cost: auto-pipelining
 * builds a Pipeline per turn, and each Pipeline copies every script the client defines onto itself (the hot
 * client defines eleven), which cost more CPU per command than the saved writes (bench/redis-writes.mjs). A
 * command sent while nothing is in flight is written at once: a lone call waits for no turn to end, unless its
 * sender asked for `holdWrites` to send the next command in the same write.
 *
 * Order is kept: a socket's writes go out in the order they were made, held or not, and ioredis matches
 * replies to commands in that order. For a standalone or Sentinel client (a Cluster keeps auto-pipelining).
 */
export function coalesceWrites(client: Redis): void {
  const setUp = (): void => {
    const stream = client.stream as (typeof client.stream & { write: Write }) | undefined;
    if (!stream || holds.has(stream)) return;
    let held = false;
    const release = (): void => {
      held = false;
      stream.uncork();
    };
    const hold = (): void => {
      if (held) return;
      held = true;
      stream.cork();
      setImmediate(release);
    };
    holds.set(stream, hold);
    const write = stream.write;
    stream.write = function (this: unknown, ...args: unknown[]): boolean {
      // ioredis queues a command for its reply after writing it: a non-empty queue means others are in flight
      if (client.commandQueue.length > 0) hold();
      return write.apply(this, args);
    };
  };
  setUp();
  client.on('connect', setUp);
}

/**
 * The commands `client` sends from now to the end of this turn leave in one write: for a command that is always
 * followed by another in the same turn (a routing pick by the admission, an attempt's end by the settle). A
 * no-op for a Cluster (it auto-pipelines) and for a client not set up by `coalesceWrites`.
 */
export function holdWrites(client: RedisClient): void {
  const stream = (client as Partial<Redis>).stream;
  if (stream) holds.get(stream)?.();
}
