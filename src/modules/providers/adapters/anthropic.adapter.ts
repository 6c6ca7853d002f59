import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import {
  anthropicHttpError,
  anthropicStreamError,
  NotTranslatableError,
  refusedRequest,
} from '#src/modules/providers/adapters/anthropic/anthropic-error.mapper';
import {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  type AnthropicRequest,
  toAnthropicRequest,
} from '#src/modules/providers/adapters/anthropic/anthropic-request.mapper';
import { AnthropicNativeMessages } from '#src/modules/providers/adapters/anthropic/anthropic-native';
import { toChatCompletion } from '#src/modules/providers/adapters/anthropic/anthropic-response.mapper';
import {
  type AnthropicPromptBound,
  readAnthropicSettings,
} from '#src/modules/providers/adapters/anthropic/anthropic-settings';
import { AnthropicStreamMapper } from '#src/modules/providers/adapters/anthropic/anthropic-stream.mapper';
import type {
  ChatResult,
  ChunkSink,
  EmbeddingsResult,
  JsonObject,
  NativeMessages,
  ProviderAdapter,
  ProviderSettings,
  StreamResult,
  UpstreamCall,
  UpstreamTimeouts,
} from '#src/modules/providers/provider-adapter';
import type { ProviderType } from '#src/modules/providers/provider.entity';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { chatPromptUpperBound } from '#src/modules/providers/token-estimator';
import { UpstreamHttp } from '#src/modules/providers/upstream-http';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The Messages API version whose wire format this adapter translates. */
export const ANTHROPIC_VERSION = '2023-06-01';
const MESSAGES_PATH = '/v1/messages';

/**
 * Anthropic's Messages API behind OpenAI's Chat Completions: requests, answers and streams are translated
 * both ways (adapters/anthropic/), errors mapped per SPEC §3. Anthropic has no embeddings API.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'anthropic';
  readonly name: string;
  private readonly http: UpstreamHttp;
  private readonly apiKey: string | undefined;
  private readonly defaultMaxTokens: number;
  private readonly bound: AnthropicPromptBound;
  readonly nativeMessages: NativeMessages;

  constructor(settings: ProviderSettings, timeouts: UpstreamTimeouts) {
    this.name = settings.name;
    this.apiKey = settings.credentials.api_key;
    const config = readAnthropicSettings(settings.config, ANTHROPIC_DEFAULT_MAX_TOKENS);
    this.defaultMaxTokens = config.defaultMaxTokens;
    this.bound = config.bound;
    this.http = new UpstreamHttp(baseUrlOf(settings.baseUrl), settings.name, timeouts);
    this.nativeMessages = new AnthropicNativeMessages(this.http, (version, betas) => ({
      ...this.headers(),
      'anthropic-version': version ?? ANTHROPIC_VERSION,
      ...(betas.length > 0 ? { 'anthropic-beta': betas.join(',') } : {}),
    }));
  }

  async chat(call: UpstreamCall): Promise<ChatResult> {
    const request = this.translate(call);
    const res = await this.http.post(MESSAGES_PATH, this.headers(), JSON.stringify(request.body), call.signal);
    if (res.status !== 200) throw anthropicHttpError(res, this.name);
    return toChatCompletion(this.parseJson(res.body), request.jsonObjectTool);
  }

  async chatStream(call: UpstreamCall, sink: ChunkSink): Promise<StreamResult> {
    const request = this.translate(call);
    const fail = (error: unknown): Error => anthropicStreamError(error, this.name);
    const translator = new AnthropicStreamMapper(sink, request.jsonObjectTool, fail);
    const decoder = new StringDecoder('utf8');
    const parser = createParser({ onEvent: (event) => translator.handle(this.parseEvent(event.data)) });
    const res = await this.http.postStreaming(
      MESSAGES_PATH,
      this.headers(),
      JSON.stringify({ ...request.body, stream: true }),
      call.signal,
      (buf) => {
        parser.feed(decoder.write(buf));
        return sink.backpressure?.(); // a slow client holds the provider's stream back
      },
    );
    if (res.status < 200 || res.status >= 300) throw anthropicHttpError(res, this.name);
    parser.feed(decoder.end());
    return translator.finish();
  }

  embeddings(_call: UpstreamCall): Promise<EmbeddingsResult> {
    return Promise.reject(
      new UpstreamException(UpstreamErrorCode.BadRequest, this.name, {
        status: 400,
        providerCode: 'unsupported_endpoint',
        message: `Provider '${this.name}' is Anthropic, which has no embeddings API; use an embeddings model of another provider.`,
      }),
    );
  }

  /**
   * o200k text tokens × a factor covering Claude's tokenizers, plus per-message and per-image bounds, plus
   * the system prompt Anthropic adds when tools are present (docs/providers/anthropic.md explains the numbers).
   */
  promptTokenUpperBound(body: JsonObject): number {
    const base = chatPromptUpperBound(body, this.bound);
    const usesTools =
      (Array.isArray(body.tools) && body.tools.length > 0) ||
      (body.response_format as JsonObject | undefined)?.type === 'json_object';
    return base + (usesTools ? this.bound.toolSystemPrompt : 0);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private translate(call: UpstreamCall): AnthropicRequest {
    try {
      return toAnthropicRequest(call.body, call.upstreamModel, this.defaultMaxTokens);
    } catch (err) {
      if (err instanceof NotTranslatableError) throw refusedRequest(err, this.name);
      throw err;
    }
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
    };
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    return headers;
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
    throw new UpstreamException(UpstreamErrorCode.ServerError, this.name, {
      cause: new Error('unparseable Anthropic response'),
    });
  }
}

/** The API root: Anthropic's SDKs take it without `/v1`, so a pasted `.../v1` or `.../v1/messages` is trimmed. */
function baseUrlOf(configured: string | null): string {
  const url = (configured ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '');
  return url.replace(/\/v1(\/messages)?$/, '');
}
