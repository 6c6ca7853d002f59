import { describe, expect, it } from 'vitest';
import { describeTest } from './providers';

describe('provider connection test result', () => {
  it('says the latency and model of a working connection', () => {
    expect(describeTest({ ok: true, latency_ms: 412, model: 'gpt-4o-mini' })).toBe(
      'Connected with gpt-4o-mini in 412 ms.',
    );
  });

  it("says the provider's error with its status and code", () => {
    expect(
      describeTest({
        ok: false,
        latency_ms: 80,
        model: 'gpt-4o',
        error: {
          status: 502,
          code: 'upstream_auth_error',
          message: "Provider 'openai' rejected the gateway's credentials",
        },
      }),
    ).toBe(
      "Failed with gpt-4o after 80 ms: Provider 'openai' rejected the gateway's credentials (HTTP 502, upstream_auth_error)",
    );
    expect(
      describeTest({
        ok: false,
        latency_ms: 0,
        model: null,
        error: { status: null, code: 'no_model', message: 'No enabled model' },
      }),
    ).toBe('Failed after 0 ms: No enabled model (no_model)');
  });
});
