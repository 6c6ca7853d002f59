import { CANARY_PROVIDER_KEY, createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { BEDROCK_CREDENTIALS, fakeBedrockCredentials } from '#test/providers/bedrock-gateway';
import { FakeAnthropic } from '#test/utils/fake-anthropic';
import { FakeBedrock } from '#test/utils/fake-bedrock';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

/**
 * Issue 21: an agent-sized body goes upstream as the client's bytes with only the members the gateway sets
 * (model, output limit, stream options) serialized; the prompt is not serialized again. What the provider gets
 * must mean exactly what it got before.
 */
describe('the upstream body of a large request', () => {
  let api: TestApp;
  let openai: FakeOpenAi;
  let anthropic: FakeAnthropic;
  let bedrock: FakeBedrock;
  let key: string;

  /** An agent's system prompt, written with escapes and spacing JSON.stringify would not produce. */
  const SYSTEM = `"caf\\u00e9 \\/ rules: ${'Read the files, then change them. '.repeat(200)}"`;

  beforeAll(async () => {
    await resetState();
    openai = await new FakeOpenAi().start();
    anthropic = await new FakeAnthropic(CANARY_PROVIDER_KEY).start();
    bedrock = await new FakeBedrock().start();
    bedrock.credentials = fakeBedrockCredentials();
    api = await startApi();
    const p1 = await createProvider(api, { baseUrl: openai.url });
    await createModel(api, { providerId: p1.id, name: 'agent-gpt', providerModelId: 'gpt-4o-2024-08-06' });
    await createModel(api, {
      providerId: p1.id,
      name: 'agent-native',
      providerModelId: 'gpt-5-mini',
      capabilities: ['responses'],
    });
    const p2 = await createProvider(api, { type: 'anthropic', baseUrl: anthropic.url });
    await createModel(api, { providerId: p2.id, name: 'agent-claude', providerModelId: 'claude-sonnet-4-5-20250929' });
    const p3 = await createProvider(api, {
      type: 'bedrock',
      baseUrl: bedrock.url,
      credentials: BEDROCK_CREDENTIALS,
      config: { region: 'us-east-1' },
    });
    await createModel(api, {
      providerId: p3.id,
      name: 'agent-bedrock',
      providerModelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
    key = (await createKey(api, { monthlyBudget: '10' })).key;
  });
  afterAll(async () => {
    await api.close();
    await openai.stop();
    await anthropic.stop();
    await bedrock.stop();
  });
  beforeEach(() => {
    openai.reset();
    anthropic.reset();
    bedrock.reset();
  });

  /** Makes a call and reads its answer to the end, so the provider has received the request. */
  const call = async (path: string, body: string, headers: Record<string, string> = {}): Promise<void> => {
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body,
    });
    expect(res.status).toBe(200);
    await res.text();
  };

  const chat = (model: string, extra = ''): string =>
    `{ "model" : "${model}",\n  "messages": [{"role": "system", "content": ${SYSTEM}}, {"role":"user","content":"hi"}],\n  "temperature": 1.0${extra} }`;

  it('sends a chat completion with the client text of its messages and the gateway model and limit', async () => {
    await call('/v1/chat/completions', chat('agent-gpt'));
    const sent = openai.requests[0];
    expect(sent.raw).toContain(`"messages":[{"role": "system", "content": ${SYSTEM}}, {"role":"user","content":"hi"}]`);
    expect(sent.raw).toContain('"temperature":1.0');
    expect(sent.body).toEqual({
      model: 'gpt-4o-2024-08-06',
      messages: [
        { role: 'system', content: JSON.parse(SYSTEM) as string },
        { role: 'user', content: 'hi' },
      ],
      temperature: 1,
      max_completion_tokens: expect.any(Number),
      stream: false,
    });
    // the output limit the budget reserved for: the gateway's own member, serialized
    expect(sent.body.max_completion_tokens).toBeGreaterThan(0);
  });

  it('sends a streamed chat completion with stream options added to the client text', async () => {
    await call('/v1/chat/completions', chat('agent-gpt', ', "stream": true'));
    const sent = openai.requests[0];
    expect(sent.raw).toContain(`"content": ${SYSTEM}}`);
    expect(sent.body).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("passes a Messages API call to Anthropic with the client's text and the provider's model id", async () => {
    const body = `{"model": "agent-claude", "max_tokens": 64, "system": ${SYSTEM},\n "messages": [{"role": "user", "content": "hi"}]}`;
    await call('/v1/messages', body, { 'anthropic-version': '2023-06-01' });
    const sent = anthropic.requests[0];
    expect(sent.raw).toContain(`"system":${SYSTEM}`);
    expect(sent.raw).toContain('"messages":[{"role": "user", "content": "hi"}]');
    expect(sent.body).toMatchObject({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64 });
  });

  it("counts a large prompt's tokens at Anthropic with the client's text", async () => {
    const body = `{"model": "agent-claude", "system": ${SYSTEM},\n "messages": [{"role": "user", "content": "hi"}]}`;
    await call('/v1/messages/count_tokens', body, { 'anthropic-version': '2023-06-01' });
    const sent = anthropic.requests[0];
    expect(sent.path).toBe('/v1/messages/count_tokens');
    expect(sent.raw).toContain(`"system":${SYSTEM}`);
    expect(sent.body).toMatchObject({ model: 'claude-sonnet-4-5-20250929' });
  });

  it('signs and sends a Messages API call to Claude on Bedrock with the client text', async () => {
    const body = `{"model": "agent-bedrock", "max_tokens": 64, "system": ${SYSTEM},\n "messages": [{"role": "user", "content": "hi"}]}`;
    await call('/v1/messages', body, { 'anthropic-version': '2023-06-01' });
    const sent = bedrock.requests[0];
    expect(sent.operation).toBe('invoke');
    expect(sent.raw).toContain(`"system":${SYSTEM}`);
    expect(sent.body).toMatchObject({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64 });
    expect(sent.body).not.toHaveProperty('model');
  });

  it("passes a Responses API call through with the client's text of its input", async () => {
    const body = `{"model": "agent-native", "instructions": ${SYSTEM}, "input": "hi"}`;
    await call('/v1/responses', body);
    const sent = openai.requests[0];
    expect(sent.path).toBe('/v1/responses');
    expect(sent.raw).toContain(`"instructions":${SYSTEM}`);
    expect(sent.body).toMatchObject({ model: 'gpt-5-mini', input: 'hi', stream: false });
  });

  it('serializes a small body as before', async () => {
    await call(
      '/v1/chat/completions',
      '{"model": "agent-gpt", "messages": [{"role": "user", "content": "caf\\u00e9"}]}',
    );
    expect(openai.requests[0].raw).toContain('"messages":[{"role":"user","content":"café"}]');
  });
});
