import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '#src/core/config/app-config';
import { renderError } from '#src/core/http/exception.filter';
import { type BilledUsage, ZERO_USAGE } from '#src/modules/calls/call-event';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { CallAbortedError, upstreamAnswered } from '#src/modules/providers/upstream-http';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { CallContext } from '#src/modules/proxy/call-context';
import { CallPipeline, type PreparedCall } from '#src/modules/proxy/call-pipeline.service';
import { encodeEmbeddingsBase64 } from '#src/modules/proxy/embeddings-encoding';
import {
  refusedBodyForAudit,
  requireObjectBody,
  validateChat,
  validateEmbeddings,
} from '#src/modules/proxy/request-body';
import { StreamRelay } from '#src/modules/proxy/stream-relay';
import { completionText, estimateChatUsage, estimateEmbeddingsUsage } from '#src/modules/proxy/usage-estimate';

/** Handles `/v1/chat/completions` (JSON and SSE) and `/v1/embeddings` through the call pipeline. */
@Injectable()
export class CompletionsHandler {
  constructor(
    private readonly pipeline: CallPipeline,
    private readonly config: AppConfig,
  ) {}

  async chat(req: ProxyRequest, reply: FastifyReply): Promise<void> {
    const ctx = new CallContext(req, reply, 'chat');
    let body: JsonObject;
    let fields: ReturnType<typeof validateChat>;
    try {
      body = requireObjectBody(req.body, req.headers['content-type']);
      fields = validateChat(body);
    } catch (err) {
      this.pipeline.publishRefusal(ctx, err, refusedBodyForAudit(err, req.body));
      throw err;
    }
    const call = await this.pipeline.prepare(ctx, body, fields);
    if (!this.abortOnDisconnect(call)) return;
    await this.completeOnThrow(
      call,
      () => (fields.stream ? this.stream(call, reply, fields.includeUsage) : this.json(call, reply)),
      () => estimateChatUsage(call.body, ''),
    );
  }

  async embeddings(req: ProxyRequest, reply: FastifyReply): Promise<void> {
    const ctx = new CallContext(req, reply, 'embeddings');
    let body: JsonObject;
    let fields: ReturnType<typeof validateEmbeddings>;
    try {
      body = requireObjectBody(req.body, req.headers['content-type']);
      fields = validateEmbeddings(body);
    } catch (err) {
      this.pipeline.publishRefusal(ctx, err, refusedBodyForAudit(err, req.body));
      throw err;
    }
    const call = await this.pipeline.prepare(ctx, body, {
      model: fields.model,
      stream: false,
      maxOutputTokens: null,
      serviceTier: null,
    });
    if (!this.abortOnDisconnect(call)) return;
    await this.completeOnThrow(
      call,
      () => this.embed(call, reply, fields.base64),
      () => estimateEmbeddingsUsage(call.body),
    );
  }

  private async embed(call: PreparedCall, reply: FastifyReply, base64: boolean): Promise<void> {
    const { ctx } = call;
    ctx.upstreamStarted();
    let result;
    try {
      result = await call.provider.adapter.embeddings({
        upstreamModel: call.resolution.model.upstreamModel,
        body: call.body,
        signal: call.signal,
      });
    } catch (err) {
      this.pipeline.complete(
        call,
        CallPipeline.failedOutcome(err, upstreamAnswered(call.signal), () => estimateEmbeddingsUsage(call.body), null),
      );
      throw err;
    }
    ctx.firstToken();
    const responseBody = base64 ? encodeEmbeddingsBase64(result.body) : result.body;
    const cost = this.pipeline.complete(call, {
      status: 200,
      errorCode: null,
      usage: result.usage,
      estimate: () => estimateEmbeddingsUsage(call.body),
      responseBody: null,
    });
    await reply
      .headers({ ...ctx.baseHeaders(), ...call.admission.headers, 'x-gateway-cost-usd': cost.costUsd })
      .type('application/json')
      .send(responseBody);
  }

  private async json(call: PreparedCall, reply: FastifyReply): Promise<void> {
    const { ctx } = call;
    ctx.upstreamStarted();
    let result;
    const stopRefresh = this.keepReservation(call);
    try {
      result = await call.provider.adapter.chat({
        upstreamModel: call.resolution.model.upstreamModel,
        body: call.body,
        signal: call.signal,
      });
    } catch (err) {
      stopRefresh();
      this.pipeline.complete(
        call,
        CallPipeline.failedOutcome(err, upstreamAnswered(call.signal), () => estimateChatUsage(call.body, ''), null),
      );
      throw err;
    }
    stopRefresh();
    ctx.firstToken();
    const cost = this.pipeline.complete(call, {
      status: 200,
      errorCode: null,
      usage: result.usage,
      estimate: () => estimateChatUsage(call.body, completionText(result.body)),
      responseBody: result.body,
    });
    await reply
      .headers({ ...ctx.baseHeaders(), ...this.limitHeaders(call), 'x-gateway-cost-usd': cost.costUsd })
      .type('application/json')
      .send(result.raw ?? result.body);
  }

