import { Logger } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';
import type { Tracing } from '#src/core/tracing/tracing';
import { classifyError } from '#src/core/http/exception.filter';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { calculateCost, type CostResult } from '#src/modules/billing/cost-calculator';
import { type Admission, AdmissionService } from '#src/modules/calls/admission';
import type { AttemptRecord, CallCompletedEvent } from '#src/modules/calls/call-event';
import { JsonText } from '#src/modules/calls/json-text';
import { RawJsonObject } from '#src/modules/calls/raw-json-object';
import { CallEventsService } from '#src/modules/calls/call-events.service';
import { modelAllowed } from '#src/modules/keys/api-key-auth.service';
import { type Usage, ZERO_USAGE } from '#src/modules/calls/usage';
import {
  type Resolution,
  type ResolvedModel,
  ModelResolver,
  type RouteTarget,
} from '#src/modules/models/model-resolver.service';
import type { JsonObject, UpstreamCall } from '#src/modules/providers/provider-adapter';
import { ProviderRegistry, type RegisteredProvider } from '#src/modules/providers/provider-registry.service';
import { CallAbortedError, onUpstreamHeaders, upstreamAnswered } from '#src/modules/providers/upstream-http';
import { CallCache, hitLimits } from '#src/modules/proxy/call-cache';
import type { CallContext } from '#src/modules/proxy/call-context';
import { type AttemptEnd, CallTrace } from '#src/modules/proxy/call-trace';
import { ProxyException } from '#src/modules/proxy/proxy.exception';
import { endUserOf, withOutputLimit } from '#src/modules/proxy/request-body';
import { retryConditionOf, RoutingPlan } from '#src/modules/proxy/routing-plan';
import type { ReservationKeeper } from '#src/modules/proxy/reservation-keeper';
import { RoutingState } from '#src/modules/proxy/routing-state';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { SseWriter } from '#src/modules/proxy/sse-writer';
import type { CachedAnswer, ResponseCache } from '#src/modules/response-cache/response-cache.service';

/** What a surface read from its request: enough to resolve, admit and price the call. */
export interface CallRequest {
  /** The alias or model name the client asked for. */
  model: string;
  /** The request as the client sent it: the audit record's request body. */
  clientBody: JsonObject;
  /** The request in the shape the adapters take (OpenAI chat or embeddings), before alias defaults. */
  body: JsonObject;
  stream: boolean;
  /** The output limit the client asked for, if any. */
  maxOutputTokens: number | null;
  serviceTier: string | null;
  /** Built-in tools dropped because the target cannot run them (named in the audit record). */
  droppedTools?: string[];
  /**
   * Called for each target the call tries, once its model and provider are known (the first before admission):
   * the surface picks how to serve the target (native or translated) and may refuse it (a part the target cannot
   * take). A refused first target refuses the call, counting nothing, unless a routed alias has another target.
   */
  routed?: (target: { provider: RegisteredProvider; model: ResolvedModel }) => void | Promise<void>;
  /** The client's session (Claude Code's `x-claude-code-session-id`), for the audit record. */
  sessionId?: string | null;
  /** The usage the gateway counts itself from the prompt and `generated` text, when the provider reports none. */
  estimate: (body: JsonObject, generated: string) => Usage;
}

/** What the provider answered, as a surface hands it over. */
export interface Answer {
  /** The provider's usage; null when it reported none (then estimated from `generated`). */
  usage: Usage | null;
  /** The text the model generated (content and tool-call arguments), read only when the usage is estimated. */
  generated: () => string;
  /** The audit record's response body. */
  responseBody: unknown;
}

/** How far a failed call got, as the surface that saw it knows (a stream relay's state). */
export interface Partial {
  /** Bytes of the answer reached the client, or the provider began answering. */
  answerStarted: boolean;
  generated: () => string;
  responseBody: unknown;
}

/** The services a call uses, from the one injectable that creates calls (ProxyCalls). */
export interface CallServices {
  readonly config: AppConfig;
  readonly resolver: ModelResolver;
  readonly providers: ProviderRegistry;
  readonly admissions: AdmissionService;
  readonly events: CallEventsService;
  readonly lifecycle: LifecycleService;
  readonly routing: RoutingState;
  readonly tracing: Tracing;
  readonly cache: ResponseCache;
  readonly reservations: ReservationKeeper;
}

/** How a surface replays a cached JSON answer to a streamed request: the SSE events, each as written. */
export type Replay = (cachedBody: unknown) => string[];

