import type { Redis } from 'ioredis';

type Write = (...args: unknown[]) => boolean;

/** Sockets already coalescing (a reconnect brings a new socket; each is set up once). */
const coalescing = new WeakSet<object>();

/**
 * Makes a client write the commands it sends while others are in flight as one socket write, at the end of the
 * event loop's turn. That is the syscall saving of ioredis' auto-pipelining without its cost: auto-pipelining
 * builds a Pipeline per turn, and each Pipeline copies every script the client defines onto itself (the hot
 * client defines eleven), which cost more CPU per command than the saved writes (bench/redis-writes.mjs). A
 * command sent while nothing is in flight is written at once: a lone call waits for no turn to end.
 *
 * Order is kept: a socket's writes go out in the order they were made, corked or not, and ioredis matches
 * replies to commands in that order. For a standalone or Sentinel client (a Cluster keeps auto-pipelining).
 */
export function coalesceWrites(client: Redis): void {
  const setUp = (): void => {
    const stream = client.stream as (typeof client.stream & { write: Write }) | undefined;
    if (!stream || coalescing.has(stream)) return;
    coalescing.add(stream);
    const write = stream.write;
    let corked = false;
    const flush = (): void => {
      corked = false;
      stream.uncork();
    };
    stream.write = function (this: unknown, ...args: unknown[]): boolean {
      // ioredis queues a command for its reply after writing it: a non-empty queue means others are in flight
      if (!corked && client.commandQueue.length > 0) {
        corked = true;
        stream.cork();
        setImmediate(flush);
      }
      return write.apply(this, args);
    };
  };
  setUp();
  client.on('connect', setUp);
}
