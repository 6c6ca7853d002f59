import { cacheKeyOf, canonicalJson } from '#src/modules/response-cache/cache-key';

describe('response cache key', () => {
  const base = {
    scope: 'key' as const,
    scopeId: 'key-a',
    resolved: 'model:1',
    api: 'chat' as const,
    body: { model: 'm', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 },
  };

  it('writes objects with sorted keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it('is the SHA-256 (hex) of the canonical scope, model, API and body, as every pod of any version computes it', () => {
    // fixed: a rolling deploy whose pods computed other keys would miss every entry the old pods stored
    expect(cacheKeyOf(base)).toBe('79d6b4900aee05f0e4f6b183e5885ee4972f2f57473a89cd8f496e0f59336a03');
  });

  it('ignores key order, stream, stream_options, user and metadata', () => {
    const same = cacheKeyOf({
      ...base,
      body: {
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
        user: 'someone',
        metadata: { user_id: 'x' },
        messages: [{ content: 'Hi', role: 'user' }],
        model: 'm',
      },
    });
    expect(same).toBe(cacheKeyOf(base));
  });

  it.each([
    ['another key', { scopeId: 'key-b' }],
    ['the global scope', { scope: 'global' as const, scopeId: null }],
    ['another resolved model', { resolved: 'model:2' }],
    ['another API', { api: 'responses' as const }],
    ['another body', { body: { ...base.body, temperature: 1 } }],
  ])('differs for %s', (_name, change) => {
    expect(cacheKeyOf({ ...base, ...change })).not.toBe(cacheKeyOf(base));
  });
});
