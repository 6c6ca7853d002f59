import type OpenAI from 'openai';
import { errorBody, FakeAnthropic } from '#test/utils/fake-anthropic';
import { waitFor } from '#test/utils/processes';
import { type ProviderGateway, sseData, startProviderGateway } from '#test/providers/provider-gateway';

const CANARY = 'sk-ant-canary-errors-0f4e2a9b73';

interface ErrorCase {
  upstreamStatus: number;
  type: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  errorType: string;
  retryAfter?: string;
  /** Anthropic's message reaches the client (its own 400/413) or must not (everything else). */
  passesMessage: boolean;
}

const ERRORS: [string, ErrorCase][] = [
  [
    '429 rate_limit_error → 429 upstream_rate_limited with its Retry-After',
    {
      upstreamStatus: 429,
      type: 'rate_limit_error',
      headers: { 'retry-after': '12' },
      status: 429,
      code: 'upstream_rate_limited',
      errorType: 'rate_limit_error',
      retryAfter: '12',
      passesMessage: false,
    },
  ],
  [
    '529 overloaded_error → 503 upstream_overloaded',
    {
      upstreamStatus: 529,
      type: 'overloaded_error',
      status: 503,
      code: 'upstream_overloaded',
      errorType: 'api_error',
      passesMessage: false,
    },
  ],
  [
    '400 invalid_request_error → 400 with Anthropic code and message',
    {
      upstreamStatus: 400,
      type: 'invalid_request_error',
      status: 400,
      code: 'invalid_request_error',
      errorType: 'invalid_request_error',
      passesMessage: true,
    },
  ],
  [
    '413 request_too_large → 413 with Anthropic code and message',
    {
      upstreamStatus: 413,
      type: 'request_too_large',
      status: 413,
      code: 'request_too_large',
      errorType: 'invalid_request_error',
      passesMessage: true,
    },
  ],
  [
    '401 authentication_error → 502 upstream_auth_error',
    {
      upstreamStatus: 401,
      type: 'authentication_error',
      status: 502,
      code: 'upstream_auth_error',
      errorType: 'api_error',
      passesMessage: false,
    },
  ],
  [
    '403 permission_error → 502 upstream_auth_error',
    {
      upstreamStatus: 403,
      type: 'permission_error',
      status: 502,
      code: 'upstream_auth_error',
      errorType: 'api_error',
      passesMessage: false,
    },
  ],
  [
    '404 not_found_error → 502 upstream_model_not_found',
    {
      upstreamStatus: 404,
      type: 'not_found_error',
      status: 502,
      code: 'upstream_model_not_found',
      errorType: 'api_error',
      passesMessage: false,
    },
  ],
  [
    '500 api_error → 502 upstream_error',
    {
      upstreamStatus: 500,
      type: 'api_error',
      status: 502,
      code: 'upstream_error',
      errorType: 'api_error',
      passesMessage: false,
    },
  ],
];

