import type { Usage } from '#src/modules/calls/usage';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import type {
  ChatResult,
  ChunkSink,
  EmbeddingsResult,
  JsonObject,
  NativeResponses,
  ProviderAdapter,
  ProviderSettings,
  StreamResult,
  UpstreamCall,
  UpstreamTimeouts,
} from '#src/modules/providers/provider-adapter';
import { OpenAiResponses } from '#src/modules/providers/adapters/openai-responses';
import type { ProviderType } from '#src/modules/providers/provider.entity';
import { retryAfterSeconds, UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { chatPromptUpperBound, measureEmbeddingsInput } from '#src/modules/providers/token-estimator';
import { UpstreamHttp, type UpstreamResponse } from '#src/modules/providers/upstream-http';
import { encodeBody } from '#src/modules/calls/raw-json-object';
import { applyCompat, compatOf, type OpenAiCompat } from '#src/modules/providers/adapters/openai-compat';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * Upper bound for the budget: o200k_base is the tokenizer of GPT-4o, GPT-4.1, the o-series and GPT-5, so
 * text is counted exactly for them; the 10% margin covers cl100k-era models and OpenAI-compatible servers
 * with similar tokenizers. An image is at most 1,105 tokens at high detail on GPT-4o-class models (a
 * 2048×768 tiling); low-detail and smaller images cost less.
 */
const OPENAI_BOUND = { textFactor: 1.1, perImage: 1105 };

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** OpenAI `usage` → Usage (also what OpenAI-compatible servers send). */
export function usageFromOpenAi(u: unknown): Usage | null {
  if (!u || typeof u !== 'object') return null;
  const usage = u as JsonObject;
  const prompt = (usage.prompt_tokens_details ?? {}) as JsonObject;
  const completion = (usage.completion_tokens_details ?? {}) as JsonObject;
  const cost = usage.cost;
  return {
    promptTokens: num(usage.prompt_tokens ?? usage.input_tokens),
    completionTokens: num(usage.completion_tokens ?? usage.output_tokens),
    cacheReadTokens: num(prompt.cached_tokens),
    cacheWriteTokens: num(prompt.cache_write_tokens ?? prompt.cache_creation_tokens),
    reasoningTokens: num(completion.reasoning_tokens),
    providerCostUsd: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? String(cost) : undefined,
  };
}

/**
 * OpenAI and any OpenAI-compatible server (vLLM, Ollama, Groq, ...): the request passes through untouched
 * except `model` (the provider's id) and, for streams, `stream_options.include_usage` so the gateway always
 * learns the usage. Answers pass through byte for byte.
 */
export class OpenAiAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'openai';
  readonly name: string;
  protected readonly http: UpstreamHttp;
  protected readonly apiKey: string | undefined;
  protected readonly compat: OpenAiCompat;
  readonly nativeResponses: NativeResponses;

  constructor(settings: ProviderSettings, timeouts: UpstreamTimeouts) {
    this.name = settings.name;
    this.apiKey = settings.credentials.api_key;
    this.compat = compatOf(settings.config);
    this.http = new UpstreamHttp(this.baseUrl(settings), settings.name, timeouts);
    this.nativeResponses = new OpenAiResponses({
      http: this.http,
      path: (operation) => this.path(operation, ''),
      headers: () => this.headers(),
      errorFrom: (res) => this.errorFrom(res),
      parseJson: (buf) => this.parseJson(buf),
    });
  }

  protected baseUrl(settings: ProviderSettings): string {
    return settings.baseUrl ?? OPENAI_DEFAULT_BASE_URL;
  }

  /** The path of an operation (`/chat/completions`, `/embeddings`) for a model, below the base URL. */
  protected path(operation: string, _model: string): string {
    return `/${operation}`;
  }

  protected headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    return headers;
  }

  protected upstreamBody(call: UpstreamCall, extra: JsonObject = {}): string {
    return encodeBody(applyCompat({ ...call.body, ...extra, model: call.upstreamModel }, this.compat), call.source);
  }

  async chat(call: UpstreamCall): Promise<ChatResult> {
    const res = await this.http.post(
      this.path('chat/completions', call.upstreamModel),
      this.headers(),
      this.upstreamBody(call, { stream: false }),
      call.signal,
    );
    if (res.status !== 200) throw this.errorFrom(res);
    const body = this.parseJson(res.body);
    return { body, raw: res.body, usage: usageFromOpenAi(body.usage) };
  }

  async chatStream(call: UpstreamCall, sink: ChunkSink): Promise<StreamResult> {
    const clientOptions = (call.body.stream_options ?? {}) as JsonObject;
    // without stream_options (config.compat), usage comes from whichever chunk carries it, else it is estimated
    const body = this.upstreamBody(call, { stream: true, stream_options: { ...clientOptions, include_usage: true } });
    let usage: Usage | null = null;
    let done = false;
    const decoder = new StringDecoder('utf8');
    const parser = createParser({
      onEvent: (event) => {
        if (done) return;
        const data = event.data;
        if (data === '[DONE]') {
          done = true;
          return;
        }
        let chunk: JsonObject;
        try {
          chunk = JSON.parse(data) as JsonObject;
        } catch {
          throw new UpstreamException(UpstreamErrorCode.ServerError, this.name, {
            cause: new Error('unparseable stream chunk'),
          });
        }
        if (chunk.error) throw this.streamError(chunk.error);
        if (chunk.usage) usage = usageFromOpenAi(chunk.usage) ?? usage;
        sink.chunk(chunk, data);
      },
    });
    const res = await this.http.postStreaming(
      this.path('chat/completions', call.upstreamModel),
      this.headers(),
      body,
      call.signal,
      (buf) => {
        parser.feed(decoder.write(buf));
        return sink.backpressure?.(); // a slow client holds the provider's stream back
      },
    );
    if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
    parser.feed(decoder.end());
    return { usage };
  }

  async embeddings(call: UpstreamCall): Promise<EmbeddingsResult> {
    const res = await this.http.post(
      this.path('embeddings', call.upstreamModel),
      this.headers(),
      this.upstreamBody(call),
      call.signal,
    );
    if (res.status !== 200) throw this.errorFrom(res);
    const body = this.parseJson(res.body);
    return { body, usage: usageFromOpenAi(body.usage) };
  }

  promptTokenUpperBound(body: JsonObject): number {
    if (body.input !== undefined && body.messages === undefined)
      return Math.ceil(measureEmbeddingsInput(body.input) * OPENAI_BOUND.textFactor);
    return chatPromptUpperBound(body, OPENAI_BOUND);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  protected parseJson(buf: Buffer): JsonObject {
    try {
      const parsed: unknown = JSON.parse(buf.toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonObject;
    } catch {
      // fall through
    }
    throw new UpstreamException(UpstreamErrorCode.ServerError, this.name, {
      cause: new Error('unparseable provider response'),
    });
  }

  /** An OpenAI-format error response → SPEC §3. */
  protected errorFrom(res: UpstreamResponse): UpstreamException {
    let error: JsonObject = {};
    try {
      const parsed = JSON.parse(res.body.toString('utf8')) as JsonObject;
      error = (parsed.error && typeof parsed.error === 'object' ? parsed.error : parsed) as JsonObject;
    } catch {
      // not JSON: keep the status only
    }
    const message = typeof error.message === 'string' ? error.message : undefined;
    const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : null;
    const param = typeof error.param === 'string' ? error.param : null;
    const cause = new Error(`provider answered ${res.status}`);
    const status = res.status;
    if (status === 400 || status === 413 || status === 422) {
      return new UpstreamException(UpstreamErrorCode.BadRequest, this.name, {
        status,
        providerCode: code,
        message,
        param,
        cause,
      });
    }
    if (status === 401 || status === 403) return new UpstreamException(UpstreamErrorCode.Auth, this.name, { cause });
    if (status === 404) return new UpstreamException(UpstreamErrorCode.ModelNotFound, this.name, { cause });
    if (status === 429)
      return new UpstreamException(UpstreamErrorCode.RateLimited, this.name, {
        retryAfter: retryAfterSeconds(res.headers),
        cause,
      });
    if (status === 503 || status === 529) {
      return new UpstreamException(UpstreamErrorCode.Overloaded, this.name, {
        retryAfter: retryAfterSeconds(res.headers),
        cause,
      });
    }
    return new UpstreamException(UpstreamErrorCode.ServerError, this.name, { cause });
  }

  /** An `{"error": ...}` event inside a stream. */
  protected streamError(error: unknown): UpstreamException {
    const e = (error && typeof error === 'object' ? error : {}) as JsonObject;
    const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : '';
    if (/rate_limit/.test(code)) return new UpstreamException(UpstreamErrorCode.RateLimited, this.name);
    if (/overload/.test(code)) return new UpstreamException(UpstreamErrorCode.Overloaded, this.name);
    return new UpstreamException(UpstreamErrorCode.ServerError, this.name, {
      cause: new Error(`stream error event: ${code || 'unknown'}`),
    });
  }
}
