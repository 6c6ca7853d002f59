import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { JsonObject, NativeResponses } from '#src/modules/providers/provider-adapter';
import { CallAbortedError } from '#src/modules/providers/upstream-http';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import type { CallRequest, ProxyCall } from '#src/modules/proxy/proxy-call';
import type { Surface } from '#src/modules/proxy/proxy-calls.service';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';
import { positiveInt, requireModel, requireObjectBody } from '#src/modules/proxy/request-body';
import { failStream, relayChatStream } from '#src/modules/proxy/surfaces/chat-stream';
import { RawEventRelay, responsesErrorEvent } from '#src/modules/proxy/surfaces/raw-event.relay';
import { ResponseOwners } from '#src/modules/proxy/surfaces/responses/response-owners';
import { responsesReplay } from '#src/modules/proxy/surfaces/responses/responses-replay';
import { chatToResponse } from '#src/modules/proxy/surfaces/responses/responses-response.translator';
import { responsesToChat } from '#src/modules/proxy/surfaces/responses/responses-request.translator';
import { ResponsesStreamTranslator } from '#src/modules/proxy/surfaces/responses/responses-stream.translator';
import { TranslatedStreamRelay } from '#src/modules/proxy/surfaces/translated-stream.relay';
import { completionText, estimateChatUsage } from '#src/modules/proxy/usage-estimate';

/** `x-gateway-strict: true` turns a dropped built-in tool into a 400 naming it. */
const STRICT_HEADER = 'x-gateway-strict';
/** The model capability that sends a Responses request to the provider as it is. */
const RESPONSES_CAPABILITY = 'responses';

interface ResponsesRequest extends CallRequest {
  /** Set at routing when the request passes through to the provider's own Responses API. */
  native: NativeResponses | null;
}

/**
 * `POST /v1/responses` (SPEC §12). Models of `openai`/`azure-openai` providers with the `responses` capability
 * get the request as it is (stored responses, `previous_response_id` and `background` work there, and the
 * response id is remembered with the key that created it); every other model gets it translated to chat and the
 * answer translated back, JSON or typed SSE events, built-in tools it cannot run dropped and named in
 * `x-gateway-dropped-tools`.
 */
@Injectable()
export class ResponsesSurface implements Surface<ResponsesRequest> {
  readonly endpoint = 'responses';

  constructor(private readonly owners: ResponseOwners) {}

  parse(req: ProxyRequest): ResponsesRequest {
    const body = requireObjectBody(req.body, req.headers['content-type']);
    const model = requireModel(body);
    if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
      throw new ProxyException(ProxyErrorCode.InvalidType, "'stream' must be a boolean.", 'stream');
    const maxOutputTokens = positiveInt(body, 'max_output_tokens');
    const strict = req.headers[STRICT_HEADER] === 'true';
    // the chat form prices the prompt for every target; what only a pass-through takes refuses only the others
    let translated: { chat: JsonObject; droppedTools: string[] } | null = null;
    let untranslatable: Error | null = null;
    try {
      translated = responsesToChat(body, { strict });
    } catch (err) {
      untranslatable = err instanceof Error ? err : new Error(String(err));
    }
    const key = req.apiKey!;
    const request: ResponsesRequest = {
      model,
      clientBody: body,
      body: translated?.chat ?? { model, messages: [{ role: 'user', content: JSON.stringify(body.input ?? '') }] },
      stream: body.stream === true,
      maxOutputTokens,
      serviceTier: typeof body.service_tier === 'string' ? body.service_tier : null,
      droppedTools: [],
      native: null,
      estimate: estimateChatUsage,
      routed: async ({ provider, model: target }) => {
        request.native = null;
        const native = provider.adapter.nativeResponses;
        if (native && target.capabilities.includes(RESPONSES_CAPABILITY)) {
          request.native = native;
          const previous = body.previous_response_id;
          // another key's response is not found, as OpenAI answers for another organisation's
          if (typeof previous === 'string' && previous !== '' && !(await this.owners.ownedBy(previous, key.id)))
            throw ProxyException.responseNotFound(previous, 'previous_response_id');
          return;
        }
        if (untranslatable) throw untranslatable;
        request.droppedTools = translated!.droppedTools;
      },
    };
    return request;
  }