/** The target an attempt goes to. */
interface Target {
  model: ResolvedModel;
  provider: RegisteredProvider;
}

/** A target of the call with its loaded provider. */
interface Candidate extends Target {
  route: RouteTarget;
}

interface Admitted {
  resolution: Resolution;
  admission: Admission;
  /** The body to send: alias defaults under the client's values, output limit as admitted. */
  body: JsonObject;
  signal: AbortSignal;
  abort: (reason: unknown) => void;
  /** Stops what runs while the call is in flight: the reservation's refresh, the total-timeout timer. */
  stopTimers: () => void;
}

/** The call's end as recorded once: what the usage record, the audit record and the metrics say. */
interface Outcome {
  status: number;
  errorCode: string | null;
  usage: Usage;
  cost: CostResult;
  responseBody: unknown;
  timing: Pick<CallCompletedEvent, 'latencyMs' | 'ttftMs' | 'overheadMs'>;
  /** Answered from the response cache: what the replayed answer had cost. */
  savedUsd?: string;
}

const logger = new Logger('ProxyCall');

const FREE: CostResult = { costUsd: '0', costNanos: 0, unpriced: false };

/** A usage's token counts (without the provider's cost figure) as a new object, marked estimated or not. */
function countsOf(u: Usage, estimated: boolean): Usage {
  return {
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    reasoningTokens: u.reasoningTokens,
    estimated,
  };
}

/** UPSTREAM_TOTAL_TIMEOUT passed: aborted with the reason AbortSignal.timeout gives (a TimeoutError). */
function abortOnTimeout(controller: AbortController): void {
  controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
}

/**
 * One proxied request of any surface, from arrival to its events (SPEC §10): it resolves and admits the call,
 * hands the surface what to send upstream, records the outcome once (the first of `succeeded`/`failed` wins),
 * and `finish()` — called once, from the `finally` of ProxyCalls.run or of the guard's refusal — settles the
 * reservation and publishes exactly one call-completed event: a refusal (nothing billed) when the call was
 * never admitted, else the billed call. Nothing here waits for billing or logging.
 */
export class ProxyCall {
  private request: CallRequest | null = null;
  private resolution: Resolution | null = null;
  private admitted: Admitted | null = null;
  private plan: RoutingPlan | null = null;
  /** The targets the surface can serve, with their providers. */
  private candidates: Candidate[] = [];
  /** The call uses the shared routing state: a routed alias, or a model with a provider quota. */
  private stateful = false;
  /** The call counts in its targets' in-flight sets and time-to-first-byte averages (least_busy, latency). */
  private tracked = false;
  /** The target the current attempt goes to. */
  private target: Target | null = null;
  /** The current attempt's signal when `attempt_timeout` bounds it (else the call's). */
  private attemptSignal: AbortSignal | null = null;
  /** Attempts that failed and were retried elsewhere (the answering attempt is not among them). */
  private readonly attemptsFailed: AttemptRecord[] = [];
  /** The priority group of the first and of the current target (a fallback when they differ). */
  private firstPriority: number | null = null;
  private currentPriority: number | null = null;
  /** When the current attempt began, and how long it took once the outcome was recorded. */
  private attemptStartedAt = performance.now();
  private lastAttemptMs = 0;
  private outcome: Outcome | null = null;
  /** The body a refusal's audit record keeps (null: none, e.g. an unauthenticated caller's). */
  private refusedBody: unknown = null;
  /** See bodySource; undefined until asked for. */
  private source: RawJsonObject | null | undefined = undefined;
  /** A model name an unauthenticated caller sent, for its refusal record. */
  private presentedModel: string | null = null;
  private finished = false;
  /** When `finish()` ran (ms since the epoch): the call's span ends there, not after the settlement. */
  private finishedAt = 0;
  /** The call's spans; null when tracing is off (then nothing about tracing runs). */
  readonly trace: CallTrace | null;
  /** The call's use of the response cache (null: its route has none), and the stored answer it is served from. */
  private cache: CallCache | null = null;
  private cached: CachedAnswer | null = null;

  constructor(
    readonly ctx: CallContext,
    private readonly services: CallServices,
  ) {
    this.trace = services.tracing.on ? new CallTrace(services.tracing, ctx) : null;
  }

  /** The request as parsed; refusals before parsing keep `rawBody` in their audit record. */
  parsed(request: CallRequest): void {
    this.request = request;
  }

  /** Body and model name of a request refused before it was parsed. */
  refusedBefore(parsing: { body: unknown; model?: string | null }): void {
    this.refusedBody = parsing.body;
    this.presentedModel = parsing.model ?? null;
  }

