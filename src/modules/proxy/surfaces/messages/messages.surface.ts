import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppException } from '#src/core/errors/app.exception';
import { errorTypeOf } from '#src/modules/providers/adapters/anthropic/anthropic-native';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { JsonObject, NativeAnswer, NativeMessages } from '#src/modules/providers/provider-adapter';
import { CallAbortedError } from '#src/modules/providers/upstream-http';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import type { CallRequest, ProxyCall } from '#src/modules/proxy/proxy-call';
import type { Surface } from '#src/modules/proxy/proxy-calls.service';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';
import { positiveInt, requireModel, requireObjectBody } from '#src/modules/proxy/request-body';
import { failStream, relayChatStream } from '#src/modules/proxy/surfaces/chat-stream';
import { claudeCodeSessionId } from '#src/modules/proxy/surfaces/messages/claude-code-session';
import { chatToMessage } from '#src/modules/proxy/surfaces/messages/messages-response.translator';
import { messagesReplay } from '#src/modules/proxy/surfaces/messages/messages-replay';
import { messagesToChat } from '#src/modules/proxy/surfaces/messages/messages-request.translator';
import { MessagesStreamTranslator } from '#src/modules/proxy/surfaces/messages/messages-stream.translator';
import { TranslatedStreamRelay } from '#src/modules/proxy/surfaces/translated-stream.relay';
import { NativeMessagesRelay } from '#src/modules/proxy/surfaces/messages/native-messages.relay';
import { UpstreamStatusError } from '#src/modules/proxy/routing-plan';
import { completionText, estimateChatUsage } from '#src/modules/proxy/usage-estimate';

/** Anthropic error types → the status the gateway records for a native answer that carried one in a 200 stream. */
const STREAM_ERROR_STATUS: Record<string, number> = {
  overloaded_error: 529,
  rate_limit_error: 429,
  api_error: 500,
  invalid_request_error: 400,
  request_too_large: 413,
};

export interface MessagesRequest extends CallRequest {
  version: string | null;
  betas: string[];
  /** Set at routing: the provider speaks Messages natively (the request passes through). */
  native: NativeMessages | null;
}

/**
 * `POST /v1/messages` (SPEC §12): Anthropic's Messages API, for Claude Code and `@anthropic-ai/sdk`. A provider
 * that speaks it natively (Anthropic) gets the request as it is, `anthropic-version` and `anthropic-beta` with
 * it, and its answer, stream events and errors come back unchanged; every other model gets it translated to chat
 * and back. Gateway-side errors use Anthropic's shape (the exception filter, by path).
 */
@Injectable()
export class MessagesSurface implements Surface<MessagesRequest> {
  readonly endpoint = 'messages';
  private readonly logger = new Logger(MessagesSurface.name);

  parse(req: ProxyRequest): MessagesRequest {
    const body = requireObjectBody(req.body, req.headers['content-type']);
    const model = requireModel(body);
    const maxTokens = positiveInt(body, 'max_tokens');
    if (maxTokens === null)
      throw new ProxyException(ProxyErrorCode.MissingParameter, 'max_tokens: Field required', 'max_tokens');
    if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
      throw new ProxyException(ProxyErrorCode.InvalidType, "'stream' must be a boolean.", 'stream');
    // the chat form prices the prompt for every target; a part only a native target takes refuses only the others
    let translated: { chat: JsonObject; droppedTools: string[] } | null = null;
    let untranslatable: Error | null = null;
    try {
      translated = messagesToChat(body);
    } catch (err) {
      untranslatable = err instanceof Error ? err : new Error(String(err));
    }
    const request: MessagesRequest = {
      model,
      clientBody: body,
      body: translated?.chat ?? estimateBody(body),
      stream: body.stream === true,
      maxOutputTokens: maxTokens,
      serviceTier: null,
      droppedTools: [],
      sessionId: claudeCodeSessionId(req.headers, body),
      version: header(req.headers['anthropic-version']),
      betas: betasOf(req.headers['anthropic-beta']),
      native: null,
      estimate: estimateChatUsage,
      routed: ({ provider, model: target }) => {
        request.native = provider.adapter.messagesFor?.(target.upstreamModel) ?? null;
        if (request.native) return;
        if (untranslatable) throw untranslatable;
        request.droppedTools = translated!.droppedTools;
      },
    };
    return request;
  }

  answer(call: ProxyCall, request: MessagesRequest, reply: FastifyReply): Promise<void> {
    const ids = { id: `msg_${call.ctx.callId.replace(/-/g, '')}` };
    if (request.native) return this.native(call, request, request.native, reply);
    const headers = (): Record<string, string> => ({
      ...call.headers(),
      ...(request.droppedTools?.length ? { 'x-gateway-dropped-tools': request.droppedTools.join(', ') } : {}),
    });
    if (!request.stream) return this.translatedJson(call, request, ids, headers);
    reply.hijack();
    const relay = new TranslatedStreamRelay(
      reply.raw,
      headers,
      () => call.ctx.firstToken(),
      (emit) => new MessagesStreamTranslator(emit, request.clientBody, ids),
      true,
    );
    return relayChatStream(call, relay);
  }

  replay(_request: MessagesRequest, cachedBody: unknown): string[] {
    return messagesReplay(cachedBody);
  }

  private async translatedJson(
    call: ProxyCall,
    request: MessagesRequest,
    ids: { id: string },
    headers: () => Record<string, string>,
  ): Promise<void> {
    call.ctx.upstreamStarted();
    const result = await call.provider.adapter.chat(call.upstream());
    call.ctx.firstToken();
    const message = chatToMessage(result.body, request.clientBody, ids);
    call.succeeded({
      usage: result.usage,
      generated: () => completionText(result.body),
      responseBody: message,
    });
    call.respond(message, { headers: headers() });
  }

