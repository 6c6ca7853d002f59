import { generateKeyPairSync, type KeyObject, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  envelope,
  type GeminiUsage,
  predictResponse,
  rpcError,
  usageMetadata,
  validateGenerateRequest,
} from '#test/utils/fake-vertex.fixtures';
import type { FakeAnthropicOptions } from '#test/utils/fake-anthropic';
import { ClaudeScript, claudeEnvelopeProblem, errorBodyOf } from '#test/utils/fake-claude';

type Json = Record<string, unknown>;

export interface VertexRequest {
  path: string;
  model: string;
  method: 'generateContent' | 'streamGenerateContent' | 'predict' | 'rawPredict' | 'streamRawPredict';
  query: string;
  headers: IncomingMessage['headers'];
  body: Json;
  /** True when the client closed the connection before the answer was complete. */
  aborted: boolean;
}

export interface TokenRequest {
  header: Json;
  claims: Json;
}

export interface FakeVertexOptions {
  reply?: string;
  /** Answer with a function call (whole, as Gemini sends it). */
  functionCall?: { name: string; args: Json; thoughtSignature?: string };
  /** With `functionCall`: make it only when the request offers tools and has no functionResponse yet, else answer text. */
  toolCallWhenOffered?: boolean;
  finishReason?: string;
  usage?: GeminiUsage;
  /** Answer generate/predict with this status and google.rpc body. */
  error?: { status: number; body: Json; headers?: Record<string, string> };
  /** Stream this many events, then an `{error}` event, then close. */
  failStreamAfter?: number;
  /** Keep the stream open after the text until the client leaves. */
  hang?: boolean;
  chunkDelayMs?: number;
  /** No candidates: the prompt was blocked with this reason. */
  blockReason?: string;
  tokenExpiresIn?: number;
  tokenDelayMs?: number;
  /** The token endpoint refuses every assertion. */
  refuseTokens?: boolean;
  /** How Claude models answer rawPredict / streamRawPredict (Anthropic's Messages format). */
  claude?: FakeAnthropicOptions;
  /** count-tokens:rawPredict answers this many input tokens. */
  countTokens?: number;
}

/** The `anthropic-beta` flags this fake's Claude models take (Vertex answers 400 to others). */
export const VERTEX_FAKE_BETAS = ['interleaved-thinking-2025-05-14', 'context-1m-2025-08-07'];

/** A throwaway service account whose key file points its `token_uri` at `tokenUri`. */
export function testServiceAccount(
  tokenUri: string,
  projectId = 'canary-project-4417',
): {
  json: string;
  clientEmail: string;
  publicKey: KeyObject;
  privateKeyPem: string;
} {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clientEmail = `gateway-${randomBytes(4).toString('hex')}@${projectId}.iam.gserviceaccount.com`;
  const json = JSON.stringify({
    type: 'service_account',
    project_id: projectId,
    private_key_id: `canary-key-id-${randomBytes(6).toString('hex')}`,
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: '100000000000000000001',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  });
  return { json, clientEmail, publicKey, privateKeyPem };
}

// unref: a fake provider still delaying an answer when its test ends must not keep the Jest worker alive
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
const MODEL_PATH =
  /^\/(v1|v1beta1)\/projects\/[^/]+\/locations\/[^/]+\/publishers\/(?:google\/models\/([^/:]+):(generateContent|streamGenerateContent|predict)|anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict))(?:\?(.*))?$/;
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/**
 * A local Vertex AI: Google's OAuth2 token endpoint (JWT-bearer grant, verifying the assertion's RS256
 * signature against the trusted service account's public key and its claims, per
 * https://developers.google.com/identity/protocols/oauth2/service-account#httprest), generateContent,
 * streamGenerateContent?alt=sse and :predict, with google.rpc error bodies. Model calls need a token it
 * issued and that has not expired.
 */
export class FakeVertex {
  readonly requests: VertexRequest[] = [];
  readonly tokenRequests: TokenRequest[] = [];
  options: FakeVertexOptions = {};
  url = '';
  private server?: Server;
  private readonly trusted = new Map<string, KeyObject>();
  private readonly issued = new Map<string, number>();
  private seq = 0;

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  trust(clientEmail: string, publicKey: KeyObject): void {
    this.trusted.set(clientEmail, publicKey);
  }

  reset(options: FakeVertexOptions = {}): void {
    this.requests.length = 0;
    this.tokenRequests.length = 0;
    this.options = options;
  }

