import { ApiError, GoogleGenAI } from '@google/genai';
import { JWT } from 'google-auth-library';
import { Agent, setGlobalDispatcher } from 'undici';
import { FakeVertex, testServiceAccount } from '#test/utils/fake-vertex';
import { rpcError } from '#test/utils/fake-vertex.fixtures';

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** google-auth-library always posts to oauth2.googleapis.com; its own transporter is sent to the fake instead. */
function jwtClientFor(fake: FakeVertex, account: { clientEmail: string; privateKeyPem: string }): JWT {
  const jwt = new JWT({ email: account.clientEmail, key: account.privateKeyPem, scopes: [SCOPE] });
  jwt.transporter.interceptors.request.add({
    resolved: async (opts) => {
      if (String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(fake.tokenUrl);
      return opts;
    },
  });
  return jwt;
}

describe('the fake Vertex AI, checked with Google’s own clients', () => {
  let fake: FakeVertex;
  let account: ReturnType<typeof testServiceAccount>;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    // @google/genai dispatches through the global undici dispatcher, which Node installs on the real global
    // object, not on the sandbox global Jest runs tests in
    setGlobalDispatcher(new Agent());
    fake = await new FakeVertex().start();
    account = testServiceAccount(fake.tokenUrl);
    fake.trust(account.clientEmail, account.publicKey);
    ai = new GoogleGenAI({
      vertexai: true,
      project: 'canary-project-4417',
      location: 'us-central1',
      googleAuthOptions: { authClient: jwtClientFor(fake, account) },
      httpOptions: { baseUrl: fake.url, apiVersion: 'v1' },
    });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it("issues an access token for google-auth-library's signed JWT assertion", async () => {
    const { token } = await jwtClientFor(fake, account).getAccessToken();
    expect(token).toMatch(/^ya29\./);
    expect(fake.tokenRequests[0].claims).toMatchObject({ iss: account.clientEmail, scope: SCOPE });
  });

  it('refuses an assertion signed by a key it does not trust', async () => {
    const stranger = testServiceAccount(fake.tokenUrl);
    await expect(
      jwtClientFor(fake, { ...stranger, clientEmail: account.clientEmail }).getAccessToken(),
    ).rejects.toThrow(/invalid_grant/);
    expect(fake.tokenRequests).toHaveLength(0);
  });

  it('answers generateContent in the shape @google/genai reads', async () => {
    fake.reset({
      reply: 'Hi from the fake.',
      usage: { promptTokenCount: 7, candidatesTokenCount: 4, thoughtsTokenCount: 2 },
    });
    const res = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Hello',
      config: { systemInstruction: 'Be brief.', maxOutputTokens: 20 },
    });
    expect(res.text).toBe('Hi from the fake.');
    expect(res.candidates?.[0].finishReason).toBe('STOP');
    expect(res.usageMetadata).toMatchObject({ promptTokenCount: 7, candidatesTokenCount: 4, thoughtsTokenCount: 2 });
    expect(fake.requests[0]).toMatchObject({ model: 'gemini-2.5-flash', method: 'generateContent' });
    expect(fake.requests[0].body.systemInstruction).toMatchObject({ parts: [{ text: 'Be brief.' }] });
  });

  it('streams SSE events that @google/genai assembles into the whole text', async () => {
    fake.reset({ reply: 'one two three' });
    let text = '';
    let last;
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Count' })) {
      text += chunk.text ?? '';
      last = chunk;
    }
    expect(text).toBe('one two three');
    expect(last?.candidates?.[0].finishReason).toBe('STOP');
    expect(last?.usageMetadata?.promptTokenCount).toBe(265);
    expect(fake.requests[0].query).toBe('alt=sse');
  });

  it('returns function calls that @google/genai exposes as functionCalls', async () => {
    fake.reset({ functionCall: { name: 'get_weather', args: { city: 'Paris' } } });
    const res = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Paris?',
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                parameters: { type: 'OBJECT' as never, properties: { city: { type: 'STRING' as never } } },
              },
            ],
          },
        ],
      },
    });
    expect(res.functionCalls).toEqual([{ name: 'get_weather', args: { city: 'Paris' } }]);
  });

  it('answers :predict with embeddings and token statistics that @google/genai reads', async () => {
    const res = await ai.models.embedContent({ model: 'text-embedding-005', contents: ['alpha beta', 'gamma'] });
    expect(res.embeddings).toHaveLength(2);
    expect(res.embeddings?.[0]).toMatchObject({ values: [0.0125, -0.0390625, 0.5], statistics: { tokenCount: 3 } });
    expect(fake.requests[0]).toMatchObject({
      method: 'predict',
      body: { instances: [{ content: 'alpha beta' }, { content: 'gamma' }] },
    });
  });

  it('sends google.rpc errors that @google/genai raises as ApiError with their status', async () => {
    fake.reset({ error: { status: 429, body: rpcError(429, 'RESOURCE_EXHAUSTED', 'Resource exhausted.') } });
    const err: unknown = await ai.models
      .generateContent({ model: 'gemini-2.5-flash', contents: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).message).toContain('Resource exhausted.');
  });

  it('rejects calls without a token it issued, as Vertex does', async () => {
    const res = await fetch(`${fake.url}/v1/projects/p/locations/l/publishers/google/models/m:generateContent`, {
      method: 'POST',
      headers: { authorization: 'Bearer ya29.forged', 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { status: 'UNAUTHENTICATED' } });
  });
});
