import { performance } from 'node:perf_hooks';
import type { FastifyReply } from 'fastify';
import { newId } from '#src/core/database/ids';
import { validClientRequestId } from '#src/core/http/request-id';
import type { CallEndpoint } from '#src/modules/calls/call-event';
import type { AuthenticatedKey } from '#src/modules/keys/api-key-auth.service';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import type { CacheOutcome } from '#src/modules/response-cache/response-cache.service';

/** Ids, timing and client facts of one proxied request, from arrival to its call-completed event (ProxyCall). */
export class CallContext {
  readonly callId: string;
  readonly clientRequestId: string | null;
  readonly startedAt: Date;
  /** performance.now() when Fastify received the request. */
  private readonly t0: number;
  private upstreamStartedAt: number | null = null;
  private firstTokenAt: number | null = null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
  private left = false;
  private onLeave: (() => void) | null = null;
  private cache: CacheOutcome | null = null;

  constructor(
    readonly request: ProxyRequest,
    readonly reply: FastifyReply,
    readonly endpoint: CallEndpoint,
  ) {
    this.clientRequestId = validClientRequestId(request.headers['x-request-id']);
    // request.id is the client's x-request-id when valid, else a fresh UUIDv7 that doubles as the call id
    this.callId = this.clientRequestId ? newId() : request.id;
    // set now so refusals and errors answered by the exception filter carry it too
    reply.header('x-gateway-call-id', this.callId);
    this.t0 = performance.now() - reply.elapsedTime;
    this.startedAt = new Date(Date.now() - reply.elapsedTime);
    this.clientIp = request.ip ?? null;
    const ua = request.headers['user-agent'];
    this.userAgent = typeof ua === 'string' ? ua.slice(0, 512) : null;
    // listened for from the start, so a client that leaves during admission is noticed (issue 14)
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) return;
      this.left = true;
      this.onLeave?.();
    });
  }

  /** The client closed the connection before the answer was complete. */
  get clientLeft(): boolean {
    if (this.left) return true;
    const res = this.reply.raw;
    return !res.writableFinished && (res.destroyed || !res.socket || res.socket.destroyed);
  }

  /** Runs `fn` when the client leaves before the answer is complete (at once if it already has). */
  whenClientLeaves(fn: () => void): void {
    if (this.clientLeft) fn();
    else this.onLeave = fn;
  }

  get key(): AuthenticatedKey | undefined {
    return this.request.apiKey;
  }

  /** Marks the moment the provider is called: the gateway's own overhead ends here. */
  upstreamStarted(): void {
    this.upstreamStartedAt ??= performance.now();
  }

  /** The provider was called (the call left admission and went upstream). */
  get upstreamCalled(): boolean {
    return this.upstreamStartedAt !== null;
  }

  /** The first streamed chunk (or the whole answer) arrived. */
  firstToken(): void {
    this.firstTokenAt ??= performance.now();
  }

  /** performance.now() of the first streamed chunk (or the whole answer), null before it. */
  get firstTokenTime(): number | null {
    return this.firstTokenAt;
  }

  get overheadMs(): number {
    return round((this.upstreamStartedAt ?? performance.now()) - this.t0);
  }

  get latencyMs(): number {
    return round(performance.now() - this.t0);
  }

  get ttftMs(): number | null {
    return this.firstTokenAt === null ? null : round(this.firstTokenAt - this.t0);
  }

  /** What the response cache did for this call (SPEC §14); null when its route has no cache. */
  get cacheOutcome(): CacheOutcome | null {
    return this.cache;
  }

  /** Set as soon as it is known, so refusals and errors the exception filter answers carry it too. */
  set cacheOutcome(outcome: CacheOutcome) {
    this.cache = outcome;
    this.reply.header('x-gateway-cache', outcome);
  }

  /** Headers every proxy response carries. */
  baseHeaders(): Record<string, string> {
    const headers: Record<string, string> = {
      'x-request-id': this.request.id,
      'x-gateway-call-id': this.callId,
      'x-gateway-overhead-ms': String(this.overheadMs),
    };
    if (this.cache) headers['x-gateway-cache'] = this.cache;
    return headers;
  }
}

function round(ms: number): number {
  return Math.max(0, Math.round(ms * 100) / 100);
}
