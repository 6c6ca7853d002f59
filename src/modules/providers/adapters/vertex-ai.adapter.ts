import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
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
import {
  chatPromptUpperBound,
  measureEmbeddingsInput,
  type UpperBoundFactors,
} from '#src/modules/providers/token-estimator';
import { UpstreamHttp, type UpstreamResponse } from '#src/modules/providers/upstream-http';
import { VERTEX_BETAS, BetaFilter } from '#src/modules/providers/adapters/anthropic/anthropic-betas';
import { AnthropicChat } from '#src/modules/providers/adapters/anthropic/anthropic-chat';
import { AnthropicNativeMessages } from '#src/modules/providers/adapters/anthropic/anthropic-native';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from '#src/modules/providers/adapters/anthropic/anthropic-request.mapper';
import {
  ANTHROPIC_PROMPT_BOUND,
  claudePromptUpperBound,
  readAnthropicSettings,
} from '#src/modules/providers/adapters/anthropic/anthropic-settings';
import { isVertexClaude, vertexClaudeHost } from '#src/modules/providers/adapters/vertex/vertex-claude.host';
import { toGeminiRequest } from '#src/modules/providers/adapters/vertex/gemini-request.mapper';
import { toChatCompletion } from '#src/modules/providers/adapters/vertex/gemini-response.mapper';
import { GeminiStreamMapper } from '#src/modules/providers/adapters/vertex/gemini-stream.mapper';
import {
  DefaultCredentialsTokenSource,
  parseServiceAccount,
  ServiceAccountTokenSource,
  type TokenSource,
} from '#src/modules/providers/adapters/vertex/google-token.source';
import {
  boundFactors,
  isObject,
  promptDigits,
  RequestRefusal,
  toEmbeddingsList,
} from '#src/modules/providers/adapters/shared/openai.shapes';
import {
  embeddingTexts,
  predictBatches,
  predictRequest,
  readPredictions,
} from '#src/modules/providers/adapters/vertex/vertex-embeddings.mapper';
import {
  rpcStatusOf,
  vertexError,
  vertexStreamError,
} from '#src/modules/providers/adapters/vertex/vertex-error.mapper';

const DEFAULT_LOCATION = 'us-central1';

/**
 * Upper bound for the budget (docs/providers/vertex-ai.md): Gemini's SentencePiece tokenizer is close to
 * o200k_base on prose but splits numbers into single digits; measured against Google's documented
 * 4-characters-per-token rule (bench/prompt-estimate.mjs) 1.25 × o200k fell up to 13% short on CJK, so the
 * bound is 1.5 × o200k tokens plus one token per digit. An image costs at most 1,120 tokens on Gemini 3 (2,240 at ultra-high resolution) and
 * 258 per 768-pixel tile on Gemini 2.x: 4,128 covers a 3072×3072 image.
 */
