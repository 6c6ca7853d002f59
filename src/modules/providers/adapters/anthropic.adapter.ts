import type {
  ChatResult,
  ChunkSink,
  EmbeddingsResult,
  JsonObject,
  ProviderAdapter,
  ProviderSettings,
  StreamResult,
  UpstreamCall,
  UpstreamTimeouts,
} from '#src/modules/providers/provider-adapter';
import type { ProviderType } from '#src/modules/providers/provider.entity';

/** Placeholder until the anthropic translation lands: every call fails clearly. */
export class AnthropicAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'anthropic';
  readonly name: string;

  constructor(settings: ProviderSettings, _timeouts: UpstreamTimeouts) {
    this.name = settings.name;
  }

  chat(_call: UpstreamCall): Promise<ChatResult> {
    return Promise.reject(new Error('anthropic is not implemented yet'));
  }

  chatStream(_call: UpstreamCall, _sink: ChunkSink): Promise<StreamResult> {
    return Promise.reject(new Error('anthropic is not implemented yet'));
  }

  embeddings(_call: UpstreamCall): Promise<EmbeddingsResult> {
    return Promise.reject(new Error('anthropic is not implemented yet'));
  }

  promptTokenUpperBound(_body: JsonObject): number {
    return 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
