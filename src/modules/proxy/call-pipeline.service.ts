import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';
import { AppException } from '#src/core/errors/app.exception';
import { classifyError } from '#src/core/http/exception.filter';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { calculateCost, type CostResult } from '#src/modules/billing/cost-calculator';
import { type Admission, AdmissionService } from '#src/modules/calls/admission';
import { type BilledUsage, type CallCompletedEvent, ZERO_USAGE } from '#src/modules/calls/call-event';
import { CallEventsService } from '#src/modules/calls/call-events.service';
import { type Resolution, ModelResolver } from '#src/modules/models/model-resolver.service';
import type { JsonObject, UsageCounts } from '#src/modules/providers/provider-adapter';
import { ProviderRegistry, type RegisteredProvider } from '#src/modules/providers/provider-registry.service';
import { CallAbortedError } from '#src/modules/providers/upstream-http';
import type { CallContext } from '#src/modules/proxy/call-context';
import { ProxyException } from '#src/modules/proxy/proxy.exception';
import { withOutputLimit } from '#src/modules/proxy/request-body';

/** A call past resolution and admission, ready to go upstream. */
export interface PreparedCall {
  ctx: CallContext;
  resolution: Resolution;
  provider: RegisteredProvider;
  admission: Admission;
  /** The body to send: alias defaults under the client's values, output limit as admitted. */
  body: JsonObject;
  /** The body as the client sent it (for the audit log). */
  clientBody: JsonObject;
  stream: boolean;
  serviceTier: string | null;
  /** Aborts the upstream call: client disconnect or UPSTREAM_TOTAL_TIMEOUT. */
  signal: AbortSignal;
  abort: (reason: unknown) => void;
}

export interface CallOutcome {
  status: number;
  errorCode: string | null;
  usage: UsageCounts | null;
  /** Used when the provider reported no usage: the gateway counts tokens itself and marks the usage estimated. */
  estimate: () => BilledUsage;
  responseBody: unknown;
}

/**
 * The call pipeline of SPEC §3: resolve (alias → model → provider, from caches) and check the allowlist →
 * admit against the key's limits (one Redis round trip) → [the handler calls the provider] → settle the
 * reservation to the real cost → publish the call-completed event (billing, audit log). Nothing here waits
 * for billing or logging.
 */
@Injectable()
export class CallPipeline {
  private readonly logger = new Logger(CallPipeline.name);
  /** Calls already completed, with their cost: completing twice would settle and publish twice. */
  private readonly completed = new WeakMap<PreparedCall, CostResult>();

  constructor(
    private readonly config: AppConfig,
    private readonly resolver: ModelResolver,
    private readonly providers: ProviderRegistry,
    private readonly admissions: AdmissionService,
    private readonly events: CallEventsService,
    private readonly lifecycle: LifecycleService,
  ) {}

  async prepare(
    ctx: CallContext,
    clientBody: JsonObject,
    fields: { model: string; stream: boolean; maxOutputTokens: number | null; serviceTier: string | null },
  ): Promise<PreparedCall> {
    const key = ctx.key;
    if (!key) throw new Error('prepare() called without an authenticated key');
    const refused = (err: unknown, resolution?: Resolution | null): never => {
      this.publishRefusal(ctx, err, clientBody, {
        requestedModel: fields.model,
        stream: fields.stream,
        resolution: resolution ?? null,
      });
      throw err;
    };

    const resolution = await this.resolver.resolve(fields.model);
    if (!resolution) refused(ProxyException.modelNotFound(fields.model));
    if (key.allowedModels.length > 0 && !key.allowedModels.includes(fields.model))
      refused(ProxyException.modelNotAllowed(fields.model), resolution);
    const provider = await this.providers.get(resolution!.model.providerId);
    if (!provider) refused(ProxyException.modelNotFound(fields.model), resolution);

    const merged = resolution!.alias ? { ...resolution!.alias.config, ...clientBody } : clientBody;
    let admission: Admission;
    try {
      admission = await this.admissions.admit({
        callId: ctx.callId,
        key,
        model: resolution!.model,
        endpoint: ctx.endpoint,
        promptTokenUpperBound: () => provider!.adapter.promptTokenUpperBound(merged),
        requestedOutputTokens: fields.maxOutputTokens,
        serviceTier: fields.serviceTier,
        choices: typeof merged.n === 'number' && Number.isInteger(merged.n) && merged.n > 1 ? merged.n : 1,
      });
    } catch (err) {
      return refused(err, resolution);
    }
    const body = admission.outputLimit !== null ? withOutputLimit(merged, admission.outputLimit) : merged;

    // a graceful shutdown waits until this call's events are published (settleAndPublish)
    this.lifecycle.callStarted(ctx.callId);
    const controller = new AbortController();
    const total = this.config.env.UPSTREAM_TOTAL_TIMEOUT;
    const signal = total > 0 ? AbortSignal.any([controller.signal, AbortSignal.timeout(total)]) : controller.signal;
    return {
      ctx,
      resolution: resolution!,
      provider: provider!,
      admission,
      body,
      clientBody,
      stream: fields.stream,
      serviceTier: fields.serviceTier,
      signal,
      abort: (reason) => controller.abort(reason),
    };
  }

