import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

/**
 * `config.compat` for OpenAI-compatible servers that ignore max_completion_tokens or refuse stream_options
 * (docs/providers/openai-compatible.md has the example per server).
 */
describe('openai provider: config.compat', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  let events: EventCapture;
  let key: string;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    events = new EventCapture(api);
    const plain = await createProvider(api, { name: 'openai-default', baseUrl: upstream.url });
    const compat = await createProvider(api, {
      name: 'llama-server',
      baseUrl: upstream.url,
      config: { compat: { max_tokens_field: 'max_tokens', stream_options: false } },
    });
    await createModel(api, { providerId: plain.id, name: 'plain-model' });
    await createModel(api, { providerId: compat.id, name: 'local-model', providerModelId: 'qwen3-8b' });
    key = (await createKey(api, { monthlyBudget: '10' })).key;
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });

  async function stream(model: string): Promise<{ callId: string; text: string }> {
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: 'Say hello' }],
        max_completion_tokens: 50,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(res.status).toBe(200);
    return { callId: res.headers.get('x-gateway-call-id')!, text: await res.text() };
  }

  it('sends the reserved output limit as max_tokens and no stream_options; usage comes from the last chunk', async () => {
    upstream.reset({ usageOnLastChunk: true, usage: { prompt_tokens: 11, completion_tokens: 6 } });
    const { callId, text } = await stream('local-model');

    const sent = upstream.requests.at(-1)!.body;
    expect({
      max_tokens: sent.max_tokens,
      max_completion_tokens: sent.max_completion_tokens,
      stream_options: sent.stream_options,
    }).toEqual({ max_tokens: 50, max_completion_tokens: undefined, stream_options: undefined });
    expect(text).toContain('"usage":{"prompt_tokens":11');
    const event = await events.forCall(callId);
    expect(event.usage).toMatchObject({ promptTokens: 11, completionTokens: 6, estimated: false });
  });

  it('estimates the usage, flagged, when such a server sends none', async () => {
    upstream.reset({ omitUsage: true, reply: 'one two three four' });
    const { callId } = await stream('local-model');
    const event = await events.forCall(callId);
    expect(event.usage).toMatchObject({ completionTokens: 4, estimated: true });
  });

  it('keeps max_completion_tokens and stream_options.include_usage for a provider without compat', async () => {
    upstream.reset();
    await stream('plain-model');
    const sent = upstream.requests.at(-1)!.body;
    expect({ max_completion_tokens: sent.max_completion_tokens, stream_options: sent.stream_options }).toEqual({
      max_completion_tokens: 50,
      stream_options: { include_usage: true },
    });
  });
});
