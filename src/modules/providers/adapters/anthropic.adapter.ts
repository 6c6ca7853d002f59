import { AnthropicChat } from '#src/modules/providers/adapters/anthropic/anthropic-chat';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from '#src/modules/providers/adapters/anthropic/anthropic-request.mapper';
import { AnthropicNativeMessages, anthropicHost } from '#src/modules/providers/adapters/anthropic/anthropic-native';
import {
  type AnthropicPromptBound,
  claudePromptUpperBound,
  readAnthropicSettings,
} from '#src/modules/providers/adapters/anthropic/anthropic-settings';
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
import { UpstreamHttp } from '#src/modules/providers/upstream-http';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The Messages API version whose wire format this adapter translates. */
export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Anthropic's Messages API behind OpenAI's Chat Completions: requests, answers and streams are translated
 * both ways (adapters/anthropic/), errors mapped per SPEC §3. Anthropic has no embeddings API.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'anthropic';
  readonly name: string;
  private readonly http: UpstreamHttp;
  private readonly apiKey: string | undefined;
  private readonly bound: AnthropicPromptBound;
  private readonly native: NativeMessages;
  private readonly chatApi: AnthropicChat;

  constructor(settings: ProviderSettings, timeouts: UpstreamTimeouts) {
    this.name = settings.name;
    this.apiKey = settings.credentials.api_key;
    const config = readAnthropicSettings(settings.config, ANTHROPIC_DEFAULT_MAX_TOKENS);
    this.bound = config.bound;
    this.http = new UpstreamHttp(baseUrlOf(settings.baseUrl), settings.name, timeouts);
    const host = anthropicHost(({ version, betas }) =>
      Promise.resolve({
        ...this.headers(),
        'anthropic-version': version ?? ANTHROPIC_VERSION,
        ...(betas.length > 0 ? { 'anthropic-beta': betas.join(',') } : {}),
      }),
    );
    this.native = new AnthropicNativeMessages(this.http, host);
    this.chatApi = new AnthropicChat(this.http, host, settings.name, config.defaultMaxTokens);
  }

  messagesFor(): NativeMessages {
    return this.native;
  }

  chat(call: UpstreamCall): Promise<ChatResult> {
    return this.chatApi.chat(call);
  }

  chatStream(call: UpstreamCall, sink: ChunkSink): Promise<StreamResult> {
    return this.chatApi.chatStream(call, sink);
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

  /** See claudePromptUpperBound. */
  promptTokenUpperBound(body: JsonObject): number {
    return claudePromptUpperBound(body, this.bound);
  }

  close(): Promise<void> {
    return this.http.close();
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
}

/** The API root: Anthropic's SDKs take it without `/v1`, so a pasted `.../v1` or `.../v1/messages` is trimmed. */
function baseUrlOf(configured: string | null): string {
  const url = (configured ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '');
  return url.replace(/\/v1(\/messages)?$/, '');
}
