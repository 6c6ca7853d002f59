import { AddressPolicy } from '#src/core/net/address-guard';
import type { APIError } from 'openai';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { BedrockAdapter } from '#src/modules/providers/adapters/bedrock.adapter';
import { ProviderRepository } from '#src/modules/providers/provider.repository';
import { chatPromptUpperBound } from '#src/modules/providers/token-estimator';
import { createModel, createProvider } from '#test/factories/gateway-fixtures';
import { BEDROCK_CREDENTIALS, BedrockGateway } from '#test/providers/bedrock-gateway';

interface Case {
  name?: string;
  type: string;
  status: number;
  headers?: Record<string, string>;
  expected: { status: number; code: string; retryAfter: string | null };
}

const CASES: (Case & { name: string })[] = (
  [
    {
      type: 'ValidationException',
      status: 400,
      expected: { status: 400, code: 'ValidationException', retryAfter: null },
    },
    {
      type: 'AccessDeniedException',
      status: 403,
      expected: { status: 502, code: 'upstream_auth_error', retryAfter: null },
    },
    {
      type: 'UnrecognizedClientException',
      status: 403,
      expected: { status: 502, code: 'upstream_auth_error', retryAfter: null },
    },
    {
      type: 'ExpiredTokenException',
      status: 403,
      expected: { status: 502, code: 'upstream_auth_error', retryAfter: null },
    },
    {
      type: 'ResourceNotFoundException',
      status: 404,
      expected: { status: 502, code: 'upstream_model_not_found', retryAfter: null },
    },
    {
      type: 'ThrottlingException',
      status: 429,
      expected: { status: 429, code: 'upstream_rate_limited', retryAfter: null },
    },
    {
      name: 'with a Retry-After header',
      type: 'ThrottlingException',
      status: 429,
      headers: { 'retry-after': '9' },
      expected: { status: 429, code: 'upstream_rate_limited', retryAfter: '9' },
    },
    {
      type: 'ModelNotReadyException',
      status: 429,
      expected: { status: 503, code: 'upstream_overloaded', retryAfter: null },
    },
    {
      type: 'ServiceUnavailableException',
      status: 503,
      expected: { status: 503, code: 'upstream_overloaded', retryAfter: null },
    },
    {
      type: 'ModelTimeoutException',
      status: 408,
      expected: { status: 504, code: 'upstream_timeout', retryAfter: null },
    },
    {
      type: 'InternalServerException',
      status: 500,
      expected: { status: 502, code: 'upstream_error', retryAfter: null },
    },
    { type: 'ModelErrorException', status: 424, expected: { status: 502, code: 'upstream_error', retryAfter: null } },
  ] as Case[]
).map((c) => ({ ...c, name: `${c.type} (${c.status})${c.name ? ` ${c.name}` : ''}` }));

