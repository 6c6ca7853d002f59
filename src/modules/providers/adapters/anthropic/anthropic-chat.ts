import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import {
  anthropicHttpError,
  anthropicStreamError,
  NotTranslatableError,
  refusedRequest,
} from '#src/modules/providers/adapters/anthropic/anthropic-error.mapper';
import type { MessagesHost } from '#src/modules/providers/adapters/anthropic/anthropic-native';
import {
  type AnthropicRequest,
  toAnthropicRequest,
} from '#src/modules/providers/adapters/anthropic/anthropic-request.mapper';
import { toChatCompletion } from '#src/modules/providers/adapters/anthropic/anthropic-response.mapper';
import { AnthropicStreamMapper } from '#src/modules/providers/adapters/anthropic/anthropic-stream.mapper';
import type {
  ChatResult,
  ChunkSink,
  JsonObject,
  StreamResult,
  UpstreamCall,
} from '#src/modules/providers/provider-adapter';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import type { UpstreamHttp, UpstreamResponse } from '#src/modules/providers/upstream-http';

/** No client headers reach the host on a translated call: the adapter's own version, no beta flags. */
const TRANSLATED = { version: null, betas: [] };

/**
 * OpenAI's Chat Completions over a host of Anthropic's Messages API (Anthropic itself, Claude on Vertex AI):
 * requests, answers and streams are translated both ways (adapters/anthropic/), errors mapped per SPEC §3.
 */
export class AnthropicChat {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly host: MessagesHost,
    private readonly provider: string,
    private readonly defaultMaxTokens: number,
  ) {}

  async chat(call: UpstreamCall): Promise<ChatResult> {
    const request = this.translate(call);
    const res = await this.http.post(
      this.host.path('messages', call.upstreamModel),
      await this.host.headers({ ...TRANSLATED, body: request.body, signal: call.signal }, call.signal),
      JSON.stringify(this.host.body('messages', request.body)),
      call.signal,
    );
    if (res.status !== 200) throw this.failure(res);
    return toChatCompletion(this.parseJson(res.body), request.jsonObjectTool);
  }

  async chatStream(call: UpstreamCall, sink: ChunkSink): Promise<StreamResult> {
    const request = this.translate(call);
    const fail = (error: unknown): Error => anthropicStreamError(error, this.provider);
    const translator = new AnthropicStreamMapper(sink, request.jsonObjectTool, fail);
    const decoder = new StringDecoder('utf8');
    const parser = createParser({ onEvent: (event) => translator.handle(this.parseEvent(event.data)) });
    const res = await this.http.postStreaming(
      this.host.path('stream', call.upstreamModel),
      await this.host.headers({ ...TRANSLATED, body: request.body, signal: call.signal }, call.signal),
      JSON.stringify(this.host.body('stream', request.body)),
      call.signal,
      (buf) => {
        parser.feed(decoder.write(buf));
        return sink.backpressure?.(); // a slow client holds the provider's stream back
      },
    );
    if (res.status < 200 || res.status >= 300) throw this.failure(res);
    parser.feed(decoder.end());
    return translator.finish();
  }

  private failure(res: UpstreamResponse): Error {
    return this.host.failure(res) ?? anthropicHttpError(res, this.provider);
  }

  private translate(call: UpstreamCall): AnthropicRequest {
    try {
      return toAnthropicRequest(call.body, call.upstreamModel, this.defaultMaxTokens);
    } catch (err) {
      if (err instanceof NotTranslatableError) throw refusedRequest(err, this.provider);
      throw err;
    }
  }

  private parseJson(buf: Buffer): JsonObject {
    return this.parseEvent(buf.toString('utf8'));
  }

  private parseEvent(data: string): JsonObject {
    try {
      const parsed: unknown = JSON.parse(data);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonObject;
    } catch {
      // fall through
    }
    throw new UpstreamException(UpstreamErrorCode.ServerError, this.provider, {
      cause: new Error('unparseable Anthropic response'),
    });
  }
}
