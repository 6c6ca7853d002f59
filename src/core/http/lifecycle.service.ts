import type { Server } from 'node:http';
import { Injectable } from '@nestjs/common';

type DrainHook = () => Promise<void>;

/**
 * Tracks in-flight HTTP requests and the shutdown state. Readiness reads `shuttingDown`; the shutdown
 * sequence (SPEC §9) waits here for in-flight calls and streams, then runs the registered drain hooks
 * (billing batcher, audit buffer) before Nest closes queues and connections.
 */
@Injectable()
export class LifecycleService {
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly drainHooks: { name: string; hook: DrainHook }[] = [];
  shuttingDown = false;

  /** Counts every request on the raw server, hijacked streams included. */
  attach(server: Server): void {
    server.on('request', (_req, res) => {
      this.inflight++;
      res.once('close', () => {
        this.inflight--;
        if (this.inflight === 0) this.releaseIdleWaiters();
      });
    });
  }

  get inflightRequests(): number {
    return this.inflight;
  }

  /** Resolves when no request is in flight, or after `timeoutMs`; returns whether it became idle. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Work that must finish before connections close: flush batches, buffers. Runs in registration order. */
  onDrain(name: string, hook: DrainHook): void {
    this.drainHooks.push({ name, hook });
  }

  async runDrainHooks(onError: (name: string, err: unknown) => void): Promise<void> {
    for (const { name, hook } of this.drainHooks) {
      try {
        await hook();
      } catch (err) {
        onError(name, err);
      }
    }
  }

  private releaseIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
