import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { renderError } from '#src/core/http/exception.filter';
import { CallAbortedError } from '#src/modules/providers/upstream-http';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import type { CallContext } from '#src/modules/proxy/call-context';
import type { CallRequest, ProxyCall } from '#src/modules/proxy/proxy-call';
import type { Surface } from '#src/modules/proxy/proxy-calls.service';
import { requireObjectBody, validateChat } from '#src/modules/proxy/request-body';
import { StreamRelay } from '#src/modules/proxy/stream-relay';
import { completionText, estimateChatUsage } from '#src/modules/proxy/usage-estimate';

interface ChatRequest extends CallRequest {
  /** The client asked for the final usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
}

/** `POST /v1/chat/completions`, JSON and SSE (SPEC §3). */
@Injectable()
export class ChatSurface implements Surface<ChatRequest> {
  readonly endpoint = 'chat';

  parse(req: ProxyRequest): ChatRequest {
    const body = requireObjectBody(req.body, req.headers['content-type']);
    const fields = validateChat(body);
    return {
      model: fields.model,
      clientBody: body,
      body,
      stream: fields.stream,
      maxOutputTokens: fields.maxOutputTokens,
      serviceTier: fields.serviceTier,
      includeUsage: fields.includeUsage,
      estimate: estimateChatUsage,
    };
  }

  answer(call: ProxyCall, request: ChatRequest, reply: FastifyReply): Promise<void> {
    return request.stream ? this.stream(call, reply, request.includeUsage) : this.json(call, reply);
  }

  private async json(call: ProxyCall, reply: FastifyReply): Promise<void> {
    call.ctx.upstreamStarted();
    const result = await call.provider.adapter.chat(call.upstream());
    call.ctx.firstToken();
    const cost = call.succeeded({
      usage: result.usage,
      generated: () => completionText(result.body),
      responseBody: result.body,
    });
    // not awaited: the call settles as the answer is written, not after the client read it
    void reply
      .headers({ ...call.headers(), 'x-gateway-cost-usd': cost.costUsd })
      .type('application/json')
      .send(result.raw ?? result.body);
  }

  private async stream(call: ProxyCall, reply: FastifyReply, includeUsage: boolean): Promise<void> {
    const { ctx } = call;
    reply.hijack();
    const res = reply.raw;
    const relay = new StreamRelay(
      res,
      () => call.headers(),
      includeUsage,
      () => ctx.firstToken(),
    );
    ctx.upstreamStarted();
    try {
      const result = await call.provider.adapter.chatStream(call.upstream(), relay);
      relay.done();
      call.succeeded({ usage: result.usage, generated: () => relay.generatedText(), responseBody: relay.assembled() });
    } catch (err) {
      // before the first byte reached the client nothing was generated for it (a provider error, a refused connection)
      call.failed(err, {
        answerStarted: relay.hasStarted,
        generated: () => relay.generatedText(),
        responseBody: relay.assembled(),
      });
      if (!(err instanceof CallAbortedError)) failStream(relay, res, ctx, err);
    } finally {
      ctx.request.log.info(
        { method: 'POST', url: ctx.request.url, status: res.statusCode, ms: ctx.latencyMs, callId: ctx.callId },
        'request completed',
      );
    }
  }
}

/** Before the first byte: a normal JSON error. After it: an error event, and no `[DONE]`. */
function failStream(relay: StreamRelay, res: FastifyReply['raw'], ctx: CallContext, err: unknown): void {
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