describe('bedrock provider: errors in OpenAI’s shape', () => {
  const gw = new BedrockGateway();
  let model: string;

  beforeAll(async () => {
    await gw.start();
    model = await gw.model();
  });
  afterAll(() => gw.stop());

  it.each(CASES)('$name becomes $expected.status $expected.code', async ({ type, status, headers, expected }) => {
    const message = `canary-message-of-${type}: arn:aws:iam::123456789012:user/gateway`;
    gw.fake.reset({ error: { status, type, message, headers } });
    const err = (await gw.client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as APIError;
    expect({ status: err.status, code: err.code, retryAfter: err.headers?.get('retry-after') ?? null }).toEqual(
      expected,
    );
    if (type === 'ValidationException') expect(err.message).toContain(message);
    else expect(err.message).not.toContain('canary-message');
  });

  it('answers 502 upstream_auth_error when Bedrock refuses the signature of the stored credentials', async () => {
    const wrong = await gw.model(undefined, { ...BEDROCK_CREDENTIALS, secret_access_key: 'canary-wrong-secret-0000' });
    gw.fake.reset();
    await expect(
      gw.client.chat.completions.create({ model: wrong, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      status: 502,
      code: 'upstream_auth_error',
    });
  });

  it('answers 502 upstream_error when Bedrock cannot be reached', async () => {
    const provider = await createProvider(gw.api, {
      name: 'bedrock-unreachable',
      type: 'bedrock',
      baseUrl: 'http://127.0.0.1:1',
      credentials: BEDROCK_CREDENTIALS,
      config: { region: 'us-east-1' },
    });
    const unreachable = await createModel(gw.api, { providerId: provider.id, name: 'claude-unreachable' });
    await expect(
      gw.client.chat.completions.create({ model: unreachable.name, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it('never signs with the default AWS credential chain for a custom endpoint: refused on write and on call', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: BEDROCK_CREDENTIALS.access_key_id,
      AWS_SECRET_ACCESS_KEY: BEDROCK_CREDENTIALS.secret_access_key,
      AWS_SESSION_TOKEN: BEDROCK_CREDENTIALS.session_token,
    });
    try {
      await expect(gw.model(undefined, {})).rejects.toMatchObject({ code: 'ambient_credentials_refused', status: 400 });
      // a row written before the write-time check: the adapter still refuses the pod's own credentials
      const row = await gw.api.get(ProviderRepository).create({
        name: 'bedrock-legacy-ambient',
        type: 'bedrock',
        baseUrl: gw.fake.url,
        config: { region: 'us-east-1' },
      });
      await gw.api.get(CacheInvalidationService).invalidate('providers');
      const legacy = await createModel(gw.api, { providerId: row.id, name: 'claude-legacy-ambient' });
      gw.fake.reset({ reply: 'signed by the chain' });
      await expect(
        gw.client.chat.completions.create({ model: legacy.name, messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toMatchObject({ status: 502, code: 'upstream_auth_error' });
      expect(gw.fake.requests).toHaveLength(0);
    } finally {
      process.env = saved;
    }
  });

  it('never shows the AWS credentials in responses or logs', async () => {
    gw.fake.reset();
    const res = await gw.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    expect(gw.fake.requests[0].headers['x-amz-security-token']).toBe(BEDROCK_CREDENTIALS.session_token);
    const logs = gw.api.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of Object.values(BEDROCK_CREDENTIALS)) {
      expect(logs).not.toContain(secret);
      expect(JSON.stringify(res)).not.toContain(secret);
    }
    expect(logs).not.toContain('canary-wrong-secret');
  });
});

describe('bedrock provider: embeddings through InvokeModel', () => {
  const gw = new BedrockGateway();
  let titan: string;
  let cohere: string;
  let claude: string;

  beforeAll(async () => {
    await gw.start();
    titan = await gw.model('amazon.titan-embed-text-v2:0');
    cohere = await gw.model('us.cohere.embed-english-v3');
    claude = await gw.model();
  });
  afterAll(() => gw.stop());
  beforeEach(() => {
    gw.fake.reset();
    gw.events.clear();
  });

  it('embeds each input with one Titan call, passing dimensions, with usage from inputTextTokenCount', async () => {
    const { data, response } = await gw.client.embeddings
      .create({ model: titan, input: ['hello world', 'bye'], encoding_format: 'float', dimensions: 256 })
      .withResponse();
    expect(data.data.map((d) => [d.index, d.embedding])).toEqual([
      [0, [0.25, -0.125, 0.0625]],
      [1, [0.25, -0.125, 0.0625]],
    ]);
    expect(data.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    // one call per input, sent concurrently: compare regardless of arrival order
    expect(
      gw.fake.requests
        .map((r) => [r.operation, r.body])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      ['invoke', { inputText: 'bye', dimensions: 256 }],
      ['invoke', { inputText: 'hello world', dimensions: 256 }],
    ]);
    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.usage).toMatchObject({ promptTokens: 5, estimated: false });
  });

  it('embeds inputs with one Cohere call as search documents, usage from the token-count header, base64 by default', async () => {
    const res = await gw.client.embeddings.create({ model: cohere, input: ['alpha beta', 'gamma'] });
    expect(res.data.map((d) => d.embedding)).toEqual([
      [0.5, -0.25, 0.125],
      [1.5, -0.25, 0.125],
    ]);
    expect(res.usage.prompt_tokens).toBe(3);
    expect(gw.fake.requests).toHaveLength(1);
    expect(gw.fake.requests[0]).toMatchObject({
      modelId: 'us.cohere.embed-english-v3',
      body: { texts: ['alpha beta', 'gamma'], input_type: 'search_document' },
    });
  });

  it('refuses embeddings for a model that is neither Titan nor Cohere with a 400', async () => {
    await expect(gw.client.embeddings.create({ model: claude, input: 'x' })).rejects.toMatchObject({
      status: 400,
      param: 'model',
    });
    expect(gw.fake.requests).toHaveLength(0);
  });
});

describe('bedrock provider: prompt upper bound for budgets', () => {
  const sut = new BedrockAdapter(
    {
      id: 'p',
      name: 'bedrock',
      type: 'bedrock',
      baseUrl: 'http://127.0.0.1:9',
      credentials: BEDROCK_CREDENTIALS,
      config: { region: 'us-east-1' },
    },
    { connectMs: 1000, idleMs: 1000, maxResponseBytes: 1 << 20, addressPolicy: new AddressPolicy(true) },
  );
  afterAll(() => sut.close());

  it('adds 60% to o200k text tokens, one token per digit and 4,800 per image', () => {
    const body = {
      messages: [
        { role: 'system', content: 'Order 4411 ships on 2025-03-14.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Where is it?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    };
    expect(sut.promptTokenUpperBound(body)).toBe(chatPromptUpperBound(body, { textFactor: 1.6, perImage: 4800 }) + 12);
  });

  it('takes the factors from config.prompt_text_factor and config.prompt_image_tokens, and refuses malformed ones', () => {
    const settings = { id: 'p', name: 'b', type: 'bedrock' as const, baseUrl: null, credentials: {} };
    const timeouts = {
      connectMs: 1000,
      idleMs: 1000,
      maxResponseBytes: 1 << 20,
      addressPolicy: new AddressPolicy(true),
    };
    const tuned = new BedrockAdapter(
      { ...settings, config: { prompt_text_factor: 2, prompt_image_tokens: 100 } },
      timeouts,
    );
    const body = {
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }] }],
    };
    expect(tuned.promptTokenUpperBound(body)).toBe(chatPromptUpperBound(body, { textFactor: 2, perImage: 100 }));
    void tuned.close();
    expect(() => new BedrockAdapter({ ...settings, config: { prompt_text_factor: 0.5 } }, timeouts)).toThrow(
      'config.prompt_text_factor must be a number of at least 1',
    );
  });
});