  /**
   * Resolves the alias or model, checks the key's allowlist and admits the call against its limits (one Redis
   * round trip). Throws the refusal; the caller's `failed` records it.
   */
  async admit(): Promise<void> {
    const request = this.request;
    const key = this.ctx.key;
    if (!request || !key) throw new Error('admit() needs a parsed request and an authenticated key');
    const { resolver, admissions, lifecycle, config } = this.services;

    const resolution = await resolver.resolve(request.model);
    if (!resolution) throw ProxyException.modelNotFound(request.model);
    this.resolution = resolution;
    if (!modelAllowed(key, request.model)) throw ProxyException.modelNotAllowed(request.model);
    if (await this.fromCache(resolution)) return;
    const routing = resolution.routing;
    const candidates = await this.servable(RoutingPlan.baseOrder(resolution));
    this.candidates = candidates;
    const first = candidates[0];
    const merged = resolution.alias ? { ...resolution.alias.config, ...request.body } : request.body;
    const bound = (t: Target) => () => t.provider.adapter.promptTokenUpperBound(merged, t.model.upstreamModel);
    // a routed alias or a model with a provider quota picks its target in Redis, sent in the same pipelined write
    // as the admission (one round trip); a single target without a quota reads nothing
    this.stateful = routing !== null || RoutingState.hasQuota(first.model);
    // calls in flight and times to first byte are read only by the strategies that pick by them
    this.tracked = routing !== null && RoutingState.picksByLiveStats(routing.strategy);
    this.trace?.admissionStarted();
    const picking = this.stateful
      ? this.services.routing.pick(
          this.ctx.callId,
          candidates.map((c) => c.route),
          { first: true, strategy: routing?.strategy ?? 'weighted', track: this.tracked },
        )
      : null;
    let admission: Admission;
    try {
      admission = await admissions.admit({
        callId: this.ctx.callId,
        key,
        model: first.model,
        endpoint: this.ctx.endpoint,
        promptTokenUpperBound: bound(first),
        requestedOutputTokens: request.maxOutputTokens,
        serviceTier: request.serviceTier,
        // completions asked for (`n`, the alias may set it), each up to the output limit
        choices: typeof merged.n === 'number' && Number.isInteger(merged.n) && merged.n > 1 ? merged.n : 1,
        // the budget reserves the worst case over every target the call may try
        ...(candidates.length > 1
          ? { alternatives: candidates.slice(1).map((t) => ({ model: t.model, promptTokenUpperBound: bound(t) })) }
          : {}),
      });
    } catch (err) {
      this.trace?.admissionEnded(err);
      // refused by the key's limits: what the pick took (a quota request slot, the in-flight count) goes back
      void picking?.then(
        (p) => p.picked >= 0 && this.services.routing.release(candidates[p.order[p.picked]].model, this.ctx.callId),
      );
      throw err;
    }
    const picked = picking ? await picking : { order: [0], picked: 0 };
    this.trace?.admissionEnded(picked.picked < 0 ? ProxyException.upstreamCapacity(request.model) : undefined);
    const order = picked.order.map((i) => candidates[i]);
    this.plan = new RoutingPlan(
      order.map((c) => c.route),
      routing ? routing.retries + 1 : 1,
    );
    if (picked.picked < 0) {
      void admission.release();
      throw ProxyException.upstreamCapacity(request.model);
    }
    try {
      await this.attemptOn(order[picked.picked]);
    } catch (err) {
      void admission.release();
      if (this.stateful) this.services.routing.release(order[picked.picked].model, this.ctx.callId);
      throw err;
    }

    const body = admission.outputLimit !== null ? withOutputLimit(merged, admission.outputLimit) : merged;

    // a graceful shutdown waits until this call's events are published (finish)
    lifecycle.callStarted(this.ctx.callId);
    // one controller and a plain timer for UPSTREAM_TOTAL_TIMEOUT: AbortSignal.any/timeout cost more per call
    const controller = new AbortController();
    const total = config.env.UPSTREAM_TOTAL_TIMEOUT;
    const deadline = total > 0 ? setTimeout(abortOnTimeout, total, controller) : null;
    deadline?.unref();
    const reservations = this.services.reservations;
    reservations.keep(admission);
    this.admitted = {
      resolution,
      admission,
      body,
      signal: controller.signal,
      abort: (reason) => controller.abort(reason),
      stopTimers: () => {
        if (deadline) clearTimeout(deadline);
        reservations.drop(admission);
      },
    };
    // the client leaving (connection closed before the answer finished) aborts the upstream request
    this.ctx.whenClientLeaves(() => this.admitted?.abort(new CallAbortedError()));
  }

