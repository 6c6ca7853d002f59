import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { JsonText } from '#src/modules/calls/json-text';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import type { CallRequest, ProxyCall } from '#src/modules/proxy/proxy-call';
import type { Surface } from '#src/modules/proxy/proxy-calls.service';
import { requireObjectBody, validateChat } from '#src/modules/proxy/request-body';
import { StreamRelay } from '#src/modules/proxy/stream-relay';
import { chatReplay } from '#src/modules/proxy/surfaces/chat-replay';
import { relayChatStream } from '#src/modules/proxy/surfaces/chat-stream';
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
    return request.stream ? this.stream(call, reply, request.includeUsage) : this.json(call);
  }

  replay(request: ChatRequest, cachedBody: unknown): string[] {
    return chatReplay(cachedBody, request.includeUsage);
  }

  private async json(call: ProxyCall): Promise<void> {
    call.ctx.upstreamStarted();
    const result = await call.provider.adapter.chat(call.upstream());
    call.ctx.firstToken();
    call.succeeded({
      usage: result.usage,
      generated: () => completionText(result.body),
      // what the client gets: the provider's bytes when they are passed through
      responseBody: result.raw ? JsonText.of(result.raw) : result.body,
    });
    // not awaited: the call settles as the answer is written, not after the client read it
    call.respond(result.raw ?? result.body);
  }

  private stream(call: ProxyCall, reply: FastifyReply, includeUsage: boolean): Promise<void> {
    reply.hijack();
    const relay = new StreamRelay(
      reply.raw,
      () => call.headers(),
      includeUsage,
      () => call.ctx.firstToken(),
    );
    return relayChatStream(call, relay);
  }
}
