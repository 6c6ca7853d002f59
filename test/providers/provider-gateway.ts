import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ProviderType } from '#src/modules/providers/provider.entity';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { resetState } from '#test/utils/reset';

export interface ProviderGateway {
  api: TestApp;
  events: EventCapture;
  /** The openai SDK pointed at the gateway with a fresh key. */
  client: OpenAI;
  key: string;
  providerId: string;
  /** The gateway model name clients use. */
  model: string;
}

/** Prices per million tokens, cache components included, so billed usage by type shows in the cost. */
export const TEST_PRICING = [
  { direction: 'input', unit: '1m_tokens', price: '3' },
  { direction: 'output', unit: '1m_tokens', price: '15' },
  { direction: 'cache_read', unit: '1m_tokens', price: '0.3' },
  { direction: 'cache_write', unit: '1m_tokens', price: '3.75' },
];

/** A fresh gateway with one provider of `type` at `baseUrl`, one model on it and a key, as an operator would set it up. */
export async function startProviderGateway(input: {
  type: ProviderType;
  baseUrl: string;
  credentials: Record<string, string>;
  providerModelId: string;
  model: string;
  config?: Record<string, unknown>;
  /** Environment overrides for the API process (e.g. UPSTREAM_TIMEOUT). */
  env?: Record<string, string>;
}): Promise<ProviderGateway> {
  await resetState();
  const api = await startApi(input.env);
  const events = new EventCapture(api);
  const provider = await createProvider(api, {
    type: input.type,
    baseUrl: input.baseUrl,
    credentials: input.credentials,
    config: input.config ?? {},
  });
  await createModel(api, {
    providerId: provider.id,
    name: input.model,
    providerModelId: input.providerModelId,
    pricing: TEST_PRICING,
  });
  const { key } = await createKey(api);
  const client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 });
  return { api, events, client, key, providerId: provider.id, model: input.model };
}

/** Reads a raw SSE response into its `data:` payloads. */
export async function sseData(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

/** Every chunk of an SDK stream, in order. */
export async function collectChunks(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
