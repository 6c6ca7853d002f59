import type { APIError } from 'openai';
import { VertexGateway } from '#test/providers/vertex-gateway';
import { rpcError } from '#test/utils/fake-vertex.fixtures';

const RETRY_25S = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '25s' }];

interface Case {
  name: string;
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  expected: { status: number; code: string; retryAfter: string | null };
  /** The Vertex message passes on only for requests Vertex refused (400). */
  passesMessage: boolean;
}

const CASES: Case[] = [
  {
    name: '400 INVALID_ARGUMENT keeps 400 and the message',
    status: 400,
    body: rpcError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument: temperature.'),
    expected: { status: 400, code: 'invalid_argument', retryAfter: null },
    passesMessage: true,
  },
  {
    name: '400 FAILED_PRECONDITION keeps 400 and the message',
    status: 400,
    body: rpcError(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'),
    expected: { status: 400, code: 'failed_precondition', retryAfter: null },
    passesMessage: true,
  },
  {
    name: '401 UNAUTHENTICATED becomes 502 upstream_auth_error',
    status: 401,
    body: rpcError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
    expected: { status: 502, code: 'upstream_auth_error', retryAfter: null },
    passesMessage: false,
  },
  {
    name: '403 PERMISSION_DENIED becomes 502 upstream_auth_error',
    status: 403,
    body: rpcError(403, 'PERMISSION_DENIED', "Permission 'aiplatform.endpoints.predict' denied on resource."),
    expected: { status: 502, code: 'upstream_auth_error', retryAfter: null },
    passesMessage: false,
  },
  {
    name: '404 NOT_FOUND becomes 502 upstream_model_not_found',
    status: 404,
    body: rpcError(404, 'NOT_FOUND', 'Publisher Model `gemini-9` was not found.'),
    expected: { status: 502, code: 'upstream_model_not_found', retryAfter: null },
    passesMessage: false,
  },
  {
    name: "429 RESOURCE_EXHAUSTED becomes 429 with RetryInfo's delay as Retry-After",
    status: 429,
    body: rpcError(429, 'RESOURCE_EXHAUSTED', 'Resource exhausted. Please try again later.', RETRY_25S),
    expected: { status: 429, code: 'upstream_rate_limited', retryAfter: '25' },
    passesMessage: false,
  },
  {
    name: '429 without RetryInfo passes its Retry-After header on',
    status: 429,
    body: rpcError(429, 'RESOURCE_EXHAUSTED', 'Resource exhausted.'),
    headers: { 'retry-after': '7' },
    expected: { status: 429, code: 'upstream_rate_limited', retryAfter: '7' },
    passesMessage: false,
  },
  {
    name: '503 UNAVAILABLE becomes 503 upstream_overloaded',
    status: 503,
    body: rpcError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
    expected: { status: 503, code: 'upstream_overloaded', retryAfter: null },
    passesMessage: false,
  },
  {
    name: '500 INTERNAL becomes 502 upstream_error',
    status: 500,
    body: rpcError(500, 'INTERNAL', 'Internal error encountered.'),
    expected: { status: 502, code: 'upstream_error', retryAfter: null },
    passesMessage: false,
  },
  {
    name: '504 DEADLINE_EXCEEDED becomes 502 upstream_error',
    status: 504,
    body: rpcError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'),
    expected: { status: 502, code: 'upstream_error', retryAfter: null },
    passesMessage: false,
  },
];

describe('vertex-ai provider: errors in OpenAI’s shape', () => {
  const gw = new VertexGateway();
  let model: string;

  beforeAll(async () => {
    await gw.start();
    model = await gw.model();
  });
  afterAll(() => gw.stop());
  beforeEach(() => gw.fake.reset());

  it.each(CASES)('$name', async ({ status, body, headers, expected, passesMessage }) => {
    gw.fake.reset({ error: { status, body, headers } });
    const err = (await gw.client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as APIError;
    expect({ status: err.status, code: err.code, retryAfter: err.headers?.get('retry-after') ?? null }).toEqual(
      expected,
    );
    const vertexMessage = (body.error as { message: string }).message;
    if (passesMessage) expect(err.message).toContain(vertexMessage);
    else expect(err.message).not.toContain(vertexMessage);
  });

  it('answers 502 upstream_auth_error when the token endpoint refuses the service account key', async () => {
    const fresh = await gw.model(undefined, gw.freshAccount());
    gw.fake.reset({ refuseTokens: true });
    const err = (await gw.client.chat.completions
      .create({ model: fresh, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as APIError;
    expect({ status: err.status, code: err.code }).toEqual({ status: 502, code: 'upstream_auth_error' });
    expect(gw.fake.requests).toHaveLength(0);
  });

  it('answers 502 upstream_auth_error, without quoting it, when the stored key is not a usable key file', async () => {
    const broken = await gw.model('gemini-2.5-flash', {
      service_account_json: '{"type":"service_account","private_key":"canary-not-a-pem-7731"',
    });
    const err = (await gw.client.chat.completions
      .create({ model: broken, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as APIError;
    expect({ status: err.status, code: err.code }).toEqual({ status: 502, code: 'upstream_auth_error' });
    expect(JSON.stringify(err.error)).not.toContain('canary-not-a-pem');
    expect(gw.api.logs.text()).not.toContain('canary-not-a-pem');
  });

  it('never shows the service account key or its access tokens in responses or logs', async () => {
    await gw.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    const keyFile = JSON.parse(gw.account.json) as { private_key: string; private_key_id: string };
    const keyLine = keyFile.private_key.split('\n')[5];
    const logs = gw.api.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    for (const canary of [keyLine, keyFile.private_key_id, 'canary-access-token', 'BEGIN PRIVATE KEY']) {
      expect(logs).not.toContain(canary);
    }
  });
});
