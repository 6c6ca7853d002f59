import { AddressPolicy } from '#src/core/net/address-guard';
import { AnthropicAdapter } from '#src/modules/providers/adapters/anthropic.adapter';
import type { JsonObject, ProviderSettings } from '#src/modules/providers/provider-adapter';
import { measureChatPrompt } from '#src/modules/providers/token-estimator';

function adapter(config: Record<string, unknown> = {}): AnthropicAdapter {
  const settings: ProviderSettings = {
    id: 'p1',
    name: 'claude',
    type: 'anthropic',
    baseUrl: 'http://127.0.0.1:9',
    credentials: {},
    config,
  };
  return new AnthropicAdapter(settings, {
    connectMs: 1000,
    idleMs: 1000,
    maxResponseBytes: 1 << 20,
    addressPolicy: new AddressPolicy(true),
  });
}

// under 256 characters: counted exactly (longer pieces are counted apart and remembered, token-estimator.spec.ts)
const text = 'The quick brown fox jumps over the lazy dog. '.repeat(5);
const chat: JsonObject = { messages: [{ role: 'user', content: text }] };
const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };

describe('AnthropicAdapter.promptTokenUpperBound', () => {
  const sut = adapter();
  afterAll(() => sut.close());

  it('bounds text at 1.8 × its o200k count plus message overhead', () => {
    const o200k = measureChatPrompt(chat).textTokens;
    expect(sut.promptTokenUpperBound(chat)).toBe(Math.ceil(o200k * 1.8) + 4 + 3);
  });

  it.each([
    ['an image', { messages: [{ role: 'user', content: [image] }] }, 1600],
    ['tools', { ...chat, tools: [{ type: 'function', function: { name: 'f' } }] }, 530],
    ['a json_object response format (a forced tool)', { ...chat, response_format: { type: 'json_object' } }, 530],
  ])('adds what %s costs at most: %d tokens', (_what, body, extra) => {
    const m = measureChatPrompt(body);
    const textAndFraming = Math.ceil(m.textTokens * 1.8) + m.messages * 4 + 3;
    expect(sut.promptTokenUpperBound(body)).toBe(textAndFraming + extra);
  });

  it('takes the text factor and image bound from the provider config', async () => {
    const custom = adapter({ prompt_text_factor: 2, prompt_image_tokens: 4784 });
    const o200k = measureChatPrompt(chat).textTokens;
    expect(custom.promptTokenUpperBound(chat)).toBe(o200k * 2 + 4 + 3);
    const withImage = { messages: [{ role: 'user', content: [image] }] };
    expect(custom.promptTokenUpperBound(withImage)).toBe(measureChatPrompt(withImage).textTokens * 2 + 4 + 4784 + 3);
    await custom.close();
  });

  it.each([{ prompt_text_factor: 0.5 }, { prompt_image_tokens: -1 }, { default_max_tokens: 1.5 }])(
    'refuses to build with an invalid config %j',
    (config) => {
      expect(() => adapter(config)).toThrow(/config\./);
    },
  );
});
