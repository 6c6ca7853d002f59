import { createHash } from 'node:crypto';
import { Command, Redis } from 'ioredis';
import type { RedisClient } from '#src/core/redis/redis.factory';

type Plain = string | number;

/** Arguments encoded once as RESP bulk strings, for a part of a script call that repeats call after call. */
export class EncodedArgs {
  readonly text: string;

  constructor(readonly args: readonly Plain[]) {
    this.text = args.map(bulk).join('');
  }
}

/** A script call's arguments after the key count: plain values, or cached parts encoded once. */
export type ScriptArg = Plain | EncodedArgs;

/** One argument as a RESP bulk string; converted to text as ioredis converts it. */
function bulk(arg: Plain | null | undefined): string {
  const s = arg === null || arg === undefined ? '' : String(arg);
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

/** An EVALSHA whose RESP text is already built: ioredis writes it as it is. */
class EncodedCommand extends Command {
  constructor(private readonly text: string) {
    // replies as text, as ioredis' own commands (not their Buffer variants) give them
    super('evalsha', [], { replyEncoding: 'utf8' });
  }

  override toWritable(): string {
    return this.text;
  }
}

/**
 * A Lua script on the hot path, sent as one pre-built RESP string. ioredis builds a command by concatenating each
 * argument's framing onto a string (a few string pieces per argument, 30 arguments for an admission) and goes
 * through Script.execute (a copy of the arguments and a second promise for its NOSCRIPT retry); here the parts
 * that repeat for a key and period (its key names, its limits) are encoded once and reused, so a call adds only
 * its own few values. Replies and errors are ioredis's, unchanged.
 *
 * `define` also defines it on the client as ioredis' command `name`: when Redis answers NOSCRIPT (a new
 * connection, a restart, SCRIPT FLUSH; the script did not run) the call is made again through that, which loads
 * the script. A Cluster client always goes through it (it needs the keys to pick a node).
 */
export class HotScript {
  private readonly head: string;

  constructor(
    private readonly name: string,
    private readonly lua: string,
  ) {
    const sha = createHash('sha1').update(lua).digest('hex');
    this.head = `$7\r\nevalsha\r\n$40\r\n${sha}\r\n`;
  }

  /** Defines the script on `client` as ioredis' command `name` (called with the number of keys first). */
  define(client: RedisClient): void {
    client.defineCommand(this.name, { lua: this.lua });
  }

  call<T>(client: RedisClient, numKeys: number, args: readonly ScriptArg[]): Promise<T> {
    if (!(client instanceof Redis)) return this.viaIoredis(client, numKeys, args);
    let count = 3;
    let text = bulk(numKeys);
    for (const a of args) {
      if (a instanceof EncodedArgs) {
        count += a.args.length;
        text += a.text;
      } else {
        count++;
        text += bulk(a);
      }
    }
    const command = new EncodedCommand(`*${count}\r\n${this.head}${text}`);
    void client.sendCommand(command);
    return (command.promise as Promise<T>).catch((err: Error) => {
      if (!err.message.includes('NOSCRIPT')) throw err;
      return this.viaIoredis<T>(client, numKeys, args);
    });
  }

  private viaIoredis<T>(client: RedisClient, numKeys: number, args: readonly ScriptArg[]): Promise<T> {
    const plain = args.flatMap((a) => (a instanceof EncodedArgs ? a.args : [a]));
    const run = (client as unknown as Record<string, (...a: Plain[]) => Promise<T>>)[this.name];
    return run.call(client, numKeys, ...plain);
  }
}
