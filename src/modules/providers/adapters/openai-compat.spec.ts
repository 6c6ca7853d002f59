import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyCompat, compatOf, OPENAI_COMPAT_DEFAULT } from '#src/modules/providers/adapters/openai-compat';

const BODY = {
  model: 'm',
  messages: [],
  stream: true,
  max_completion_tokens: 50,
  stream_options: { include_usage: true },
};

/** `### Server` headings of docs/providers/openai-compatible.md with the ```json config below each. */
function documentedExamples(): { server: string; config: Record<string, unknown> }[] {
  const doc = readFileSync(join(process.cwd(), 'docs/providers/openai-compatible.md'), 'utf8');
  return [...doc.matchAll(/^### (.+)\n[\s\S]*?```json\n([\s\S]*?)```/gm)].map((m) => ({
    server: m[1].trim(),
    config: JSON.parse(m[2]) as Record<string, unknown>,
  }));
}

describe('config.compat of the openai provider type', () => {
  it.each([
    [{}, OPENAI_COMPAT_DEFAULT],
    [{ compat: {} }, OPENAI_COMPAT_DEFAULT],
    [{ compat: { max_tokens_field: 'max_tokens' } }, { maxTokensField: 'max_tokens', streamOptions: true }],
    [{ compat: { stream_options: false } }, { maxTokensField: 'max_completion_tokens', streamOptions: false }],
  ])('reads %j', (config, expected) => {
    expect(compatOf(config)).toEqual(expected);
  });

  it.each([
    [{ compat: 'max_tokens' }, 'config.compat must be an object'],
    [{ compat: { max_token_field: 'max_tokens' } }, 'config.compat: unknown field max_token_field'],
    [{ compat: { max_tokens_field: 'max_output_tokens' } }, 'config.compat.max_tokens_field must be'],
    [{ compat: { stream_options: 'no' } }, 'config.compat.stream_options must be true or false'],
  ])('refuses %j', (config, message) => {
    expect(() => compatOf(config)).toThrow(message);
  });

  it('moves the reserved limit to max_tokens and drops stream_options when asked', () => {
    const sut = applyCompat(BODY, { maxTokensField: 'max_tokens', streamOptions: false });
    expect(sut).toEqual({ model: 'm', messages: [], stream: true, max_tokens: 50 });
  });

  it('leaves the body alone by default', () => {
    expect(applyCompat(BODY, compatOf({}))).toBe(BODY);
  });

  it('documents a working example for each server in docs/providers/openai-compatible.md', () => {
    const examples = documentedExamples();
    expect(examples.map((e) => e.server)).toEqual([
      'Ollama',
      'llama.cpp server',
      'LM Studio',
      'vLLM',
      'Groq',
      'Together AI',
    ]);
    const sent = Object.fromEntries(
      examples.map(({ server, config }) => {
        const body = applyCompat(BODY, compatOf(config));
        return [server, 'max_tokens' in body ? 'max_tokens' : 'max_completion_tokens'];
      }),
    );
    expect(sent).toEqual({
      Ollama: 'max_tokens',
      'llama.cpp server': 'max_tokens',
      'LM Studio': 'max_tokens',
      vLLM: 'max_completion_tokens',
      Groq: 'max_completion_tokens',
      'Together AI': 'max_tokens',
    });
  });
});