  private async stream(call: PreparedCall, reply: FastifyReply, includeUsage: boolean): Promise<void> {
    const { ctx } = call;
    reply.hijack();
    const res = reply.raw;
    const relay = new StreamRelay(
      res,
      () => ({ ...ctx.baseHeaders(), ...this.limitHeaders(call) }),
      includeUsage,
      () => ctx.firstToken(),
    );
    const stopRefresh = this.keepReservation(call);
    ctx.upstreamStarted();
    try {
      const result = await call.provider.adapter.chatStream(
        { upstreamModel: call.resolution.model.upstreamModel, body: call.body, signal: call.signal },
        relay,
      );
      relay.done();
      this.pipeline.complete(call, {
        status: 200,
        errorCode: null,
        usage: result.usage,
        estimate: () => estimateChatUsage(call.body, relay.generatedText()),
        responseBody: relay.assembled(),
      });
    } catch (err) {
      // before the first byte reached the client nothing was generated for it (a provider error, a refused connection)
      this.pipeline.complete(
        call,
        CallPipeline.failedOutcome(
          err,
          relay.hasStarted,
          () => estimateChatUsage(call.body, relay.generatedText()),
          relay.assembled(),
        ),
      );
      if (!(err instanceof CallAbortedError)) this.failStream(relay, res, ctx, err);
    } finally {
      stopRefresh();
      ctx.request.log.info(
        { method: 'POST', url: ctx.request.url, status: res.statusCode, ms: ctx.latencyMs, callId: ctx.callId },
        'request completed',
      );
    }
  }

  /**
   * Runs the rest of an admitted call; whatever it throws that was not an upstream failure already completed
   * (a gateway bug, a body it cannot encode), the call is still completed: settled, billed, audited and
   * released from the in-flight set. `complete` runs once per call, so a completed call is left as it is.
   */
  private async completeOnThrow(
    call: PreparedCall,
    work: () => Promise<void>,
    estimate: () => BilledUsage,
  ): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.pipeline.complete(call, CallPipeline.failedOutcome(err, upstreamAnswered(call.signal), estimate, null));
      throw err;
    }
  }

  /**
   * Keeps the call's budget reservation alive while the provider works (streamed or not), so a call that
   * outlives BUDGET_RESERVATION_TTL on a live pod never loses its reservation; only a dead pod's lapse.
   */
  private keepReservation(call: PreparedCall): () => void {
    const timer = setInterval(
      () => void call.admission.refresh().catch(() => undefined),
      Math.max(1000, this.config.budgetReservationTtlMs / 3),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Before the first byte: a normal JSON error. After it: an error event, and no `[DONE]`. */
  private failStream(relay: StreamRelay, res: FastifyReply['raw'], ctx: CallContext, err: unknown): void {
    const rendered = renderError(err, ctx.request.url);
    const error = (rendered.body as { error: { message: string; type: string; code: string } }).error;
    if (relay.hasStarted) {
      relay.fail(error);
      return;
    }
    if (res.headersSent || res.writableEnded) return;
    res.writeHead(rendered.status, {
      'content-type': 'application/json; charset=utf-8',
      ...ctx.baseHeaders(),
      ...rendered.headers,
    });
    res.end(JSON.stringify(rendered.body));
  }

  private limitHeaders(call: PreparedCall): Record<string, string> {
    const lowered = call.admission.loweredOutputLimit;
    return lowered === null
      ? call.admission.headers
      : { ...call.admission.headers, 'x-gateway-max-tokens': String(lowered) };
  }

  /**
   * The client leaving (connection closed before the answer finished) aborts the upstream request. A client
   * that left while the call was admitted gets no upstream call: it completes as 499, billed 0 (issue 14).
   * Returns false in that case.
   */
  private abortOnDisconnect(call: PreparedCall): boolean {
    if (call.ctx.clientLeft) {
      this.pipeline.complete(call, {
        ...CallPipeline.failure(new CallAbortedError()),
        usage: null,
        estimate: () => ZERO_USAGE,
        responseBody: null,
      });
      return false;
    }
    call.ctx.whenClientLeaves(() => call.abort(new CallAbortedError()));
    return true;
  }
}