  /**
   * Prices the call and returns the cost at once (for `x-gateway-cost-usd`); settling the reservation and
   * publishing the call-completed event happen after, off the response's path. Never throws, and runs once
   * per call (a second call returns the first cost): whatever fails in pricing, the call is still settled,
   * published and released from the in-flight set that a graceful shutdown waits on.
   */
  complete(call: PreparedCall, outcome: CallOutcome): CostResult {
    const done = this.completed.get(call);
    if (done) return done;
    const log = { callId: call.ctx.callId, model: call.resolution.model.name, provider: call.provider.name };
    let usage: BilledUsage;
    try {
      usage = outcome.usage ? { ...stripCost(outcome.usage), estimated: false } : outcome.estimate();
    } catch (err) {
      this.logger.error({ err, ...log }, 'estimating the usage failed; the call is billed 0 tokens');
      usage = { ...ZERO_USAGE, estimated: true };
    }
    let cost: CostResult;
    try {
      cost = calculateCost(
        call.resolution.model.pricing,
        { ...usage, providerCostUsd: outcome.usage?.providerCostUsd },
        call.serviceTier,
      );
    } catch (err) {
      this.logger.error({ err, ...log }, 'pricing the call failed; the call is billed $0');
      cost = { costUsd: '0', costNanos: 0, unpriced: true };
    }
    this.completed.set(call, cost);
    const timing = { latencyMs: call.ctx.latencyMs, ttftMs: call.ctx.ttftMs, overheadMs: call.ctx.overheadMs };
    void this.settleAndPublish(call, outcome, usage, cost, timing);
    return cost;
  }

  /**
   * Settles first, so the billing job (which clears the call's unbilled marker) always runs after the marker
   * exists. Never rejects; the call always leaves the in-flight set.
   */
  private async settleAndPublish(
    call: PreparedCall,
    outcome: CallOutcome,
    usage: BilledUsage,
    cost: CostResult,
    timing: Pick<CallCompletedEvent, 'latencyMs' | 'ttftMs' | 'overheadMs'>,
  ): Promise<void> {
    const { ctx, resolution, provider, admission } = call;
    try {
      let spendSettled = false;
      try {
        spendSettled = await admission.settle({
          totalTokens: usage.promptTokens + usage.completionTokens,
          costNanos: cost.costNanos,
        });
      } catch (err) {
        // the reservation expires after BUDGET_RESERVATION_TTL; billing records the call and adds its cost
        this.logger.warn({ err, callId: ctx.callId }, 'settling the reservation failed');
      }
      this.events.publish({
        callId: ctx.callId,
        clientRequestId: ctx.clientRequestId,
        startedAt: ctx.startedAt,
        ...(admission.month !== null && admission.admittedAt !== null
          ? { period: { month: admission.month, admittedAt: admission.admittedAt } }
          : {}),
        spendSettled,
        endpoint: ctx.endpoint,
        admitted: true,
        apiKey: { id: ctx.key!.id, name: ctx.key!.name },
        requestedModel: resolution.requested,
        alias: resolution.alias?.name ?? null,
        model: { id: resolution.model.id, name: resolution.model.name },
        provider: { id: provider.id, name: provider.name, type: provider.type },
        status: outcome.status,
        errorCode: outcome.errorCode,
        stream: call.stream,
        usage,
        costUsd: cost.costUsd,
        costNanos: cost.costNanos,
        unpriced: cost.unpriced,
        ...timing,
        requestBody: call.clientBody,
        responseBody: outcome.responseBody,
        clientIp: ctx.clientIp,
        userAgent: ctx.userAgent,
      });
    } catch (err) {
      this.logger.error({ err, callId: ctx.callId }, 'publishing the call failed');
    } finally {
      this.lifecycle.callEnded(ctx.callId);
    }
  }

  /** Status and code of a failed provider call, for the usage record and audit log. */
  static failure(err: unknown): { status: number; errorCode: string } {
    const c = classifyError(err);
    return { status: c.status, errorCode: c.code };
  }

  /**
   * The outcome of a failed call (issue 14): a provider failure before its answer began (connection refused,
   * timeout to headers, an error status) reports no usage and used nothing, so it is billed 0 tokens and $0;
   * a client abort, or a failure once the answer began, keeps the estimate of what was sent and generated.
   */
  static failedOutcome(
    err: unknown,
    answerStarted: boolean,
    estimate: () => BilledUsage,
    responseBody: unknown,
  ): CallOutcome {
    const keepEstimate = answerStarted || err instanceof CallAbortedError;
    return {
      ...CallPipeline.failure(err),
      usage: null,
      estimate: keepEstimate ? estimate : () => ZERO_USAGE,
      responseBody,
    };
  }

  /** Records a request refused before admission (unknown model, allowlist, limits, bad body). */
  publishRefusal(
    ctx: CallContext,
    err: unknown,
    requestBody: unknown,
    extra: { requestedModel?: string | null; stream?: boolean; resolution?: Resolution | null } = {},
  ): void {
    const status = err instanceof AppException ? err.status : classifyError(err).status;
    const code = err instanceof AppException ? err.code : classifyError(err).code;
    const r = extra.resolution;
    this.events.publish(
      ctx.refusedEvent(status, code, requestBody, {
        requestedModel: extra.requestedModel ?? null,
        stream: extra.stream ?? false,
        alias: r?.alias?.name ?? null,
        model: r ? { id: r.model.id, name: r.model.name } : null,
      }),
    );
  }
}

function stripCost(u: UsageCounts): Omit<UsageCounts, 'providerCostUsd'> {
  return {
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    reasoningTokens: u.reasoningTokens,
  };
}