  /** Forgets every issued token, as if Google had revoked them. */
  revokeTokens(): void {
    this.issued.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/token') return this.token(raw, res);
    const m = MODEL_PATH.exec(req.url ?? '');
    if (!m) return send(res, 404, rpcError(404, 'NOT_FOUND', `The requested URL ${req.url} was not found.`));
    const received: VertexRequest = {
      path: req.url ?? '',
      model: decodeURIComponent(m[2] ?? m[4]),
      method: (m[3] ?? m[5]) as VertexRequest['method'],
      query: m[6] ?? '',
      headers: req.headers,
      body: raw ? (JSON.parse(raw) as Json) : {},
      aborted: false,
    };
    this.requests.push(received);
    res.on('close', () => {
      if (!res.writableFinished) received.aborted = true;
    });
    const expiry = this.issued.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (expiry === undefined || expiry < Date.now()) {
      const msg =
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.';
      return send(res, 401, rpcError(401, 'UNAUTHENTICATED', msg));
    }
    const o = this.options;
    if (o.error) return send(res, o.error.status, o.error.body, o.error.headers);
    if (received.method === 'predict') return this.predict(received, res);
    if (received.method === 'rawPredict' || received.method === 'streamRawPredict') return this.claude(received, res);
    const invalid = validateGenerateRequest(received.body);
    if (invalid) return send(res, 400, invalid);
    if (received.method === 'generateContent') return send(res, 200, this.completion(received));
    if (received.query !== 'alt=sse')
      return send(res, 400, rpcError(400, 'INVALID_ARGUMENT', 'this fake streams SSE only'));
    return this.stream(received, res);
  }

