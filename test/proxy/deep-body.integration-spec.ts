import { DEEP_BODY_PLACEHOLDER } from '#src/core/http/body-depth';
import { loginEveryRole } from '#test/factories/admin-fixtures';
import { createGateway } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

/** `levels` nested objects as JSON text (the outermost is level 1). */
const nested = (levels: number): string => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);

/** Issue 14 item 11: a body nested deeper than 64 levels is refused with 400 in each surface's shape. */
describe('deeply nested request bodies', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  let events: EventCapture;
  let gw: Awaited<ReturnType<typeof createGateway>>;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    events = new EventCapture(api);
    gw = await createGateway(api, upstream.url);
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.reset();
    events.clear();
  });

  const post = (path: string, body: string, token?: string): Promise<Response> =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  const chatBody = (extra: string): string =>
    `{"model":"${gw.model}","messages":[{"role":"user","content":"hi"}],"metadata_x":${extra}}`;

  it.each([
    ['/v1/chat/completions', (deep: string) => chatBody(deep)],
    ['/v1/embeddings', (deep: string) => `{"model":"${gw.model}","input":"hi","x":${deep}}`],
  ])('refuses a 100,000-level body on %s with 400 in OpenAI shape and audits a placeholder', async (path, body) => {
    const res = await post(path, body(nested(100_000)), gw.key);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: 'The request body is nested deeper than 64 levels.',
        type: 'invalid_request_error',
        param: null,
        code: 'body_too_deep',
      },
    });
    const event = await events.forCall(res.headers.get('x-gateway-call-id')!);
    expect(event).toMatchObject({ status: 400, errorCode: 'body_too_deep', admitted: false });
    expect(event.requestBody).toBe(DEEP_BODY_PLACEHOLDER);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses 65 levels and passes 64 through to the provider', async () => {
    // the top-level object is level 1, so the field adds 63 or 64 levels
    expect((await post('/v1/chat/completions', chatBody(nested(64)), gw.key)).status).toBe(400);
    const ok = await post('/v1/chat/completions', chatBody(nested(63)), gw.key);
    expect(ok.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });

  it('refuses a 100,000-level body on admin routes with 400 in the admin shape, public or not', async () => {
    const t = await loginEveryRole(api);
    const login = await post('/admin/auth/login', `{"email":"a@example.com","password":"x","x":${nested(100_000)}}`);
    const provider = await post(
      '/admin/providers',
      `{"name":"deep","type":"openai","base_url":"http://127.0.0.1:9/v1","credentials":{"api_key":"k"},"config":${nested(100_000)}}`,
      t.admin,
    );
    for (const res of [login, provider]) {
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        statusCode: 400,
        message: 'The request body is nested deeper than 64 levels.',
        error: 'Bad Request',
      });
    }
  });
});
