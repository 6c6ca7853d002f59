import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import type { CallRequest, ProxyCall } from '#src/modules/proxy/proxy-call';
import type { Surface } from '#src/modules/proxy/proxy-calls.service';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';
import { positiveInt, requireModel, requireObjectBody } from '#src/modules/proxy/request-body';
import { relayChatStream } from '#src/modules/proxy/surfaces/chat-stream';
import { chatToResponse } from '#src/modules/proxy/surfaces/responses/responses-response.translator';
import { responsesToChat } from '#src/modules/proxy/surfaces/responses/responses-request.translator';
import { ResponsesStreamRelay } from '#src/modules/proxy/surfaces/responses/responses-stream.relay';
import { completionText, estimateChatUsage } from '#src/modules/proxy/usage-estimate';

/** `x-gateway-strict: true` turns a dropped built-in tool into a 400 naming it. */
const STRICT_HEADER = 'x-gateway-strict';

/**
 * `POST /v1/responses` (SPEC §12): the Responses request translated to chat for the model's adapter, and the
 * chat answer translated back, JSON or typed SSE events. Built-in tools the target cannot run are dropped and
 * named in `x-gateway-dropped-tools`.
 */
@Injectable()
export class ResponsesSurface implements Surface {
  readonly endpoint = 'responses';

  parse(req: ProxyRequest): CallRequest {
    const body = requireObjectBody(req.body, req.headers['content-type']);
    const model = requireModel(body);
    if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
      throw new ProxyException(ProxyErrorCode.InvalidType, "'stream' must be a boolean.", 'stream');
    const maxOutputTokens = positiveInt(body, 'max_output_tokens');
    const { chat, droppedTools } = responsesToChat(body, { strict: req.headers[STRICT_HEADER] === 'true' });
    return {
      model,
      clientBody: body,
      body: chat,
      stream: body.stream === true,
      maxOutputTokens,
      serviceTier: typeof body.service_tier === 'string' ? body.service_tier : null,
      droppedTools,
      estimate: estimateChatUsage,
    };
  }

  answer(call: ProxyCall, request: CallRequest, reply: FastifyReply): Promise<void> {
    const ids = {
      id: `resp_${call.ctx.callId.replace(/-/g, '')}`,
      createdAt: Math.floor(call.ctx.startedAt.getTime() / 1000),
    };
    const headers = (): Record<string, string> => ({
      ...call.headers(),
      ...(request.droppedTools?.length ? { 'x-gateway-dropped-tools': request.droppedTools.join(', ') } : {}),
    });
    if (!request.stream) return this.json(call, request.clientBody, reply, ids, headers);
    reply.hijack();
    const relay = new ResponsesStreamRelay(reply.raw, headers, () => call.ctx.firstToken(), request.clientBody, ids);
    return relayChatStream(call, relay);
  }

  private async json(
    call: ProxyCall,
    clientBody: JsonObject,
    reply: FastifyReply,
    ids: { id: string; createdAt: number },
    headers: () => Record<string, string>,
  ): Promise<void> {
    call.ctx.upstreamStarted();
    const result = await call.provider.adapter.chat(call.upstream());
    call.ctx.firstToken();
    const response = chatToResponse(result.body, clientBody, ids);
    const cost = call.succeeded({
      usage: result.usage,
      generated: () => completionText(result.body),
      responseBody: response,
    });
    void reply
      .headers({ ...headers(), 'x-gateway-cost-usd': cost.costUsd })
      .type('application/json')
      .send(response);
  }
}
