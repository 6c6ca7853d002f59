import { createServer as createHttp1Server, type IncomingHttpHeaders, type Server as Http1Server } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import {
  type ConverseUsage,
  eventFrame,
  exceptionFrame,
  invokeAnswer,
  usageOf,
  verifySigV4,
} from '#test/utils/fake-bedrock.fixtures';
import type { FakeAnthropicOptions } from '#test/utils/fake-anthropic';
import { ClaudeScript, claudeEnvelopeProblem } from '#test/utils/fake-claude';

type Json = Record<string, unknown>;

/** The parts of a request and response both node:http and the node:http2 compatibility API have. */
interface Req extends AsyncIterable<Buffer> {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}
interface Res {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: string): unknown;
  on(event: 'close', fn: () => void): unknown;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
}

export interface BedrockRequest {
  modelId: string;
  operation: 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream' | 'count-tokens';
  httpVersion: '1.1' | '2';
  headers: IncomingHttpHeaders;
  body: Json;
  /** The body's text as it arrived (and as the signature covers it). */
  raw: string;
  /** True when the client closed the connection before the answer was complete. */
  aborted: boolean;
}

export interface FakeBedrockOptions {
  reply?: string;
  /** Answer a tool call (after a short text block, as Claude does). */
  toolUse?: { name: string; input: Json; toolUseId?: string };
  /** With `toolUse`: make it only when the request offers tools and has no toolResult yet, else answer text. */
  toolCallWhenOffered?: boolean;
  stopReason?: string;
  usage?: ConverseUsage;
  /** Answer with this AWS error: `x-amzn-errortype` header, or `__type` in the body. */
  error?: { status: number; type: string; message: string; headers?: Record<string, string>; typeInBody?: boolean };
  /** After this many content events, an exception frame (e.g. `throttlingException`) ends the stream. */
  streamException?: { after: number; type: string; message: string };
  hang?: boolean;
  chunkDelayMs?: number;
  /** How Claude models answer InvokeModel / InvokeModelWithResponseStream (Anthropic's Messages format). */
  claude?: FakeAnthropicOptions;
  /** CountTokens answers this many input tokens. */
  countTokens?: number;
}

/** The `anthropic_beta` flags this fake's Claude models take (Bedrock answers 400 to others). */
export const BEDROCK_FAKE_BETAS = [
  'interleaved-thinking-2025-05-14',
  'context-1m-2025-08-07',
  'token-efficient-tools-2025-02-19',
];

// unref: a fake provider still delaying an answer when its test ends must not keep the Jest worker alive
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$/;

/**
 * A local Bedrock runtime speaking its REST wire format over HTTP/1.1 and cleartext HTTP/2 (the SDK's default
 * handler speaks HTTP/2): Converse JSON, ConverseStream event-stream frames, InvokeModel, AWS error answers
 * and exception events. Every request must carry a valid SigV4 signature of the configured credentials.
 */
export class FakeBedrock {
  readonly requests: BedrockRequest[] = [];
  options: FakeBedrockOptions = {};
  url = '';
  credentials = { accessKeyId: '', secretAccessKey: '', sessionToken: undefined as string | undefined };
  private readonly sockets = new Set<Socket>();
  private server?: NetServer;
  private readonly h1: Http1Server = createHttp1Server((req, res) => void this.handle(req, res, '1.1'));
  private readonly h2: Http2Server = createHttp2Server((req, res) => {
    // the compatibility response keeps its stream state on the Http2Stream
    const compat: Res = {
      writeHead: (status, headers) => res.writeHead(status, headers),
      write: (chunk) => res.write(chunk),
      end: (chunk) => (chunk === undefined ? res.end() : res.end(chunk)),
      on: (event, fn) => res.on(event, fn),
      get destroyed() {
        return res.stream.destroyed;
      },
      get writableFinished() {
        return res.stream.writableFinished;
      },
    };
    void this.handle(req, compat, '2');
  });

