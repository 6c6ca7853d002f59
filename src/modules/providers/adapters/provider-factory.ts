import { AnthropicAdapter } from '#src/modules/providers/adapters/anthropic.adapter';
import { AzureOpenAiAdapter } from '#src/modules/providers/adapters/azure-openai.adapter';
import { BedrockAdapter } from '#src/modules/providers/adapters/bedrock.adapter';
import { OpenAiAdapter } from '#src/modules/providers/adapters/openai.adapter';
import { VertexAiAdapter } from '#src/modules/providers/adapters/vertex-ai.adapter';
import type { ProviderAdapter, ProviderSettings, UpstreamTimeouts } from '#src/modules/providers/provider-adapter';
import type { ProviderType } from '#src/modules/providers/provider.entity';

type AdapterClass = new (settings: ProviderSettings, timeouts: UpstreamTimeouts) => ProviderAdapter;

/** The one place provider types are registered: type → adapter class. */
export const ADAPTERS: Record<ProviderType, AdapterClass> = {
  openai: OpenAiAdapter,
  'azure-openai': AzureOpenAiAdapter,
  anthropic: AnthropicAdapter,
  'vertex-ai': VertexAiAdapter,
  bedrock: BedrockAdapter,
};

export function createAdapter(settings: ProviderSettings, timeouts: UpstreamTimeouts): ProviderAdapter {
  return new ADAPTERS[settings.type](settings, timeouts);
}