  get isAdmitted(): boolean {
    return this.admitted !== null;
  }

  /**
   * Looks the call up in the response cache when its route has one (SPEC §14). A hit is admitted against the
   * rate limit only (no token limit, no budget reservation: it costs nothing) and answered by `answerFromCache`;
   * a miss goes upstream as usual. False when the call goes upstream.
   */
  private async fromCache(resolution: Resolution): Promise<boolean> {
    const request = this.request!;
    const key = this.ctx.key!;
    const { admissions, providers } = this.services;
    const cache = await CallCache.open(this.services.cache, this.ctx, {
      key,
      resolution,
      clientBody: request.clientBody,
      stream: request.stream,
    });
    this.cache = cache;
    if (!cache) return false;
    const answer = cache.found;
    // the answering model must still be one this call may reach, with its provider loaded
    const target = answer ? resolution.targets.find((t) => t.model.id === answer.modelId) : undefined;
    const provider = target ? await providers.get(answer!.providerId) : null;
    if (!answer || !target || !provider) {
      this.ctx.cacheOutcome = cache.missOutcome;
      return false;
    }
    this.ctx.cacheOutcome = 'hit';
    const admission = await admissions.admit({
      callId: this.ctx.callId,
      key: hitLimits(key),
      model: target.model,
      endpoint: this.ctx.endpoint,
      promptTokenUpperBound: () => 0,
      requestedOutputTokens: null,
      serviceTier: null,
    });
    this.services.lifecycle.callStarted(this.ctx.callId);
    this.resolution = resolution;
    this.target = { model: target.model, provider };
    this.cached = answer;
    this.admitted = {
      resolution,
      admission,
      body: request.body,
      signal: new AbortController().signal,
      abort: () => undefined,
      stopTimers: () => undefined,
    };
    return true;
  }

  /** Whether admission found the answer in the response cache (then `answerFromCache` answers the call). */
  get isCacheHit(): boolean {
    return this.cached !== null;
  }

  /**
   * Answers a hit: the stored JSON as it was, or, for a streamed request, the surface's SSE events replayed from
   * it. Recorded at cost 0 with the cost it saved; nothing goes upstream.
   */
  answerFromCache(replay: Replay | null): void {
    const cached = this.cached!;
    const { ctx } = this;
    ctx.firstToken();
    this.record({
      status: 200,
      errorCode: null,
      usage: ZERO_USAGE,
      cost: FREE,
      responseBody: cached.audited ? JsonText.of(cached.body) : null,
      savedUsd: cached.costUsd,
    });
    if (!replay) {
      void ctx.reply
        .headers(Object.assign(this.headers(), { 'x-gateway-cost-usd': this.outcome!.cost.costUsd }))
        .type(cached.contentType)
        .send(cached.body);
      return;
    }
    ctx.reply.hijack();
    const sse = new SseWriter(
      ctx.reply.raw,
      () => this.headers(),
      () => undefined,
    );
    for (const event of replay(JSON.parse(cached.body) as unknown)) sse.write(event);
    sse.end();
    ctx.request.log.info(
      { method: 'POST', url: ctx.request.url, status: 200, ms: ctx.latencyMs, callId: ctx.callId, cache: 'hit' },
      'request completed',
    );
  }

  /**
   * Sends a successful non-streamed answer (recorded with `succeeded` first) with the call's headers and
   * `x-gateway-cost-usd`, then hands it to the response cache when the route has one: `cacheable` false keeps
   * out an answer that is not complete (a Responses call still running in the background).
   */
  respond(
    payload: Buffer | string | object,
    options: { headers?: Record<string, string>; contentType?: string; cacheable?: boolean } = {},
  ): void {
    const contentType = options.contentType ?? 'application/json';
    const cost = this.outcome?.cost ?? FREE;
    const headers = this.headers();
    if (options.headers) for (const name in options.headers) headers[name] = options.headers[name];
    headers['x-gateway-cost-usd'] = cost.costUsd;
    void this.ctx.reply.headers(headers).type(contentType).send(payload);
    if (options.cacheable !== false) this.keepAnswer(payload, contentType);
  }