  async start(): Promise<this> {
    // one port for both protocols: an HTTP/2 client opens with the "PRI * HTTP/2.0" preface
    this.server = createNetServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.once('data', (first) => {
        socket.pause();
        if (first.subarray(0, 3).toString('latin1') === 'PRI') {
          this.h2.emit('connection', replaying(socket, first));
          return;
        }
        socket.unshift(first);
        this.h1.emit('connection', socket);
        socket.resume();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  reset(options: FakeBedrockOptions = {}): void {
    this.requests.length = 0;
    this.options = options;
  }

  private async handle(req: Req, res: Res, httpVersion: '1.1' | '2'): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks);
    const route = ROUTE.exec((req.url ?? '').split('?')[0]);
    if (!route) return awsError(res, 404, 'UnknownOperationException', 'Unknown operation');
    const signer = verifySigV4(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw },
      (id) => (id === this.credentials.accessKeyId ? this.credentials.secretAccessKey : undefined),
    );
    if (!signer)
      return awsError(
        res,
        403,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    if (this.credentials.sessionToken && req.headers['x-amz-security-token'] !== this.credentials.sessionToken)
      return awsError(
        res,
        403,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    const received: BedrockRequest = {
      modelId: decodeURIComponent(route[1]),
      operation: route[2] as BedrockRequest['operation'],
      httpVersion,
      headers: req.headers,
      body: raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Json) : {},
      raw: raw.toString('utf8'),
      aborted: false,
    };
    this.requests.push(received);
    res.on('close', () => {
      if (!res.writableFinished) received.aborted = true;
    });
    const e = this.options.error;
    if (e) return awsError(res, e.status, e.type, e.message, e.headers, e.typeInBody);
    if (received.operation === 'converse') return json(res, 200, this.converse(received.body));
    if (received.operation === 'converse-stream') return this.stream(received.body, res);
    if (received.operation === 'count-tokens') return this.countTokens(received, res);
    if (received.modelId.includes('anthropic.claude')) return this.claude(received, res);
    return this.invoke(received, res);
  }

  private usage(): Json {
    return usageOf(this.options.usage ?? { inputTokens: 25, outputTokens: 11 });
  }

  /** The options for this request: without the tool call when `toolCallWhenOffered` rules it out. */
  private optionsFor(body: Json): FakeBedrockOptions {
    const o = this.options;
    if (!o.toolUse || !o.toolCallWhenOffered) return o;
    const offered = ((body.toolConfig as Json | undefined)?.tools as Json[] | undefined)?.length ?? 0;
    const answered = ((body.messages ?? []) as Json[]).some((m) =>
      ((m.content ?? []) as Json[]).some((c) => 'toolResult' in c),
    );
    return offered > 0 && !answered ? o : { ...o, toolUse: undefined };
  }

  private converse(body: Json): Json {
    const o = this.optionsFor(body);
    const content: Json[] = o.toolUse
      ? [
          { text: 'Let me check.' },
          {
            toolUse: {
              toolUseId: o.toolUse.toolUseId ?? 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
              name: o.toolUse.name,
              input: o.toolUse.input,
            },
          },
        ]
      : [{ text: o.reply ?? 'Hello! How can I help you today?' }];
    return {
      output: { message: { role: 'assistant', content } },
      stopReason: o.stopReason ?? (o.toolUse ? 'tool_use' : 'end_turn'),
      usage: this.usage(),
      metrics: { latencyMs: 512 },
    };
  }

  /** The events of one answer, in ConverseStream order. */
  private events(o: FakeBedrockOptions): [string, Json][] {
    const events: [string, Json][] = [['messageStart', { role: 'assistant' }]];
    const words = o.toolUse ? ['Let me check.'] : (o.reply ?? 'Hello there, streaming world!').split(/(?<= )/);
    for (const text of words) events.push(['contentBlockDelta', { contentBlockIndex: 0, delta: { text } }]);
    events.push(['contentBlockStop', { contentBlockIndex: 0 }]);
    if (o.toolUse) {
      const toolUse = { toolUseId: o.toolUse.toolUseId ?? 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: o.toolUse.name };
      events.push(['contentBlockStart', { contentBlockIndex: 1, start: { toolUse } }]);
      for (const input of JSON.stringify(o.toolUse.input).match(/.{1,7}/g) ?? [])
        events.push(['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input } } }]);
      events.push(['contentBlockStop', { contentBlockIndex: 1 }]);
    }
    return events;
  }

  private async stream(body: Json, res: Res): Promise<void> {
    const o = this.optionsFor(body);
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-fake-stream' });
    for (const [i, [type, payload]] of this.events(o).entries()) {
      if (o.streamException && i >= o.streamException.after) {
        res.write(exceptionFrame(o.streamException.type, o.streamException.message));
        return void res.end();
      }
      if (res.destroyed) return;
      res.write(eventFrame(type, payload));
      if (o.chunkDelayMs) await sleep(o.chunkDelayMs);
    }
    while (o.hang && !res.destroyed) await sleep(20);
    if (res.destroyed) return;
    res.write(eventFrame('messageStop', { stopReason: o.stopReason ?? (o.toolUse ? 'tool_use' : 'end_turn') }));
    res.write(eventFrame('metadata', { usage: this.usage(), metrics: { latencyMs: 640 } }));
    res.end();
  }

  /** Claude through InvokeModel(WithResponseStream): Anthropic's message, or its events inside `chunk` frames. */
  private async claude(r: BedrockRequest, res: Res): Promise<void> {
    const problem = claudeEnvelopeProblem(r.body, {
      version: 'bedrock-2023-05-31',
      betas: (r.body.anthropic_beta as string[] | undefined) ?? [],
      accepted: BEDROCK_FAKE_BETAS,
      streamInBody: false,
    });
    if (problem) return awsError(res, 400, 'ValidationException', problem);
    const script = new ClaudeScript(this.options.claude ?? {});
    const body = { ...r.body, model: 'claude-sonnet-4-5-20250929' };
    if (r.operation === 'invoke') return json(res, 200, script.message(body));
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-fake-stream' });
    const o = this.options;
    const events = script.events(body);
    for (const [i, [, event]] of events.entries()) {
      if (o.streamException && i >= o.streamException.after) {
        res.write(exceptionFrame(o.streamException.type, o.streamException.message));
        return void res.end();
      }
      if (res.destroyed) return;
      // Bedrock adds its invocation metrics to the last event
      const data =
        event.type === 'message_stop'
          ? { ...event, 'amazon-bedrock-invocationMetrics': { inputTokenCount: script.usage().input_tokens } }
          : event;
      res.write(eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(data)).toString('base64') }));
      if (o.chunkDelayMs) await sleep(o.chunkDelayMs);
    }
    res.end();
  }