const VERTEX_BOUND = { textFactor: 1.5, perImage: 4128 };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** `https://{location}-aiplatform.googleapis.com`, or the global endpoint for `global`. */
export function vertexEndpoint(location: string): string {
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

/**
 * Google Vertex AI (Gemini through generateContent / streamGenerateContent, embeddings through :predict),
 * translated from and to OpenAI's API; Claude models through rawPredict / streamRawPredict, Anthropic's
 * Messages API natively and chat translated as for Anthropic. See docs/providers/vertex-ai.md.
 */
export class VertexAiAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'vertex-ai';
  readonly name: string;
  private readonly bound: UpperBoundFactors;
  private readonly http: UpstreamHttp;
  private readonly location: string;
  private readonly project: string | undefined;
  private readonly tokens: TokenSource | null = null;
  /** Why the stored credentials cannot be used (never quoting them); calls then fail with 502 auth. */
  private readonly credentialsProblem: string | null = null;
  /** Claude models: Anthropic's Messages API natively, and chat translated to it. */
  private readonly claude: { native: NativeMessages; chat: AnthropicChat };

  constructor(settings: ProviderSettings, timeouts: UpstreamTimeouts) {
    this.name = settings.name;
    this.bound = boundFactors(settings.config, VERTEX_BOUND);
    this.location = str(settings.config.location) ?? DEFAULT_LOCATION;
    // the location becomes part of the endpoint's host name
    if (!/^[a-z0-9-]+$/.test(this.location))
      throw new Error('config.location must be a Vertex location such as us-central1');
    const keyJson = settings.credentials.service_account_json;
    try {
      // the pod's own Google identity is never sent to an endpoint an admin chose
      if (!keyJson && settings.baseUrl)
        throw new Error('no stored service_account_json: default credentials are never used with a custom base_url');
      this.tokens = keyJson
        ? new ServiceAccountTokenSource(parseServiceAccount(keyJson), this.name, timeouts)
        : new DefaultCredentialsTokenSource(undefined, this.name);
    } catch (err) {
      this.credentialsProblem = (err as Error).message;
    }
    this.project = str(settings.config.project_id) ?? this.tokens?.projectId;
    this.http = new UpstreamHttp(settings.baseUrl ?? vertexEndpoint(this.location), this.name, timeouts);
    const host = vertexClaudeHost({
      path: (resource, method) => this.modelPath(resource, method),
      auth: (signal) => this.headers(signal),
      betas: new BetaFilter(settings.name, settings.config, VERTEX_BETAS),
      vertexFailure: (res) => this.failure(res),
    });
    // Claude's prompt bound and default output limit are Anthropic's (only default_max_tokens is read here:
    // prompt_text_factor and prompt_image_tokens configure the Gemini bound)
    const claudeMaxTokens = readAnthropicSettings(
      { default_max_tokens: settings.config.default_max_tokens },
      ANTHROPIC_DEFAULT_MAX_TOKENS,
    ).defaultMaxTokens;
    this.claude = {
      native: new AnthropicNativeMessages(this.http, host),
      chat: new AnthropicChat(this.http, host, this.name, claudeMaxTokens),
    };
  }

  messagesFor(upstreamModel: string): NativeMessages | null {
    return isVertexClaude(upstreamModel) ? this.claude.native : null;
  }

  async chat(call: UpstreamCall): Promise<ChatResult> {
    if (isVertexClaude(call.upstreamModel)) return this.claude.chat.chat(call);
    const request = this.translate(() => toGeminiRequest(call.body));
    const headers = await this.headers(call.signal);
    const res = await this.http.post(
      this.modelPath(call.upstreamModel, 'generateContent'),
      headers,
      JSON.stringify(request),
      call.signal,
    );
    if (res.status !== 200) throw this.failure(res);
    return toChatCompletion(this.parseJson(res.body), call.upstreamModel);
  }

  async chatStream(call: UpstreamCall, sink: ChunkSink): Promise<StreamResult> {
    if (isVertexClaude(call.upstreamModel)) return this.claude.chat.chatStream(call, sink);
    const request = this.translate(() => toGeminiRequest(call.body));
    const translator = new GeminiStreamMapper(call.upstreamModel, sink, (e) => vertexStreamError(e, this.name));
    const decoder = new StringDecoder('utf8');
    const parser = createParser({ onEvent: (event) => translator.push(this.parseJson(Buffer.from(event.data))) });
    const headers = await this.headers(call.signal);
    const res = await this.http.postStreaming(
      `${this.modelPath(call.upstreamModel, 'streamGenerateContent')}?alt=sse`,
      headers,
      JSON.stringify(request),
      call.signal,
      (buf) => {
        parser.feed(decoder.write(buf));
        return sink.backpressure?.(); // a slow client holds the provider's stream back
      },
    );
    if (res.status < 200 || res.status >= 300) throw this.failure(res);
    parser.feed(decoder.end());
    return { usage: translator.finish() };
  }

  async embeddings(call: UpstreamCall): Promise<EmbeddingsResult> {
    const texts = this.translate(() => embeddingTexts(call.body.input));
    const headers = await this.headers(call.signal);
    const path = this.modelPath(call.upstreamModel, 'predict');
    const batches = predictBatches(call.upstreamModel, texts);
    const results = await Promise.all(
      batches.map(async (batch) => {
        const res = await this.http.post(path, headers, JSON.stringify(predictRequest(batch, call.body)), call.signal);
        if (res.status !== 200) throw this.failure(res);
        const read = readPredictions(this.parseJson(res.body), batch.length);
        if (!read) throw this.unreadable('embeddings answer without one embedding per input');
        return read;
      }),
    );
    const tokens = results.reduce((sum, r) => sum + r.tokens, 0);
    return toEmbeddingsList(
      results.flatMap((r) => r.vectors),
      tokens,
      call.upstreamModel,
    );
  }

  promptTokenUpperBound(body: JsonObject, upstreamModel?: string): number {
    if (upstreamModel !== undefined && isVertexClaude(upstreamModel))
      return claudePromptUpperBound(body, ANTHROPIC_PROMPT_BOUND);
    const digits = promptDigits(body);
    if (body.input !== undefined && body.messages === undefined)
      return Math.ceil(measureEmbeddingsInput(body.input) * this.bound.textFactor) + digits;
    return chatPromptUpperBound(body, this.bound) + digits;
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.tokens?.close()]);
  }

  /** `/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}`. */
  private modelPath(model: string, method: string): string {
    if (!this.project) {
      throw new UpstreamException(UpstreamErrorCode.ServerError, this.name, {
        cause: new Error('no project: set config.project_id or use a key file with project_id'),
      });
    }
    // a full resource name (publishers/anthropic/models/…) is taken as it is
    const resource = model.startsWith('publishers/') ? model : `publishers/google/models/${model}`;
    return `/v1/projects/${this.project}/locations/${this.location}/${resource}:${method}`;
  }

  private async headers(signal: AbortSignal): Promise<Record<string, string>> {
    if (!this.tokens) {
      throw new UpstreamException(UpstreamErrorCode.Auth, this.name, {
        cause: new Error(this.credentialsProblem ?? ''),
      });
    }
    const token = await this.tokens.token(signal);
    return { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' };
  }

  /** A request the translation refuses → 400 in OpenAI's shape, naming the parameter. */
  private translate<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof RequestRefusal)) throw err;
      throw new UpstreamException(UpstreamErrorCode.BadRequest, this.name, {
        status: 400,
        providerCode: err.code,
        message: err.message,
        param: err.param,
      });
    }
  }

  private failure(res: UpstreamResponse): UpstreamException {
    // a token Vertex no longer accepts (revoked, rotated key) must not stay cached until it expires
    if (res.status === 401) this.tokens?.invalidate();
    return vertexError(res.status, rpcStatusOf(res.body), this.name, res.headers);
  }

  private parseJson(buf: Buffer): JsonObject {
    try {
      const parsed: unknown = JSON.parse(buf.toString('utf8'));
      if (isObject(parsed)) return parsed;
    } catch {
      // unreadable below
    }
    throw this.unreadable('unparseable Vertex response');
  }

  private unreadable(what: string): UpstreamException {
    return new UpstreamException(UpstreamErrorCode.ServerError, this.name, { cause: new Error(what) });
  }
}
