import { type APIError, AzureOpenAI } from 'openai';
import type OpenAI from 'openai';
import { createModel, createProvider } from '#test/factories/gateway-fixtures';
import { azureError, FakeAzureOpenAi } from '#test/utils/fake-azure-openai';
import { waitFor } from '#test/utils/processes';
import {
  collectChunks,
  type ProviderGateway,
  startProviderGateway,
  TEST_PRICING,
} from '#test/providers/provider-gateway';

const CANARY = 'azure-canary-key-93c1d7e05b';

describe('azure-openai provider through the openai SDK', () => {
  let fake: FakeAzureOpenAi;
  let gw: ProviderGateway;
  let client: OpenAI;

  /** Another provider of the same resource with its own config, and a model on it. */
  async function addModel(name: string, deployment: string, config: Record<string, unknown> = {}): Promise<void> {
    const provider = await createProvider(gw.api, {
      type: 'azure-openai',
      baseUrl: fake.url,
      credentials: { api_key: CANARY },
      config,
    });
    await createModel(gw.api, { providerId: provider.id, name, providerModelId: deployment, pricing: TEST_PRICING });
  }

  beforeAll(async () => {
    fake = await new FakeAzureOpenAi(CANARY, ['chat-prod', 'embed-prod']).start();
    gw = await startProviderGateway({
      type: 'azure-openai',
      baseUrl: fake.url,
      credentials: { api_key: CANARY },
      providerModelId: 'chat-prod',
      model: 'gpt-4o-azure',
    });
    client = gw.client;
  });
  afterAll(async () => {
    await gw.api.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    gw.events.clear();
  });

  it('calls the deployment path with the default GA api-version and the api-key header, as AzureOpenAI does', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-azure', messages: [{ role: 'user', content: 'Hello' }], temperature: 0.2 })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Hello from Azure!');
    const viaGateway = fake.requests[0];
    expect(viaGateway.headers['api-key']).toBe(CANARY);
    expect(viaGateway.headers.authorization).toBeUndefined();
    expect(viaGateway.body).toMatchObject({ model: 'chat-prod', temperature: 0.2, stream: false });

    const sdk = new AzureOpenAI({ endpoint: fake.url, apiKey: CANARY, apiVersion: '2024-10-21', maxRetries: 0 });
    await sdk.chat.completions.create({ model: 'chat-prod', messages: [{ role: 'user', content: 'Hello' }] });
    const viaSdk = fake.requests[1];
    expect(viaGateway.method).toBe(viaSdk.method);
    expect(viaGateway.path).toBe(viaSdk.path);
    expect(viaGateway.query.toString()).toBe(viaSdk.query.toString());

    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.usage).toMatchObject({ promptTokens: 19, completionTokens: 9, estimated: false });
  });

  it('streams Azure chunks through, asks Azure for the usage and bills it without showing it to the client', async () => {
    fake.reset({ reply: 'Streaming from Azure now', usage: { prompt_tokens: 30, completion_tokens: 4, cached: 10 } });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o-azure', messages: [{ role: 'user', content: 'Go' }], stream: true })
      .withResponse();
    const chunks = await collectChunks(stream);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Streaming from Azure now');
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(fake.requests[0].body.stream_options).toEqual({ include_usage: true });
    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.usage).toMatchObject({ promptTokens: 30, completionTokens: 4, cacheReadTokens: 10, estimated: false });
  });

  it('creates embeddings on the embeddings deployment path', async () => {
    await addModel('embed-azure', 'embed-prod');
    const res = await client.embeddings.create({ model: 'embed-azure', input: 'hello', encoding_format: 'float' });
    expect(res.data[0].embedding).toEqual([0.5, -0.25, 0.125]);
    expect(fake.requests[0].path).toBe('/openai/deployments/embed-prod/embeddings');
    expect(fake.requests[0].query.get('api-version')).toBe('2024-10-21');
  });

  it('uses config.api_version, and the v1 API (deployment in the body) when it is v1', async () => {
    await addModel('azure-preview', 'chat-prod', { api_version: '2025-04-01-preview' });
    await addModel('azure-v1', 'chat-prod', { api_version: 'v1' });
    await client.chat.completions.create({ model: 'azure-preview', messages: [{ role: 'user', content: 'hi' }] });
    expect(fake.requests[0].path).toBe('/openai/deployments/chat-prod/chat/completions');
    expect(fake.requests[0].query.get('api-version')).toBe('2025-04-01-preview');
    fake.reset();
    const data = await client.chat.completions.create({
      model: 'azure-v1',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(data.choices[0].message.content).toBe('Hello from Azure!');
    expect(fake.requests[0].path).toBe('/openai/v1/chat/completions');
    expect(fake.requests[0].body.model).toBe('chat-prod');
  });

  it.each([
    [
      '429 → 429 upstream_rate_limited with Retry-After',
      429,
      azureError('429', 'Rate limit'),
      429,
      'upstream_rate_limited',
    ],
    [
      '400 content_filter → 400 content_filter with the message',
      400,
      { error: { code: 'content_filter', message: 'The prompt was filtered.', param: 'prompt', status: 400 } },
      400,
      'content_filter',
    ],
    ['500 → 502 upstream_error', 500, azureError('InternalServerError', 'oops'), 502, 'upstream_error'],
  ])('translates Azure %s', async (_name, upstreamStatus, body, status, code) => {
    fake.reset({ error: { status: upstreamStatus, body, headers: { 'retry-after': '9' } } });
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-azure', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status, code });
    if (status === 429) expect((err as APIError).headers?.get('retry-after')).toBe('9');
    if (code === 'content_filter') expect((err as Error).message).toContain('The prompt was filtered.');
  });

  it('answers 502 upstream_model_not_found for an unknown deployment and 502 upstream_auth_error for a refused key', async () => {
    await addModel('azure-missing', 'no-such-deployment');
    await expect(
      client.chat.completions.create({ model: 'azure-missing', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 502, code: 'upstream_model_not_found' });

    const provider = await createProvider(gw.api, {
      type: 'azure-openai',
      baseUrl: fake.url,
      credentials: { api_key: 'azure-wrong-key' },
    });
    await createModel(gw.api, { providerId: provider.id, name: 'azure-badkey', providerModelId: 'chat-prod' });
    const err = await client.chat.completions
      .create({ model: 'azure-badkey', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_error' });
    expect((err as Error).message).not.toContain('Access denied');
  });

  it('aborts the Azure request when the client leaves mid-stream', async () => {
    fake.reset({ reply: 'one two three', hang: true });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-azure',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) break;
    await waitFor(async () => (fake.requests[0]?.aborted ? true : undefined), 10_000, 20);
  });

  it('does not load a provider without base_url and says why in the log; its models are not routable', async () => {
    const provider = await createProvider(gw.api, {
      type: 'azure-openai',
      baseUrl: null as unknown as string,
      credentials: { api_key: CANARY },
    });
    await createModel(gw.api, { providerId: provider.id, name: 'azure-nourl', providerModelId: 'chat-prod' });
    await expect(
      client.chat.completions.create({ model: 'azure-nourl', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    expect(gw.api.logs.text()).toContain('azure-openai providers need base_url');
  });

  it('never shows the provider key in responses, call events or logs', async () => {
    fake.reset({ error: { status: 401, body: azureError('401', `Access denied for key ${CANARY}`) } });
    const res = await fetch(`${gw.api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-azure', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain(CANARY);
    expect(gw.api.logs.text()).toContain('upstream_auth_error');
    expect(gw.api.logs.text()).not.toContain(CANARY);
    expect(JSON.stringify(gw.events.events)).not.toContain(CANARY);
  });
});
