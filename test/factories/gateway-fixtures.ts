import { ApiKeyManagementService, type ApiKeyInput } from '#src/modules/keys/api-key-management.service';
import { ModelManagementService, type ModelInput } from '#src/modules/models/model-management.service';
import { ProviderManagementService, type ProviderInput } from '#src/modules/providers/provider-management.service';
import type { TestApp } from '#test/utils/app';

/** Canary secrets: distinct strings that must never show up in logs, responses or audit records. */
export const CANARY_PROVIDER_KEY = 'sk-canary-provider-7d1e0c55aa';

let seq = 0;

export async function createProvider(
  app: TestApp,
  input: Partial<ProviderInput> & { baseUrl: string },
): Promise<{ id: string; name: string }> {
  const p = await app.get(ProviderManagementService).create({
    name: input.name ?? `provider-${++seq}`,
    type: input.type ?? 'openai',
    baseUrl: input.baseUrl,
    credentials: input.credentials ?? { api_key: CANARY_PROVIDER_KEY },
    config: input.config ?? {},
    enabled: input.enabled,
  });
  return { id: p.id, name: p.name };
}

export async function createModel(
  app: TestApp,
  input: Partial<ModelInput> & { providerId: string },
): Promise<{ id: string; name: string }> {
  const m = await app.get(ModelManagementService).createModel({
    name: input.name ?? `model-${++seq}`,
    providerModelId: input.providerModelId ?? 'gpt-4o-mini-2024-07-18',
    pricing: input.pricing ?? [
      { direction: 'input', unit: '1m_tokens', price: '0.15' },
      { direction: 'output', unit: '1m_tokens', price: '0.6' },
    ],
    ...input,
  });
  return { id: m.id, name: m.name };
}

export async function createKey(app: TestApp, input: Partial<ApiKeyInput> = {}): Promise<{ id: string; key: string }> {
  const { key, plaintext } = await app
    .get(ApiKeyManagementService)
    .create({ name: input.name ?? `key-${++seq}`, ...input });
  return { id: key.id, key: plaintext };
}

/** A provider pointing at `upstreamUrl`, one model on it, and a key: the smallest usable gateway. */
export async function createGateway(
  app: TestApp,
  upstreamUrl: string,
  key: Partial<ApiKeyInput> = {},
): Promise<{ providerId: string; modelId: string; model: string; key: string; keyId: string }> {
  const provider = await createProvider(app, { baseUrl: upstreamUrl });
  const model = await createModel(app, { providerId: provider.id, name: 'gpt-4o-mini' });
  const created = await createKey(app, key);
  return { providerId: provider.id, modelId: model.id, model: model.name, key: created.key, keyId: created.id };
}