  private async token(raw: string, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(raw);
    if (this.options.tokenDelayMs) await sleep(this.options.tokenDelayMs);
    const refuse = (): void => send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    }
    const [h, c, sig] = (form.get('assertion') ?? '').split('.');
    if (!h || !c || !sig || this.options.refuseTokens) return refuse();
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Json;
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Json;
    const key = this.trusted.get(String(claims.iss));
    const nowS = Date.now() / 1000;
    const valid =
      header.alg === 'RS256' &&
      key !== undefined &&
      verify('RSA-SHA256', Buffer.from(`${h}.${c}`), key, Buffer.from(sig, 'base64url')) &&
      (claims.aud === this.tokenUrl || claims.aud === GOOGLE_TOKEN_URL) &&
      String(claims.scope).split(' ').includes('https://www.googleapis.com/auth/cloud-platform') &&
      typeof claims.iat === 'number' &&
      typeof claims.exp === 'number' &&
      claims.iat <= nowS + 60 &&
      claims.exp > nowS &&
      claims.exp - claims.iat <= 3600;
    if (!valid) return refuse();
    this.tokenRequests.push({ header, claims });
    const expiresIn = this.options.tokenExpiresIn ?? 3599;
    const token = `ya29.canary-access-token-${++this.seq}-${randomBytes(4).toString('hex')}`;
    this.issued.set(token, Date.now() + expiresIn * 1000);
    send(res, 200, { access_token: token, expires_in: expiresIn, token_type: 'Bearer' });
  }

  /** The function call to answer to this request, if any. */
  private functionCall(body: Json): FakeVertexOptions['functionCall'] {
    const o = this.options;
    if (!o.functionCall || !o.toolCallWhenOffered) return o.functionCall;
    const offered = Array.isArray(body.tools) && body.tools.length > 0;
    const answered = ((body.contents ?? []) as Json[]).some((c) =>
      ((c.parts ?? []) as Json[]).some((p) => 'functionResponse' in p),
    );
    return offered && !answered ? o.functionCall : undefined;
  }

  private parts(functionCall: FakeVertexOptions['functionCall']): Json[] {
    const o = this.options;
    if (functionCall) {
      const { name, args, thoughtSignature } = functionCall;
      return [{ functionCall: { name, args }, ...(thoughtSignature ? { thoughtSignature } : {}) }];
    }
    return [{ text: o.reply ?? 'The image shows a table with a vase of flowers.' }];
  }

  private usage(): Json {
    return usageMetadata(this.options.usage ?? { promptTokenCount: 265, candidatesTokenCount: 35 });
  }

  private completion(r: VertexRequest): Json {
    const o = this.options;
    const functionCall = this.functionCall(r.body);
    const base = envelope(r.model, `resp-${++this.seq}`);
    if (o.blockReason) return { promptFeedback: { blockReason: o.blockReason }, usageMetadata: this.usage(), ...base };
    const count = Number((r.body.generationConfig as Json | undefined)?.candidateCount ?? 1);
    const candidates = Array.from({ length: count }, (_, index) => ({
      content: { role: 'model', parts: this.parts(functionCall) },
      finishReason: o.finishReason ?? 'STOP',
      avgLogprobs: -0.3069,
      ...(count > 1 ? { index } : {}),
    }));
    return { candidates, usageMetadata: this.usage(), ...base };
  }

  private async stream(r: VertexRequest, res: ServerResponse): Promise<void> {
    const o = this.options;
    const functionCall = this.functionCall(r.body);
    const base = envelope(r.model, `resp-${++this.seq}`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-vertex-ai-llm-request-type': 'shared' });
    const event = (e: Json): boolean =>
      !res.destroyed && res.write(`data: ${JSON.stringify({ ...e, ...base })}\r\n\r\n`);
    if (o.blockReason) {
      event({ promptFeedback: { blockReason: o.blockReason }, usageMetadata: this.usage() });
      return void res.end();
    }
    const words = functionCall ? [] : (o.reply ?? 'Hello there, streaming world!').split(/(?<= )/);
    for (const [i, word] of words.entries()) {
      if (o.failStreamAfter !== undefined && i >= o.failStreamAfter) {
        res.end(`data: ${JSON.stringify(rpcError(500, 'INTERNAL', 'Internal error encountered.'))}\r\n\r\n`);
        return;
      }
      event({
        candidates: [{ content: { role: 'model', parts: [{ text: word }] } }],
        usageMetadata: { trafficType: 'ON_DEMAND' },
      });
      if (o.chunkDelayMs) await sleep(o.chunkDelayMs);
    }
    while (o.hang && !res.destroyed) await sleep(20);
    if (res.destroyed) return;
    const last = functionCall ? this.parts(functionCall) : [{ text: '' }];
    event({
      candidates: [{ content: { role: 'model', parts: last }, finishReason: o.finishReason ?? 'STOP' }],
      usageMetadata: this.usage(),
    });
    res.end();
  }

  /** Claude: Anthropic's message or SSE events; `count-tokens:rawPredict` takes the model in the body. */
  private async claude(r: VertexRequest, res: ServerResponse): Promise<void> {
    const o = this.options;
    const anthropicError = (message: string): void => send(res, 400, errorBodyOf('invalid_request_error', message));
    if (r.model === 'count-tokens') {
      const { model, ...rest } = r.body;
      if (typeof model !== 'string') return anthropicError('model: Field required');
      const problem = claudeEnvelopeProblem(
        { ...rest, anthropic_version: 'vertex-2023-10-16', max_tokens: 1 },
        { version: 'vertex-2023-10-16', betas: [], accepted: [], streamInBody: false },
      );
      if (problem) return anthropicError(problem);
      return send(res, 200, { input_tokens: o.countTokens ?? 1234 });
    }
    const header = r.headers['anthropic-beta'];
    const problem = claudeEnvelopeProblem(r.body, {
      version: 'vertex-2023-10-16',
      betas: typeof header === 'string' ? header.split(',') : [],
      accepted: VERTEX_FAKE_BETAS,
      streamInBody: true,
    });
    if (problem) return anthropicError(problem);
    const script = new ClaudeScript(o.claude ?? {});
    const body = { ...r.body, model: r.model };
    const streamed = r.method === 'streamRawPredict';
    if (streamed !== (r.body.stream === true))
      return anthropicError('stream must be true on streamRawPredict and absent on rawPredict');
    if (!streamed) return send(res, 200, script.message(body));
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    for (const [event, data] of script.events(body)) {
      if (res.destroyed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if (o.chunkDelayMs) await sleep(o.chunkDelayMs);
    }
    res.end();
  }

  private predict(r: VertexRequest, res: ServerResponse): void {
    const instances = (r.body.instances ?? []) as Json[];
    if (r.model.startsWith('gemini-embedding') && instances.length > 1) {
      return send(
        res,
        400,
        rpcError(400, 'INVALID_ARGUMENT', 'Only one instance is supported per request for this model.'),
      );
    }
    send(res, 200, predictResponse(instances));
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}