  /**
   * A complete streamed answer for the response cache (SPEC §14), as the JSON the same call would have got
   * unstreamed (`answer` is asked only when the route has a cache; null when the stream cannot be stored).
   * Call after `succeeded`.
   */
  keepStreamed(answer: () => JsonObject | null): void {
    if (!this.cache || !this.request?.stream) return;
    const json = answer();
    if (json) this.keepAnswer(json, 'application/json', true);
  }

  /**
   * Stores a complete 200 answer for the next identical call (off the response path) and hands it to the calls
   * of this pod waiting on this one. Not an answer the budget shortened: another caller would get it truncated.
   */
  private keepAnswer(payload: Buffer | string | object, contentType: string, streamed = false): void {
    const outcome = this.outcome;
    if (!this.cache || !outcome || outcome.status !== 200 || this.request?.stream !== streamed) return;
    if (this.live.admission.loweredOutputLimit !== null) return;
    this.cache.keep(payload, {
      contentType,
      modelId: this.current.model.id,
      providerId: this.current.provider.id,
      costUsd: outcome.cost.costUsd,
      audited: outcome.responseBody !== null,
    });
  }

  /**
   * The targets, in the plan's base order, whose provider is loaded and that the surface can serve (`routed`).
   * Throws the first refusal when the surface serves none, model_not_found when no provider is loaded.
   */
  private async servable(targets: RouteTarget[]): Promise<Candidate[]> {
    const out: Candidate[] = [];
    let refusal: Error | null = null;
    for (const route of targets) {
      const provider = await this.services.providers.get(route.model.providerId);
      if (!provider) continue;
      try {
        await this.request!.routed?.({ provider, model: route.model });
      } catch (err) {
        refusal ??= err instanceof Error ? err : new Error(String(err));
        continue;
      }
      out.push({ route, model: route.model, provider });
    }
    if (out.length > 0) return out;
    throw refusal ?? ProxyException.modelNotFound(this.request!.model);
  }

  /** The attempt goes to `c`; with several candidates the surface is told again which one it serves. */
  private async attemptOn(c: Candidate): Promise<void> {
    this.plan!.attempt(c.route);
    this.target = { model: c.model, provider: c.provider };
    this.firstPriority ??= c.route.priority;
    this.currentPriority = c.route.priority;
    if (this.candidates.length > 1) await this.request!.routed?.({ provider: c.provider, model: c.model });
  }

  /**
   * A retry's target: the first of the plan's remaining ones with provider quota room (one round trip, on the
   * failure path only); null when none is left.
   */
  private async nextTarget(): Promise<boolean> {
    const remaining = this.plan!.remaining;
    if (remaining.length === 0) return false;
    const picked = await this.services.routing.pick(this.ctx.callId, remaining, {
      first: false,
      strategy: 'weighted',
      track: this.tracked,
    });
    if (picked.picked < 0) return false;
    const route = remaining[picked.order[picked.picked]];
    await this.attemptOn(this.candidates.find((c) => c.route === route)!);
    return true;
  }

  /**
   * Whether a failure of the current attempt may be retried on another target (SPEC §11): the alias routes, the
   * failure is one of its `retry_on`, nothing reached the client yet, and the plan has a target left.
   */
  retryable(err: unknown): boolean {
    const routing = this.resolution?.routing;
    if (!routing || !this.plan?.hasNext || !this.admitted) return false;
    if (this.ctx.reply.raw.headersSent) return false;
    const condition = retryConditionOf(err);
    return condition !== null && routing.retryOn.includes(condition);
  }

  /**
   * Runs the surface's answer, and again on the plan's next target for each retryable failure (the surface
   * rethrows those instead of answering them). The last failure propagates as the call's.
   */
  async withRetries(answer: () => Promise<void>): Promise<void> {
    for (;;) {
      const started = performance.now();
      this.attemptStartedAt = started;
      const timeout = this.boundAttempt();
      this.trace?.attemptStarted(this.current, this.signal);
      try {
        await answer();
        this.trace?.attemptEnded(this.attemptEnd());
        return;
      } catch (err) {
        this.countFailure(err);
        if (this.trace) {
          const { status, code } = classifyError(err);
          this.trace.attemptEnded({ status, errorCode: code }, err);
        }
        if (!this.retryable(err)) throw err;
        this.endAttempt(null, 0);
        const { status, code } = classifyError(err);
        const failed = this.target!;
        this.attemptsFailed.push({
          model: failed.model.name,
          providerId: failed.provider.id,
          providerName: failed.provider.name,
          status,
          errorCode: code,
          latencyMs: Math.round(performance.now() - started),
        });
        logger.debug({ callId: this.ctx.callId, model: failed.model.name, status, code }, 'attempt failed; retrying');
        if (!(await this.nextTarget().catch(() => false))) throw err;
      } finally {
        timeout?.();
      }
    }
  }

