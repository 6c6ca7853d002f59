import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicRequestProblem } from '#test/utils/fake-anthropic-validation';
import { type AnthropicUsageFixture, ClaudeScript, DOC_USAGE, errorBodyOf } from '#test/utils/fake-claude';
import type { ReceivedRequest } from '#test/utils/fake-openai';

type Json = Record<string, unknown>;

export type { AnthropicUsageFixture };

export interface FakeAnthropicOptions {
  /** Delay before the response headers. */
  delayMs?: number;
  /** Delay between stream events. */
  chunkDelayMs?: number;
  /** The assistant's text; streamed word by word. Default: the docs' "Hello!". */
  reply?: string;
  /** Answer a tool_use block (after `reply`, when set). Without `name`: the tool tool_choice forces, else the first tool. */
  toolUse?: { name?: string; id?: string; input: Json };
  /**
   * With `toolUse`: answer it (alone, without `reply`) only when the request offers tools and has no tool_result
   * yet, else answer the text, as a model does over a tool round.
   */
  toolCallWhenOffered?: boolean;
  /** Override the stop reason (max_tokens, stop_sequence, refusal, ...). */
  stopReason?: string;
  stopSequence?: string;
  usage?: AnthropicUsageFixture;
  /** Answer this status, body and headers instead. */
  error?: { status: number; body: unknown; headers?: Record<string, string> };
  /** Stream: after this many events, send an `error` event (overloaded_error unless given) and close. */
  streamError?: { afterEvents: number; error?: { type: string; message: string } };
  /** Stream: close the connection after this many events, without message_stop (a stream cut short). */
  truncateAfter?: number;
  /** Stream: stop after the first text delta and keep the connection open until the client leaves. */
  hang?: boolean;
  /** `POST /v1/messages/count_tokens` answers this many input tokens (default 2095). */
  countTokens?: number;
}

const COUNT_TOKENS_PATH = '/v1/messages/count_tokens';

// unref: a fake provider still delaying an answer when its test ends must not keep the Jest worker alive
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * A local server speaking Anthropic's Messages API wire format: JSON answers shaped like the example of
 * https://docs.anthropic.com/en/api/messages, SSE streams with the event sequence of
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming (message_start, content_block_start, ping,
 * content_block_delta with text_delta / input_json_delta, content_block_stop, message_delta, message_stop,
 * and `error` events), and error bodies of https://docs.anthropic.com/en/api/errors. It checks the API key
 * (apiKeyOf) and `anthropic-version`, validates bodies as Anthropic does (fake-anthropic-validation.ts) and records
 * every request. The official SDK's tests of this fake are in test/providers/anthropic-fake.integration-spec.ts.
 */
export class FakeAnthropic {
  readonly requests: ReceivedRequest[] = [];
  options: FakeAnthropicOptions = {};
  url = '';
  private server?: Server;

  constructor(private readonly apiKey: string) {}

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

  reset(options: FakeAnthropicOptions = {}): void {
    this.requests.length = 0;
    this.options = options;
  }

  private get script(): ClaudeScript {
    return new ClaudeScript(this.options);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const received: ReceivedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: raw ? (JSON.parse(raw) as Json) : {},
      raw,
      aborted: false,
    };
    this.requests.push(received);
    res.on('close', () => {
      if (!res.writableFinished) received.aborted = true;
    });
    const o = this.options;
    if (o.delayMs) await sleep(o.delayMs);
    if (o.error) return this.send(res, o.error.status, o.error.body, o.error.headers);
    const refused = this.refusal(req, received.body);
    if (refused) return this.send(res, refused.status, errorBody(refused.type, refused.message));
    if (req.url === COUNT_TOKENS_PATH)
      return this.send(res, 200, { input_tokens: o.countTokens ?? DOC_USAGE.input_tokens });
    if (received.body.stream === true) return this.stream(received.body, res);
    return this.send(res, 200, this.script.message(received.body));
  }

  private refusal(req: IncomingMessage, body: Json): { status: number; type: string; message: string } | null {
    if (req.method !== 'POST' || (req.url !== '/v1/messages' && req.url !== COUNT_TOKENS_PATH))
      return { status: 404, type: 'not_found_error', message: `Not found: ${req.url}` };
    if (apiKeyOf(req) !== this.apiKey)
      return { status: 401, type: 'authentication_error', message: 'invalid x-api-key' };
    if (!req.headers['anthropic-version'])
      return { status: 400, type: 'invalid_request_error', message: 'anthropic-version: header is required' };
    // token counting takes the request without max_tokens
    if (req.url === COUNT_TOKENS_PATH) return null;
    const problem = anthropicRequestProblem(body);
    return problem ? { status: 400, type: 'invalid_request_error', message: problem } : null;
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private async stream(body: Json, res: ServerResponse): Promise<void> {
    const o = this.options;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    let sent = 0;
    for (const [event, data] of this.script.events(body)) {
      if (res.destroyed) return;
      if (sent === o.truncateAfter) break;
      if (o.streamError && sent === o.streamError.afterEvents) {
        const error = o.streamError.error ?? { type: 'overloaded_error', message: 'Overloaded' };
        res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error })}\n\n`);
        return;
      }
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      sent++;
      if (o.hang && data.type === 'content_block_delta') {
        while (!res.destroyed) await sleep(20);
        return;
      }
      if (o.chunkDelayMs) await sleep(o.chunkDelayMs);
    }
    res.end();
  }
}

/**
 * The key a request authenticates with: `x-api-key` (the documented header of API version 2023-06-01) or
 * `Authorization: Bearer` (what @anthropic-ai/sdk 1.x sends with its newer API version).
 */
export function apiKeyOf(req: { headers: IncomingMessage['headers'] }): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return bearer?.[1];
}

/** Anthropic's error body (https://docs.anthropic.com/en/api/errors). */
export const errorBody = errorBodyOf;