describe('anthropic provider: errors, aborts and secrets', () => {
  let fake: FakeAnthropic;
  let gw: ProviderGateway;
  let client: OpenAI;

  const post = (body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> =>
    fetch(`${gw.api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], ...body }),
      signal,
    });

  beforeAll(async () => {
    fake = await new FakeAnthropic(CANARY).start();
    gw = await startProviderGateway({
      type: 'anthropic',
      baseUrl: fake.url,
      credentials: { api_key: CANARY },
      providerModelId: 'claude-sonnet-4-6',
      model: 'claude',
    });
    client = gw.client;
  });
  afterAll(async () => {
    await gw.api.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    gw.events.clear();
  });

  it.each(ERRORS)('translates %s, streamed and not', async (_name, c) => {
    // bodies whose message must not pass echo the key, as a provider might on auth errors
    const upstreamMessage = c.passesMessage ? `messages.0.content: ${c.type}` : `${c.type} for key ${CANARY}`;
    fake.reset({ error: { status: c.upstreamStatus, body: errorBody(c.type, upstreamMessage), headers: c.headers } });
    for (const stream of [false, true]) {
      const res = await post({ stream });
      expect(res.status).toBe(c.status);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('retry-after')).toBe(c.retryAfter ?? null);
      const { error } = (await res.json()) as { error: { code: string; type: string; message: string } };
      expect(error).toMatchObject({ code: c.code, type: c.errorType });
      if (c.passesMessage) expect(error.message).toBe(upstreamMessage);
      else expect(error.message).not.toContain(c.type);
      expect(error.message).not.toContain(CANARY);
    }
  });

  it('answers 503 JSON when an overloaded_error event arrives before any content', async () => {
    fake.reset({ streamError: { afterEvents: 0 } });
    const res = await post({ stream: true });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_overloaded');
  });

  it('ends a stream with an upstream_overloaded error event, and no [DONE], when Anthropic sends an error event mid-stream', async () => {
    fake.reset({ reply: 'one two three four', streamError: { afterEvents: 5 } });
    const res = await post({ stream: true });
    expect(res.status).toBe(200);
    const data = await sseData(res);
    const chunks = data.map((d) => JSON.parse(d) as Record<string, unknown>);
    const text = chunks.map(
      (c) => (c.choices as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? '',
    );
    expect(text.join('')).toBe('one two ');
    expect(chunks.at(-1)).toMatchObject({ error: { code: 'upstream_overloaded', type: 'api_error' } });
    expect(data).not.toContain('[DONE]');
    const event = await gw.events.forCall(res.headers.get('x-gateway-call-id')!);
    expect(event).toMatchObject({ status: 503, errorCode: 'upstream_overloaded', usage: { estimated: true } });
  });

  it('ends a stream cut before message_stop with an upstream_error event instead of [DONE]', async () => {
    fake.reset({ reply: 'one two three four', truncateAfter: 5 });
    const res = await post({ stream: true });
    const data = await sseData(res);
    expect(JSON.parse(data.at(-1)!)).toMatchObject({ error: { code: 'upstream_error' } });
    expect(data).not.toContain('[DONE]');
  });

  it('aborts the Anthropic request when the client leaves mid-stream, and bills what was generated as 499', async () => {
    fake.reset({ reply: 'one two three', hang: true });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    let received = '';
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta?.content ?? '';
      if (received) break; // leaving the loop aborts the SDK's request
    }
    expect(received).toBe('one ');
    await waitFor(async () => (fake.requests[0]?.aborted ? true : undefined), 10_000, 20);
    const event = await gw.events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event).toMatchObject({ status: 499, usage: { estimated: true } });
    expect(event.usage.completionTokens).toBeGreaterThan(0);
  });

  it('never shows the provider key in responses, call events or logs', async () => {
    fake.reset({ error: { status: 401, body: errorBody('authentication_error', `invalid x-api-key: ${CANARY}`) } });
    const res = await post({});
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(text).not.toContain(CANARY);
    expect(fake.requests[0].headers['x-api-key']).toBe(CANARY);
    const logs = gw.api.logs.text();
    expect(logs).toContain('upstream_auth_error');
    expect(logs).not.toContain(CANARY);
    expect(JSON.stringify(gw.events.events)).not.toContain(CANARY);
  });
});

describe('anthropic provider: a slow Anthropic', () => {
  let fake: FakeAnthropic;
  let gw: ProviderGateway;

  beforeAll(async () => {
    fake = await new FakeAnthropic(CANARY).start();
    gw = await startProviderGateway({
      type: 'anthropic',
      baseUrl: fake.url,
      credentials: { api_key: CANARY },
      providerModelId: 'claude-sonnet-4-6',
      model: 'claude',
      env: { UPSTREAM_TIMEOUT: '400ms' },
    });
  });
  afterAll(async () => {
    await gw.api.close();
    await fake.stop();
  });

  it('answers 504 upstream_timeout when Anthropic sends no headers within UPSTREAM_TIMEOUT', async () => {
    fake.reset({ delayMs: 2000 });
    const err = await gw.client.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(fake.requests).toHaveLength(1);
  });
});
