import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicRequestProblem } from '#test/utils/fake-anthropic-validation';
import type { ReceivedRequest } from '#test/utils/fake-openai';

type Json = Record<string, unknown>;

export interface AnthropicUsageFixture {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

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
 * Default usage, from the example response of https://docs.anthropic.com/en/api/messages (2095 in, 503 out)
 * with the cache fields every current response carries.
 */
const DOC_USAGE: AnthropicUsageFixture = {
  input_tokens: 2095,
  output_tokens: 503,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const received: ReceivedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: raw ? (JSON.parse(raw) as Json) : {},
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
    return this.send(res, 200, this.message(received.body));
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

  private usage(): AnthropicUsageFixture {
    return { ...DOC_USAGE, ...this.options.usage };
  }

  private toolUse(body: Json): { id: string; name: string; input: Json } | null {
    const t = this.options.toolUse;
    if (!t) return null;
    if (this.options.toolCallWhenOffered) {
      const offered = Array.isArray(body.tools) && body.tools.length > 0;
      const answered = ((body.messages ?? []) as Json[]).some(
        (m) => Array.isArray(m.content) && (m.content as Json[]).some((b) => b.type === 'tool_result'),
      );
      if (!offered || answered) return null;
    }
    const choice = body.tool_choice as Json | undefined;
    const first = (body.tools as Json[] | undefined)?.[0]?.name;
    const name = t.name ?? (choice?.type === 'tool' ? String(choice.name) : String(first));
    return { id: t.id ?? 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name, input: t.input };
  }

  /** Whether the answer has a text block: always without a tool call, before it when `reply` is scripted too. */
  private withText(tool: Json | null): boolean {
    return !tool || (this.options.reply !== undefined && !this.options.toolCallWhenOffered);
  }

  private stopReason(body: Json): string {
    return this.options.stopReason ?? (this.toolUse(body) ? 'tool_use' : 'end_turn');
  }

  private message(body: Json): Json {
    const o = this.options;
    const tool = this.toolUse(body);
    const content: Json[] = [];
    if (this.withText(tool)) content.push({ type: 'text', text: o.reply ?? 'Hello!' });
    if (tool) content.push({ type: 'tool_use', ...tool });
    return {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      type: 'message',
      role: 'assistant',
      content,
      model: body.model,
      stop_reason: this.stopReason(body),
      stop_sequence: o.stopSequence ?? null,
      usage: this.usage(),
    };
  }

  /** The event sequence of the streaming docs' examples (text, then a tool_use block with partial JSON). */
  private events(body: Json): [string, Json][] {
    const o = this.options;
    const u = this.usage();
    const tool = this.toolUse(body);
    const start = { ...this.message(body), content: [], stop_reason: null, stop_sequence: null };
    const events: [string, Json][] = [
      ['message_start', { type: 'message_start', message: { ...start, usage: { ...u, output_tokens: 1 } } }],
    ];
    let index = 0;
    if (this.withText(tool)) {
      events.push([
        'content_block_start',
        { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      ]);
      events.push(['ping', { type: 'ping' }]);
      for (const text of (o.reply ?? 'Hello!').split(/(?<= )|(?=!)/))
        events.push([
          'content_block_delta',
          { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
        ]);
      events.push(['content_block_stop', { type: 'content_block_stop', index: index++ }]);
    }
    if (tool) {
      const block = { type: 'tool_use', id: tool.id, name: tool.name, input: {} };
      events.push(['content_block_start', { type: 'content_block_start', index, content_block: block }]);
      for (const partial_json of ['', ...(JSON.stringify(tool.input).match(/.{1,8}/gs) ?? [])]) {
        const delta = { type: 'input_json_delta', partial_json };
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta }]);
      }
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
    }
    const delta = { stop_reason: this.stopReason(body), stop_sequence: o.stopSequence ?? null };
    events.push(['message_delta', { type: 'message_delta', delta, usage: { output_tokens: u.output_tokens } }]);
    events.push(['message_stop', { type: 'message_stop' }]);
    return events;
  }

  private async stream(body: Json, res: ServerResponse): Promise<void> {
    const o = this.options;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    let sent = 0;
    for (const [event, data] of this.events(body)) {
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
export function errorBody(type: string, message: string): Json {
  return { type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
}
