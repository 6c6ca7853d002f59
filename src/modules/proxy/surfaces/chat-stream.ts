import type { ServerResponse } from 'node:http';
import { renderError } from '#src/core/http/exception.filter';
import type { Usage } from '#src/modules/calls/usage';
import type { ChunkSink, JsonObject } from '#src/modules/providers/provider-adapter';
import { CallAbortedError } from '#src/modules/providers/upstream-http';
import type { CallContext } from '#src/modules/proxy/call-context';
import type { ProxyCall } from '#src/modules/proxy/proxy-call';

/** A provider's chat stream relayed to the client in some surface's event format (chat chunks, Responses events). */
export interface ChatStreamRelay extends ChunkSink {
  readonly hasStarted: boolean;
  /** Ends a complete stream (`[DONE]`, `response.completed`), with the usage the provider reported. */
  done(usage: Usage | null): void;
  /** Ends a stream that already started with the surface's error event. */
  fail(error: { message: string; type: string; code?: string }): void;
  /** Everything generated so far as text, for estimating the usage. */
  generatedText(): string;
  /** The answer so far, for the audit record. */
  assembled(): unknown;
  /** A complete stream's answer as the surface's non-streamed JSON, for the response cache; null when it has none. */
  answer(): JsonObject | null;
}

/**
 * Streams the call's chat answer from the provider through `relay`, recording the outcome: complete, or failed
 * with how far it got. A failure is answered as `failStream` says, a client that left is not answered.
 */
export async function relayChatStream(call: ProxyCall, relay: ChatStreamRelay): Promise<void> {
  const { ctx } = call;
  const res = ctx.reply.raw;
  ctx.upstreamStarted();
  let retried = false;
  try {
    const result = await call.provider.adapter.chatStream(call.upstream(), relay);
    relay.done(result.usage);
    call.succeeded({ usage: result.usage, generated: () => relay.generatedText(), responseBody: relay.assembled() });
    call.keepStreamed(() => relay.answer());
  } catch (err) {
    // nothing reached the client yet and the alias routes elsewhere: the next target answers (SPEC §11)
    if (!relay.hasStarted && call.retryable(err)) {
      retried = true;
      throw err;
    }
    // before the first byte reached the client nothing was generated for it (a provider error, a refused connection)
    call.failed(err, {
      answerStarted: relay.hasStarted,
      generated: () => relay.generatedText(),
      responseBody: relay.assembled(),
    });
    if (!(err instanceof CallAbortedError)) failStream(relay, res, ctx, err);
  } finally {
    if (!retried)
      ctx.request.log.info(
        { method: 'POST', url: ctx.request.url, status: res.statusCode, ms: ctx.latencyMs, callId: ctx.callId },
        'request completed',
      );
  }
}

/**
 * Answers a failed stream: before its first byte a normal JSON error (status, headers and body as the
 * exception filter renders them), after it the surface's error event.
 */
export function failStream(
  stream: Pick<ChatStreamRelay, 'hasStarted' | 'fail'>,
  res: ServerResponse,
  ctx: CallContext,
  err: unknown,
): void {
  const rendered = renderError(err, ctx.request.url);
  const error = (rendered.body as { error: { message: string; type: string; code: string } }).error;
  if (stream.hasStarted) {
    stream.fail(error);
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