  /** What the attempt's span records of the outcome the surface recorded (a stream may have failed mid-way). */
  private attemptEnd(): AttemptEnd {
    const o = this.outcome;
    if (!o) return { status: 200, errorCode: null };
    return { status: o.status, errorCode: o.errorCode, usage: o.usage, costUsd: o.cost.costUsd };
  }

  /**
   * `attempt_timeout` (SPEC §11): the attempt gets its own signal, aborted as a timeout (retryable) unless the
   * provider's response headers arrive in time. Returns what clears the timer; null when the alias sets none.
   */
  private boundAttempt(): (() => void) | null {
    this.attemptSignal = null;
    const ms = this.resolution?.routing?.attemptTimeoutMs;
    if (!ms || !this.admitted) return null;
    const controller = new AbortController();
    const signal = AbortSignal.any([this.admitted.signal, controller.signal]);
    const timer = setTimeout(
      () => controller.abort(new DOMException(`attempt_timeout of ${ms} ms passed`, 'TimeoutError')),
      ms,
    );
    timer.unref();
    onUpstreamHeaders(signal, () => clearTimeout(timer));
    this.attemptSignal = signal;
    return () => clearTimeout(timer);
  }

  private get live(): Admitted {
    if (!this.admitted) throw new Error('the call was not admitted');
    return this.admitted;
  }

  /**
   * The current attempt leaves its target's routing state: the in-flight count and time-to-first-byte sample of a
   * tracked call (least_busy, latency), the tokens of a target with a token quota. Nothing to send otherwise.
   */
  private endAttempt(ttfbMs: number | null, tokens: number): void {
    if (!this.tracked && (tokens === 0 || this.current.model.tpmLimit === null)) return;
    this.services.routing.ended(this.current.model, this.ctx.callId, { ttfbMs, tokens });
  }

  /** A routed target's retryable failure counts towards its cooldown on every pod (off the answer's path). */
  private countFailure(err: unknown): void {
    const routing = this.resolution?.routing;
    const condition = retryConditionOf(err);
    if (!routing || !this.target || condition === null || !routing.retryOn.includes(condition)) return;
    const retryAfter =
      err instanceof UpstreamException && err.upstreamCode === UpstreamErrorCode.RateLimited
        ? err.details.retryAfter
        : undefined;
    void this.services.routing.failed(this.target.model, retryAfter);
  }

  get provider(): RegisteredProvider {
    return this.current.provider;
  }

  private get current(): Target {
    if (!this.target) throw new Error('the call has no target');
    return this.target;
  }

  /** The output limit the budget admitted (set for keys with a budget), or null to leave the request's. */
  get outputLimit(): number | null {
    return this.live.admission.outputLimit;
  }

  /** The provider's id for the current target's model. */
  get upstreamModel(): string {
    return this.current.model.upstreamModel;
  }

  get signal(): AbortSignal {
    return this.attemptSignal ?? this.live.signal;
  }

  /** The body to send upstream (alias defaults merged, output limit as admitted). */
  get body(): JsonObject {
    return this.live.body;
  }

  /** What an adapter call takes: the provider's model id, the body, the abort signal, the client's bytes. */
  upstream(): UpstreamCall {
    const a = this.live;
    return {
      upstreamModel: this.current.model.upstreamModel,
      body: a.body,
      signal: this.attemptSignal ?? a.signal,
      source: this.bodySource,
    };
  }

  /** The client's body with the bytes it was parsed from, for adapters to splice from (null: serialize it all). */
  get bodySource(): RawJsonObject | null {
    if (this.source === undefined) this.source = RawJsonObject.of(this.ctx.request.rawBody, this.ctx.request.body);
    return this.source;
  }

  /**
   * Headers of a proxied answer: ids, overhead, `x-ratelimit-*`, `x-gateway-max-tokens`, and the model that
   * answers with the attempts it took (`x-gateway-model`, `x-gateway-attempts`).
   */
  headers(): Record<string, string> {
    const admission = this.live.admission;
    const headers = this.ctx.baseHeaders();
    for (const name in admission.headers) headers[name] = admission.headers[name];
    if (admission.loweredOutputLimit !== null) headers['x-gateway-max-tokens'] = String(admission.loweredOutputLimit);
    headers['x-gateway-model'] = this.current.model.name;
    headers['x-gateway-attempts'] = String(this.cached ? 0 : this.attemptsFailed.length + 1);
    return headers;
  }