  answer(call: ProxyCall, request: ResponsesRequest, reply: FastifyReply): Promise<void> {
    if (request.native) return this.passThrough(call, request, request.native, reply);
    const ids = {
      id: `resp_${call.ctx.callId.replace(/-/g, '')}`,
      createdAt: Math.floor(call.ctx.startedAt.getTime() / 1000),
    };
    const headers = (): Record<string, string> => ({
      ...call.headers(),
      ...(request.droppedTools?.length ? { 'x-gateway-dropped-tools': request.droppedTools.join(', ') } : {}),
    });
    if (!request.stream) return this.json(call, request.clientBody, ids, headers);
    reply.hijack();
    const relay = new TranslatedStreamRelay(
      reply.raw,
      headers,
      () => call.ctx.firstToken(),
      (emit) => new ResponsesStreamTranslator(emit, request.clientBody, ids),
    );
    return relayChatStream(call, relay);
  }

  replay(_request: ResponsesRequest, cachedBody: unknown): string[] {
    return responsesReplay(cachedBody);
  }

  private async json(
    call: ProxyCall,
    clientBody: JsonObject,
    ids: { id: string; createdAt: number },
    headers: () => Record<string, string>,
  ): Promise<void> {
    call.ctx.upstreamStarted();
    const result = await call.provider.adapter.chat(call.upstream());
    call.ctx.firstToken();
    const response = chatToResponse(result.body, clientBody, ids);
    call.succeeded({
      usage: result.usage,
      generated: () => completionText(result.body),
      responseBody: response,
    });
    call.respond(response, { headers: headers(), cacheable: response.status === 'completed' });
  }

  /** The request as the client sent it, with the provider's model id and the budget's output limit. */
  private async passThrough(
    call: ProxyCall,
    request: ResponsesRequest,
    native: NativeResponses,
    reply: FastifyReply,
  ): Promise<void> {
    const body = {
      ...request.clientBody,
      model: call.upstreamModel,
      ...(call.outputLimit !== null ? { max_output_tokens: call.outputLimit } : {}),
    };
    const keyId = call.ctx.key!.id;
    const remember = (id: unknown): void => {
      if (typeof id === 'string' && request.clientBody.store !== false)
        this.owners.remember(id, { keyId, model: request.model });
    };
    call.ctx.upstreamStarted();
    if (!request.stream) {
      const result = await native.create(body, call.signal, call.bodySource);
      call.ctx.firstToken();
      remember(result.body.id);
      call.succeeded({
        usage: result.usage,
        generated: () => JSON.stringify(result.body.output ?? ''),
        responseBody: result.body,
      });
      // a background response is still running: only a completed one is an answer to keep
      call.respond(result.raw, { cacheable: result.body.status === 'completed' });
      return;
    }
    reply.hijack();
    const res = reply.raw;
    const relay = new RawEventRelay(
      res,
      () => call.headers(),
      () => call.ctx.firstToken(),
      responsesErrorEvent,
    );
    const seen = { id: null as string | null, completed: null as string | null };
    const sink = {
      event: (type: string, data: string): void => {
        if (type === 'response.created' && seen.id === null)
          seen.id = /"id"\s*:\s*"(resp_[^"]+)"/.exec(data)?.[1] ?? null;
        // the whole answer, for the response cache (SPEC §14): kept as text, parsed only when the route has one
        if (type === 'response.completed') seen.completed = data;
        relay.event(type, data);
      },
      backpressure: () => relay.backpressure(),
    };
    try {
      const result = await native.stream(body, call.signal, sink, call.bodySource);
      relay.end();
      remember(seen.id);
      if (result.failed)
        call.failed(
          new ProxyException(ProxyErrorCode.UpstreamStreamFailed, 'The provider ended the stream with an error.'),
          {
            answerStarted: true,
            generated: () => '',
            responseBody: null,
          },
        );
      else {
        call.succeeded({ usage: result.usage, generated: () => '', responseBody: null });
        call.keepStreamed(() => completedResponse(seen.completed));
      }
    } catch (err) {
      if (!relay.hasStarted && call.retryable(err)) throw err;
      call.failed(err, { answerStarted: relay.hasStarted, generated: () => '', responseBody: null });
      if (!(err instanceof CallAbortedError)) failStream(relay, res, call.ctx, err);
    }
  }
}

/** The Response of a native stream's `response.completed` event, when it completed. */
function completedResponse(data: string | null): JsonObject | null {
  if (data === null) return null;
  try {
    const event = JSON.parse(data) as JsonObject;
    const response = event.response as JsonObject | undefined;
    return response && typeof response === 'object' && response.status === 'completed' ? response : null;
  } catch {
    return null;
  }
}
