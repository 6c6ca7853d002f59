import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, waitFor } from '#test/utils/processes';

/**
 * A Redis server of the test's own, on a free loopback port, that the test can stop and start again: real
 * outages (connection refused, then a restart with an empty dataset) instead of mocked clients. Nothing is
 * persisted, so a restart loses every key, as a Redis without persistence does.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(extraArgs: string[] = []): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort());
    await server.start(extraArgs);
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts (or restarts) the server on the same port and waits until it answers PING. */
  async start(extraArgs: string[] = []): Promise<void> {
    if (this.child) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--maxmemory-policy', 'noeviction', ...extraArgs);
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await waitFor(async () => ((await this.ping()) ? true : undefined), 10_000, 50);
  }

  /** Stops the server: SIGKILL (a crash) or SIGTERM; resolves once the process has exited. */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    child.kill(signal);
    await exited;
    this.child = null;
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open but nothing is answered, as with a hung Redis or a
   * network that drops packets; `resume()` (SIGCONT) lets it answer everything sent meanwhile.
   */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** A fresh client (the caller quits it). */
  client(): Redis {
    return new Redis(this.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  }

  private async ping(): Promise<boolean> {
    const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      // a client whose connection was refused has already ended; disconnecting it again would arm ioredis'
      // 2 s stream-destroy timer on the dead socket and keep the Jest worker alive past its tests
      if (c.status !== 'end') c.disconnect();
    }
  }
}
