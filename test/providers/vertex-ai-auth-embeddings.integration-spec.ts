import { AddressPolicy } from '#src/core/net/address-guard';
import { VertexAiAdapter } from '#src/modules/providers/adapters/vertex-ai.adapter';
import { chatPromptUpperBound, countTextTokens } from '#src/modules/providers/token-estimator';
import { VertexGateway } from '#test/providers/vertex-gateway';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('vertex-ai provider: service-account tokens', () => {
  const gw = new VertexGateway();

  beforeAll(() => gw.start());
  afterAll(() => gw.stop());
  beforeEach(() => gw.fake.reset());

  it('fetches one token for many concurrent calls and reuses it for later ones', async () => {
    const model = await gw.model(undefined, gw.freshAccount());
    gw.fake.reset({ tokenDelayMs: 300 });
    await Promise.all(Array.from({ length: 6 }, () => gw.client.chat.completions.create({ model, ...hi })));
    await gw.client.chat.completions.create({ model, ...hi });
    expect(gw.fake.requests).toHaveLength(7);
    expect(gw.fake.tokenRequests).toHaveLength(1);
    const { header, claims } = gw.fake.tokenRequests[0];
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.stringMatching(/^canary-key-id-/) });
    expect(claims).toMatchObject({
      iss: expect.stringMatching(/^gateway-[0-9a-f]{8}@canary-project-4417\.iam\.gserviceaccount\.com$/),
      aud: gw.fake.tokenUrl,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it('keeps its token when the registry rebuilds the adapters after a provider change', async () => {
    const model = await gw.model(undefined, gw.freshAccount());
    await gw.client.chat.completions.create({ model, ...hi });
    await gw.model(); // any provider change rebuilds every adapter
    await gw.client.chat.completions.create({ model, ...hi });
    expect(gw.fake.requests).toHaveLength(2);
    expect(gw.fake.tokenRequests).toHaveLength(1);
  });

  it('refreshes the token when it nears expiry, before Vertex would refuse it', async () => {
    const model = await gw.model(undefined, gw.freshAccount());
    // a 3 s token is refreshed once a quarter of its life is left (after 2.25 s)
    gw.fake.reset({ tokenExpiresIn: 3 });
    await gw.client.chat.completions.create({ model, ...hi });
    await gw.client.chat.completions.create({ model, ...hi });
    expect(gw.fake.tokenRequests).toHaveLength(1);
    await sleep(2600);
    await gw.client.chat.completions.create({ model, ...hi });
    expect(gw.fake.tokenRequests).toHaveLength(2);
    const tokens = gw.fake.requests.map((r) => r.headers.authorization);
    expect(tokens[2]).not.toBe(tokens[0]);
  });

  it('drops a token Vertex no longer accepts, so the next call fetches a new one', async () => {
    const model = await gw.model(undefined, gw.freshAccount());
    await gw.client.chat.completions.create({ model, ...hi });
    gw.fake.revokeTokens();
    await expect(gw.client.chat.completions.create({ model, ...hi })).rejects.toMatchObject({
      status: 502,
      code: 'upstream_auth_error',
    });
    await gw.client.chat.completions.create({ model, ...hi });
    expect(gw.fake.tokenRequests).toHaveLength(2);
  });
});

describe('vertex-ai provider: embeddings through :predict', () => {
  const gw = new VertexGateway();
  let model: string;
  let geminiEmbedding: string;

  beforeAll(async () => {
    await gw.start();
    model = await gw.model('text-embedding-005');
    geminiEmbedding = await gw.model('gemini-embedding-001');
  });
  afterAll(() => gw.stop());
  beforeEach(() => {
    gw.fake.reset();
    gw.events.clear();
  });

  it('returns floats with usage from the token statistics, and passes dimensions as outputDimensionality', async () => {
    const { data, response } = await gw.client.embeddings
      .create({ model, input: ['alpha beta', 'gamma'], encoding_format: 'float', dimensions: 256 })
      .withResponse();
    expect(data.data.map((d) => d.embedding)).toEqual([
      [0.0125, -0.0390625, 0.5],
      [0.025, -0.0390625, 0.5],
    ]);
    expect(data.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    expect(gw.fake.requests[0]).toMatchObject({
      method: 'predict',
      model: 'text-embedding-005',
      body: { instances: [{ content: 'alpha beta' }, { content: 'gamma' }], parameters: { outputDimensionality: 256 } },
    });
    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.usage).toMatchObject({ promptTokens: 5, estimated: false });
  });

  it('encodes base64, the openai SDK default, from the floats Vertex returns', async () => {
    const res = await gw.client.embeddings.create({ model, input: 'alpha' });
    const [a, b, c] = res.data[0].embedding;
    expect(a).toBeCloseTo(0.0125, 6);
    expect([b, c]).toEqual([-0.0390625, 0.5]);
    expect(gw.fake.requests[0].body).toEqual({ instances: [{ content: 'alpha' }] });
  });

  it('sends gemini-embedding inputs one per request, as that model requires, and keeps their order', async () => {
    const res = await gw.client.embeddings.create({
      model: geminiEmbedding,
      input: ['a', 'b', 'c'],
      encoding_format: 'float',
    });
    expect(gw.fake.requests).toHaveLength(3);
    expect(gw.fake.requests.every((r) => (r.body.instances as unknown[]).length === 1)).toBe(true);
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(res.usage.prompt_tokens).toBe(6);
  });

  it('refuses token-array input with a 400', async () => {
    await expect(gw.client.embeddings.create({ model, input: [[1, 2, 3]] })).rejects.toMatchObject({
      status: 400,
      param: 'input',
    });
    expect(gw.fake.requests).toHaveLength(0);
  });
});

describe('vertex-ai provider: prompt upper bound for budgets', () => {
  const sut = new VertexAiAdapter(
    {
      id: 'p',
      name: 'vertex',
      type: 'vertex-ai',
      baseUrl: 'http://127.0.0.1:9',
      credentials: {},
      config: { project_id: 'p' },
    },
    { connectMs: 1000, idleMs: 1000, maxResponseBytes: 1 << 20, addressPolicy: new AddressPolicy(true) },
  );
  afterAll(() => sut.close());

  it('adds 25% to o200k text tokens, one token per digit and 4,128 per image', () => {
    const text = 'The invoice 20250314 totals 98765 euros.';
    const body = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text },
            { type: 'image_url', image_url: { url: 'gs://b/x.png' } },
          ],
        },
      ],
    };
    expect(sut.promptTokenUpperBound(body)).toBe(chatPromptUpperBound(body, { textFactor: 1.5, perImage: 4128 }) + 13);
    expect(sut.promptTokenUpperBound(body)).toBeGreaterThan(countTextTokens(text) + 4128);
  });

  it('bounds embeddings input the same way', () => {
    expect(sut.promptTokenUpperBound({ input: ['abc 123', 'def'] })).toBe(
      Math.ceil((countTextTokens('abc 123') + countTextTokens('def')) * 1.5) + 3,
    );
  });
});