  /** CountTokens with an InvokeModel body: `{input: {invokeModel: {body: base64}}}` → `{inputTokens}`. */
  private countTokens(r: BedrockRequest, res: Res): void {
    const encoded = ((r.body.input as Json | undefined)?.invokeModel as Json | undefined)?.body;
    if (typeof encoded !== 'string')
      return awsError(res, 400, 'ValidationException', 'input.invokeModel.body is required');
    const body = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Json;
    const problem = claudeEnvelopeProblem(
      { ...body, max_tokens: body.max_tokens ?? 1 },
      { version: 'bedrock-2023-05-31', betas: [], accepted: [], streamInBody: false },
    );
    if (problem) return awsError(res, 400, 'ValidationException', problem);
    json(res, 200, { inputTokens: this.options.countTokens ?? 1234 });
  }

  private invoke(r: BedrockRequest, res: Res): void {
    const result = invokeAnswer(r.modelId, r.body);
    if (!result) return awsError(res, 400, 'ValidationException', 'The provided model identifier is invalid.');
    json(res, 200, result.answer, { 'x-amzn-bedrock-input-token-count': String(result.inputTokens) });
  }
}

function json(res: Res, status: number, body: Json, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-fake-1', ...headers });
  res.end(JSON.stringify(body));
}

function awsError(
  res: Res,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
  typeInBody = false,
): void {
  const typeHeader: Record<string, string> = typeInBody
    ? {}
    : { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` };
  json(res, status, typeInBody ? { __type: type, message } : { message }, { ...typeHeader, ...headers });
}

/**
 * The socket as a stream that first replays the bytes already read. HTTP/2 sessions read a net.Socket's
 * native handle directly, past anything unshifted into it, so they get this JS stream instead.
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read: () => socket.resume(),
    write: (chunk: Buffer, _enc, cb) => socket.write(chunk, cb),
    final: (cb) => socket.end(cb),
    destroy: (err, cb) => {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  duplex.push(first);
  socket.on('data', (d: Buffer) => {
    if (!duplex.push(d)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.on('error', (err) => duplex.destroy(err));
  return duplex;
}