  private native(
    call: ProxyCall,
    request: MessagesRequest,
    native: NativeMessages,
    reply: FastifyReply,
  ): Promise<void> {
    const upstream = {
      body: {
        ...request.clientBody,
        model: call.upstreamModel,
        ...(call.outputLimit !== null ? { max_tokens: call.outputLimit } : {}),
      },
      version: request.version,
      betas: request.betas,
      signal: call.signal,
      source: call.bodySource,
    };
    if (request.betas.length > 0)
      this.logger.debug({ betas: request.betas, callId: call.ctx.callId }, 'anthropic-beta forwarded');
    return request.stream ? this.nativeStream(call, native, upstream, reply) : this.nativeJson(call, native, upstream);
  }

  private async nativeJson(
    call: ProxyCall,
    native: NativeMessages,
    upstream: Parameters<NativeMessages['messages']>[0],
  ): Promise<void> {
    call.ctx.upstreamStarted();
    const answer = await native.messages(upstream);
    call.ctx.firstToken();
    const parsed = parseBody(answer.body);
    if (answer.status !== 200) {
      const error = upstreamError(answer, parsed);
      // another target of a routed alias may answer; the last one's error goes to the client unchanged
      const retry = new UpstreamStatusError(answer.status, error.code);
      if (call.retryable(retry)) throw retry;
      call.failed(error, { answerStarted: false, generated: () => '', responseBody: parsed });
      void call.ctx.reply.code(answer.status).headers(call.headers()).type(answer.contentType).send(answer.body);
      return;
    }
    call.succeeded({
      usage: answer.usage,
      generated: () => textOf(parsed),
      responseBody: parsed,
    });
    call.respond(answer.body, { contentType: answer.contentType });
  }

  private async nativeStream(
    call: ProxyCall,
    native: NativeMessages,
    upstream: Parameters<NativeMessages['messages']>[0],
    reply: FastifyReply,
  ): Promise<void> {
    const { ctx } = call;
    reply.hijack();
    const res = reply.raw;
    const relay = new NativeMessagesRelay(
      res,
      () => call.headers(),
      () => ctx.firstToken(),
    );
    const partial = () => ({
      answerStarted: relay.hasStarted,
      generated: () => relay.generatedText(),
      responseBody: relay.assembled(),
    });
    ctx.upstreamStarted();
    let retried = false;
    try {
      const answer = await native.messagesStream(upstream, relay);
      if (answer.status < 200 || answer.status >= 300) {
        // the provider's error as it sent it: Claude Code's recovery reads its text
        const parsed = parseBody(answer.body);
        const error = upstreamError(answer, parsed);
        const retry = new UpstreamStatusError(answer.status, error.code);
        if (!relay.hasStarted && call.retryable(retry)) {
          retried = true;
          throw retry;
        }
        call.failed(error, { ...partial(), responseBody: parsed });
        if (!res.headersSent) {
          res.writeHead(answer.status, { 'content-type': answer.contentType, ...call.headers() });
          res.end(answer.body);
        }
        return;
      }
      relay.end();
      if (answer.streamError) {
        const status = STREAM_ERROR_STATUS[answer.streamError] ?? 500;
        call.failed(new AppException(answer.streamError, status, 'the provider ended the stream with an error'), {
          ...partial(),
          answerStarted: true,
        });
      } else {
        call.succeeded({
          usage: answer.usage,
          generated: () => relay.generatedText(),
          responseBody: relay.assembled(),
        });
        call.keepStreamed(() => relay.answer());
      }
    } catch (err) {
      if (retried || (!relay.hasStarted && call.retryable(err))) {
        retried = true;
        throw err;
      }
      call.failed(err, partial());
      if (!(err instanceof CallAbortedError)) failStream(relay, res, ctx, err);
    } finally {
      if (!retried)
        ctx.request.log.info(
          { method: 'POST', url: ctx.request.url, status: res.statusCode, ms: ctx.latencyMs, callId: ctx.callId },
          'request completed',
        );
    }
  }
}

/** A provider's error answer, for the usage and audit records: its status and Anthropic error type. */
function upstreamError(answer: NativeAnswer, parsed: unknown): AppException {
  const type = errorTypeOf(isObject(parsed) ? parsed : null) ?? 'upstream_error';
  return new AppException(type, answer.status, `the provider answered ${answer.status} (${type})`);
}

function parseBody(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The text and tool inputs of an Anthropic message, for estimating its output when usage is missing. */
function textOf(message: unknown): string {
  if (!isObject(message) || !Array.isArray(message.content)) return '';
  return (message.content as unknown[])
    .map((b) =>
      isObject(b)
        ? typeof b.text === 'string'
          ? b.text
          : b.type === 'tool_use'
            ? JSON.stringify(b.input ?? {})
            : ''
        : '',
    )
    .join('');
}

/**
 * A chat-shaped body to price a request the translator refused (a block only a native target takes): its
 * whole JSON as one user message, which tokenizes at least as long as the text in it.
 */
function estimateBody(body: JsonObject): JsonObject {
  return {
    model: body.model,
    messages: [
      { role: 'user', content: JSON.stringify({ system: body.system, messages: body.messages, tools: body.tools }) },
    ],
  };
}

function header(v: string | string[] | undefined): string | null {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : null;
}

function betasOf(v: string | string[] | undefined): string[] {
  const all = (Array.isArray(v) ? v : v ? [v] : []).flatMap((s) => s.split(','));
  return [...new Set(all.map((s) => s.trim()).filter((s) => s !== ''))];
}