  /**
   * Records a successful answer and prices it at once (for `x-gateway-cost-usd`); settling and publishing
   * happen in `finish`. Never throws: whatever fails in pricing, the call is still settled and published.
   */
  succeeded(answer: Answer): CostResult {
    if (this.outcome) return this.outcome.cost;
    const usage = this.usageOf(answer.usage, answer.generated);
    this.record({
      status: 200,
      errorCode: null,
      usage,
      cost: this.price(usage, answer.usage),
      responseBody: answer.responseBody,
    });
    return this.outcome!.cost;
  }

  /**
   * Records a failure, unless an outcome is already recorded. Not admitted: a refusal. Admitted: a provider
   * failure before its answer began (refused connection, timeout to headers, an error status) reports no usage
   * and used nothing, so it is billed 0 tokens (and no token price); a failure once the answer began, or the client leaving
   * after the provider was called, keeps the estimate of what was sent and generated (issue 14).
   */
  failed(err: unknown, partial?: Partial): void {
    if (this.outcome) return;
    const { status, code } = classifyError(err);
    if (!this.admitted) {
      this.record({ status, errorCode: code, usage: ZERO_USAGE, cost: FREE, responseBody: null });
      return;
    }
    const answerStarted = partial?.answerStarted ?? upstreamAnswered(this.attemptSignal ?? this.admitted.signal);
    const keepEstimate = answerStarted || (err instanceof CallAbortedError && this.ctx.upstreamCalled);
    const usage = keepEstimate ? this.usageOf(null, partial?.generated ?? (() => '')) : ZERO_USAGE;
    this.record({
      status,
      errorCode: code,
      usage,
      cost: this.price(usage, null),
      responseBody: partial?.responseBody ?? null,
    });
  }

