import type { Server } from 'node:http';
import { Injectable } from '@nestjs/common';

type DrainHook = () => Promise<void>;

/**
 * `producer` hooks hand over what this process holds in memory (batches for a queue or a shared buffer);
 * `consumer` hooks then empty those shared buffers, so they find what the producers just handed over.
 */
export type DrainStage = 'producer' | 'consumer';

/**
 * Tracks in-flight HTTP requests and the shutdown state. Readiness reads `shuttingDown`; the shutdown
 * sequence (SPEC §9) waits here for in-flight calls and streams, then runs the registered drain hooks
 * (billing batcher, audit buffer) before Nest closes queues and connections.
 */
const stageOrder: Record<DrainStage, number> = { producer: 0, consumer: 1 };

@Injectable()
export class LifecycleService {
  private inflight = 0;
  /** Proxied calls admitted and not yet published (billing, audit): they outlive their HTTP response by a little. */
  private readonly calls = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private readonly drainHooks: { name: string; hook: DrainHook; stage: DrainStage }[] = [];
  shuttingDown = false;

  /** Counts every request on the raw server, hijacked streams included. */
  attach(server: Server): void {
    server.on('request', (_req, res) => {
      this.inflight++;
      res.once('close', () => {
        this.inflight--;
        this.releaseIfIdle();
      });
    });
  }

  /** A call was admitted; shutdown waits for `callEnded` (its billing and audit events published) before draining. */
  callStarted(callId: string): void {
    this.calls.add(callId);
  }

  callEnded(callId: string): void {
    if (this.calls.delete(callId)) this.releaseIfIdle();
  }

  get inflightRequests(): number {
    return this.inflight;
  }

  get inflightCalls(): number {
    return this.calls.size;
  }

  /** Resolves when no request or call is in flight, or after `timeoutMs`; returns whether it became idle. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Work that must finish before connections close: flush batches, buffers. Every producer hook runs before any
   * consumer hook; within a stage, in registration order.
   */
  onDrain(name: string, hook: DrainHook, stage: DrainStage): void {
    this.drainHooks.push({ name, hook, stage });
  }

  async runDrainHooks(onError: (name: string, err: unknown) => void): Promise<void> {
    const ordered = [...this.drainHooks].sort((a, b) => stageOrder[a.stage] - stageOrder[b.stage]);
    for (const { name, hook } of ordered) {
      try {
        await hook();
      } catch (err) {
        onError(name, err);
      }
    }
  }

  private isIdle(): boolean {
    return this.inflight === 0 && this.calls.size === 0;
  }

  private releaseIfIdle(): void {
    if (this.isIdle()) this.releaseIdleWaiters();
  }

  private releaseIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
