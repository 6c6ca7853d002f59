import type { ProviderAdapter, ProviderSettings, UpstreamTimeouts } from '#src/modules/providers/provider-adapter';
import type { ProviderType } from '#src/modules/providers/provider.entity';
import { OpenAiAdapter } from '#src/modules/providers/adapters/openai.adapter';

type AdapterClass = new (settings: ProviderSettings, timeouts: UpstreamTimeouts) => ProviderAdapter;

/** The one place provider types are registered: type → adapter class. */
export const ADAPTERS: Partial<Record<ProviderType, AdapterClass>> = {
  openai: OpenAiAdapter,
};

export function createAdapter(settings: ProviderSettings, timeouts: UpstreamTimeouts): ProviderAdapter {
  const Adapter = ADAPTERS[settings.type];
  if (!Adapter) throw new Error(`provider type ${settings.type} is not supported yet`);
  return new Adapter(settings, timeouts);
}