  /**
   * Ends the call, once: settles the reservation (admitted calls) and publishes its one event, off the
   * response's path. A call that ends with no outcome recorded (a surface bug) is published as a 500.
   */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.finishedAt = Date.now();
    this.cache?.release();
    if (!this.outcome) this.failed(new Error('the call ended without an outcome'));
    const outcome = this.outcome!;
    if (!this.admitted) {
      this.publish(this.refusalEvent(outcome));
      return;
    }
    this.admitted.stopTimers();
    void this.settleAndPublish(this.admitted, outcome);
  }

  private record(o: Omit<Outcome, 'timing'>): void {
    const ctx = this.ctx;
    this.lastAttemptMs = Math.round(performance.now() - this.attemptStartedAt);
    const outcome = o as Outcome;
    outcome.timing = { latencyMs: ctx.latencyMs, ttftMs: ctx.ttftMs, overheadMs: ctx.overheadMs };
    this.outcome = outcome;
  }

  /** The provider's usage without its cost figure, else the gateway's own count, marked `estimated`. */
  private usageOf(reported: Usage | null, generated: () => string): Usage {
    // built field by field: object rest and spread of a usage cost more than the rest of pricing (profile)
    if (reported) return countsOf(reported, false);
    try {
      return countsOf(this.request!.estimate(this.live.body, generated()), true);
    } catch (err) {
      logger.error({ err, callId: this.ctx.callId }, 'estimating the usage failed; the call is billed 0 tokens');
      return countsOf(ZERO_USAGE, true);
    }
  }

  private price(usage: Usage, reported: Usage | null): CostResult {
    try {
      const priced = countsOf(usage, usage.estimated === true);
      if (reported?.providerCostUsd !== undefined) priced.providerCostUsd = reported.providerCostUsd;
      return calculateCost(this.current.model.pricing, priced, this.request!.serviceTier);
    } catch (err) {
      logger.error({ err, callId: this.ctx.callId }, 'pricing the call failed; the call is billed $0');
      return { costUsd: '0', costNanos: 0, unpriced: true };
    }
  }

  /**
   * Settles first, so the billing job (which clears the call's unbilled marker) always runs after the marker
   * exists. Never rejects; the call always leaves the in-flight set a graceful shutdown waits on.
   */
  private async settleAndPublish(a: Admitted, outcome: Outcome): Promise<void> {
    const ctx = this.ctx;
    const hit = this.cached !== null;
    if (this.stateful && !hit) {
      // in the same pipelined write as the settle: the call leaves the target's in-flight count, its time to first
      // byte goes into the target's average, its tokens into the provider quota
      const firstByte = ctx.firstTokenTime ?? performance.now();
      this.endAttempt(
        outcome.status === 200 && this.resolution?.routing ? Math.max(0, firstByte - this.attemptStartedAt) : null,
        outcome.usage.promptTokens + outcome.usage.completionTokens,
      );
    }
    try {
      // a hit reserved nothing and costs nothing: there is nothing to settle
      let spendSettled = hit;
      if (!hit)
        try {
          spendSettled = await a.admission.settle({
            totalTokens: outcome.usage.promptTokens + outcome.usage.completionTokens,
            costNanos: outcome.cost.costNanos,
          });
        } catch (err) {
          // the reservation expires after BUDGET_RESERVATION_TTL; billing records the call and adds its cost
          logger.warn({ err, callId: ctx.callId }, 'settling the reservation failed');
        }
      // fields set on the one event object: spreading a 30-field event cost more than building it (profile)
      const event = this.baseEvent(outcome);
      event.period = { periods: a.admission.periods, admittedAt: a.admission.admittedAt };
      event.spendSettled = spendSettled;
      event.admitted = true;
      const provider = this.current.provider;
      event.provider = { id: provider.id, name: provider.name, type: provider.type };
      if (this.resolution?.routing && !hit) {
        event.attempts = [
          ...this.attemptsFailed,
          {
            model: this.current.model.name,
            providerId: provider.id,
            providerName: provider.name,
            status: outcome.status,
            errorCode: outcome.errorCode,
            latencyMs: this.lastAttemptMs,
          },
        ];
        event.fellBack = this.firstPriority !== null && this.currentPriority !== this.firstPriority;
      }
      this.publish(event);
    } finally {
      this.services.lifecycle.callEnded(ctx.callId);
    }
  }

  private refusalEvent(outcome: Outcome): CallCompletedEvent {
    const event = this.baseEvent(outcome);
    // a call refused after parsing keeps the client's body (set by baseEvent); before it, what refusedBefore kept
    if (!this.request) event.requestBody = this.refusedBody;
    return event;
  }

  /** The client's body for the audit record: the text it was parsed from when the request kept it. */
  private clientBody(request: CallRequest): unknown {
    const raw = this.ctx.request.rawBody;
    return Buffer.isBuffer(raw) && request.clientBody === this.ctx.request.body ? JsonText.of(raw) : request.clientBody;
  }

  /** The event of a call not (yet) admitted; the admitted call's fields are set on it by settleAndPublish. */
  private baseEvent(outcome: Outcome): CallCompletedEvent {
    const { ctx, request, resolution } = this;
    const key = ctx.key;
    const event: CallCompletedEvent = {
      callId: ctx.callId,
      clientRequestId: ctx.clientRequestId,
      startedAt: ctx.startedAt,
      endpoint: ctx.endpoint,
      admitted: false,
      apiKey: key ? { id: key.id, name: key.name, teamId: key.team?.id ?? null } : null,
      endUser: endUserOf(request?.clientBody),
      requestedModel: request?.model ?? this.presentedModel,
      alias: resolution?.alias?.name ?? null,
      model: this.target
        ? { id: this.target.model.id, name: this.target.model.name }
        : resolution
          ? { id: resolution.model.id, name: resolution.model.name }
          : null,
      provider: null,
      status: outcome.status,
      errorCode: outcome.errorCode,
      stream: request?.stream ?? false,
      usage: outcome.usage,
      costUsd: outcome.cost.costUsd,
      costNanos: outcome.cost.costNanos,
      unpriced: outcome.cost.unpriced,
      latencyMs: outcome.timing.latencyMs,
      ttftMs: outcome.timing.ttftMs,
      overheadMs: outcome.timing.overheadMs,
      requestBody: request ? this.clientBody(request) : null,
      responseBody: outcome.responseBody,
      clientIp: ctx.clientIp,
      userAgent: ctx.userAgent,
    };
    if (request?.droppedTools?.length) event.droppedTools = request.droppedTools;
    if (request?.sessionId) event.sessionId = request.sessionId;
    if (this.trace) event.trace = this.trace.ids;
    if (ctx.cacheOutcome) event.cache = ctx.cacheOutcome;
    if (outcome.savedUsd !== undefined) event.savedUsd = outcome.savedUsd;
    return event;
  }

  private publish(event: CallCompletedEvent): void {
    this.trace?.ended(event, this.target?.model.upstreamModel ?? null, this.finishedAt);
    try {
      this.services.events.publish(event);
    } catch (err) {
      logger.error({ err, callId: this.ctx.callId }, 'publishing the call failed');
    }
  }
}
