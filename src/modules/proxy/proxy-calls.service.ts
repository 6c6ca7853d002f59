import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '#src/core/config/app-config';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { Tracing } from '#src/core/tracing/tracing';
import { AdmissionService } from '#src/modules/calls/admission';
import type { CallEndpoint } from '#src/modules/calls/call-event';
import { CallEventsService } from '#src/modules/calls/call-events.service';
import { ModelResolver } from '#src/modules/models/model-resolver.service';
import { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import { CallAbortedError } from '#src/modules/providers/upstream-http';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { CallContext } from '#src/modules/proxy/call-context';
import { type CallRequest, type CallServices, ProxyCall } from '#src/modules/proxy/proxy-call';
import { ReservationKeeper } from '#src/modules/proxy/reservation-keeper';
import { RoutingState } from '#src/modules/proxy/routing-state';
import { refusedBodyForAudit } from '#src/modules/proxy/request-body';
import { ResponseCache } from '#src/modules/response-cache/response-cache.service';

/** One API surface (chat, embeddings, …): it only reads its request and renders its answer. */
export interface Surface<R extends CallRequest = CallRequest> {
  readonly endpoint: CallEndpoint;
  /** Reads and validates the request; throws the refusal (400) in the surface's error shape. */
  parse(req: ProxyRequest): R;
  /**
   * Calls the provider with `call.upstream()` and renders the answer, recording it with `call.succeeded`. A
   * failure it throws is recorded by the caller; a stream that already answered records its own failure.
   */
  answer(call: ProxyCall, request: R, reply: FastifyReply): Promise<void>;
  /** A cached JSON answer as this surface's SSE events, for a streamed request served from the cache (SPEC §14). */
  replay?(request: R, cachedBody: unknown): string[];
}

/** The surface a request to `url` belongs to, for refusals recorded before its handler runs. */
export function endpointOf(url: string): CallEndpoint {
  if (url.startsWith('/v1/embeddings')) return 'embeddings';
  if (url.startsWith('/v1/responses')) return 'responses';
  if (url.startsWith('/v1/messages')) return 'messages';
  return 'chat';
}

/**
 * Runs every proxied call (SPEC §10): parse → admit → answer in one try, the outcome recorded once, and
 * `finish()` (settle, publish exactly one event) in the finally. The API-key guard's refusals come through
 * `refuse`, so every request that reaches the proxy ends in ProxyCall.finish and nowhere else.
 */
@Injectable()
export class ProxyCalls implements CallServices, OnModuleDestroy {
  /** The budget reservations of the calls in flight, refreshed by one timer (SPEC §7). */
  readonly reservations: ReservationKeeper;

  constructor(
    readonly config: AppConfig,
    readonly resolver: ModelResolver,
    readonly providers: ProviderRegistry,
    readonly admissions: AdmissionService,
    readonly events: CallEventsService,
    readonly lifecycle: LifecycleService,
    readonly routing: RoutingState,
    readonly tracing: Tracing,
    readonly cache: ResponseCache,
  ) {
    this.reservations = new ReservationKeeper(Math.max(1000, config.budgetReservationTtlMs / 3));
  }

  onModuleDestroy(): void {
    this.reservations.close();
  }

  run<R extends CallRequest>(req: ProxyRequest, reply: FastifyReply, surface: Surface<R>): Promise<void> {
    const call = new ProxyCall(new CallContext(req, reply, surface.endpoint), this);
    // with tracing on, the call runs in its span's context: its log lines carry the trace and span ids
    return call.trace
      ? call.trace.run(() => this.drive(call, req, reply, surface))
      : this.drive(call, req, reply, surface);
  }

  private async drive<R extends CallRequest>(
    call: ProxyCall,
    req: ProxyRequest,
    reply: FastifyReply,
    surface: Surface<R>,
  ): Promise<void> {
    try {
      let request: R;
      try {
        request = surface.parse(req);
      } catch (err) {
        call.refusedBefore({ body: refusedBodyForAudit(err, req.body) });
        throw err;
      }
      call.parsed(request);
      await call.admit();
      // the client left while the call was admitted: no upstream call, 499 billed 0 tokens (issue 14)
      if (call.ctx.clientLeft) return call.failed(new CallAbortedError());
      if (call.isCacheHit) {
        const replay = request.stream ? surface.replay?.bind(surface, request) : undefined;
        return call.answerFromCache(replay ?? null);
      }
      await call.withRetries(() => surface.answer(call, request, reply));
    } catch (err) {
      call.failed(err);
      // a stream answers its own failures once its headers went out
      if (!reply.sent) throw err;
    } finally {
      call.finish();
    }
  }

  /** Records a request the API-key guard refused (bad key, database down): no body, the caller is unknown. */
  refuse(req: ProxyRequest, reply: FastifyReply, err: unknown, model: string | null): void {
    const call = new ProxyCall(new CallContext(req, reply, endpointOf(req.url)), this);
    try {
      call.refusedBefore({ body: null, model });
      call.failed(err);
    } finally {
      call.finish();
    }
  }
}
