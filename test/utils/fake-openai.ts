import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeResponsesApi, type ResponsesUsageFixture } from '#test/utils/fake-openai-responses';

/** What the fake received, for asserting on the exact upstream request. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  /** The body's text as it arrived. */
  raw: string;
  /** True when the gateway closed the connection before the answer was complete. */
  aborted: boolean;
}

export interface FakeOpenAiOptions {
  /** Delay before the response headers. */
  delayMs?: number;
  /** Text the assistant answers; streamed word by word. */
  reply?: string;
  /** Delay between stream chunks. */
  chunkDelayMs?: number;
  /** Omit usage entirely (a server that never reports it). */
  omitUsage?: boolean;
  /** Put usage on the last stream chunk whatever stream_options says (llama.cpp server, LM Studio). */
  usageOnLastChunk?: boolean;
  /** Generate no more completion tokens than the request's output limit, as a real provider (usage capped). */
  honourMaxTokens?: boolean;
  /** With `error`: answer it only to every n-th request (1st, n+1-th, ...), the others normally. */
  errorEvery?: number;
  /** Answer this status and body instead (an OpenAI-format error). */
  error?: { status: number; body: unknown; headers?: Record<string, string> };
  /** Send this many chunks, then an error event, then close (no [DONE]). */
  failStreamAfter?: number;
  /** Never finish the stream (client-abort tests). */
  hang?: boolean;
  /** Answer a tool call instead of text. */
  toolCall?: { name: string; arguments: string };
  /**
   * With `toolCall`: make it only when the request offers tools and has no tool result yet, else answer text,
   * as a model does over a tool round (one script of several requests then needs no re-scripting between them).
   */
  toolCallWhenOffered?: boolean;
  /**
   * Reasoning text sent before the answer as `reasoning_content` (message field and deltas), as DeepSeek, vLLM
   * and other OpenAI-compatible servers of reasoning models do.
   */
  reasoning?: string;
  /** Embeddings: always answer floats, whatever encoding_format asked (like many compatible servers). */
  floatsOnly?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number; cached?: number; reasoning?: number };
  /** Usage of `/v1/responses` answers (native Responses). */
  responsesUsage?: ResponsesUsageFixture;
}

// unref: a fake provider still delaying an answer when its test ends must not keep the Jest worker alive
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * A local server speaking OpenAI's wire format (JSON and SSE with `data:` lines and `[DONE]`), built from
 * the API reference: https://platform.openai.com/docs/api-reference/chat/create and .../chat-streaming.
 * Tests set `options` per case and read `requests`.
 */
export class FakeOpenAi {
  readonly requests: ReceivedRequest[] = [];
  /** OpenAI's Responses API, for models served by pass-through. */
  readonly responsesApi = new FakeResponsesApi();
  options: FakeOpenAiOptions = {};
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  reset(options: FakeOpenAiOptions = {}): void {
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
      body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
      raw,
      aborted: false,
    };
    this.requests.push(received);
    res.on('close', () => {
      if (!res.writableFinished) received.aborted = true;
    });
    const o = this.options;
    if (o.delayMs) await sleep(o.delayMs);
    if (o.error && (!o.errorEvery || (this.requests.length - 1) % o.errorEvery === 0)) {
      res.writeHead(o.error.status, { 'content-type': 'application/json', ...o.error.headers });
      res.end(JSON.stringify(o.error.body));
      return;
    }
    if (req.url === '/v1/embeddings') return this.embeddings(received.body, res);
    if (
      this.responsesApi.handle(received.method, req.url ?? '', received.body, res, {
        reply: o.reply,
        usage: o.responsesUsage,
      })
    )
      return;
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
      return;
    }
    if (received.body.stream === true) return this.stream(received.body, res);
    return this.completion(received.body, res);
  }

  private usage(body: Record<string, unknown> = {}): Record<string, unknown> {
    const u = this.options.usage ?? { prompt_tokens: 12, completion_tokens: 5 };
    const limit = body.max_completion_tokens ?? body.max_tokens;
    const completion =
      this.options.honourMaxTokens && typeof limit === 'number'
        ? Math.min(limit, u.completion_tokens)
        : u.completion_tokens;
    return {
      prompt_tokens: u.prompt_tokens,
      completion_tokens: completion,
      total_tokens: u.prompt_tokens + completion,
      prompt_tokens_details: { cached_tokens: u.cached ?? 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0, audio_tokens: 0 },
    };
  }

  /** The tool call to answer to this request, if any. */
  private toolCall(body: Record<string, unknown>): { name: string; arguments: string } | undefined {
    const o = this.options;
    if (!o.toolCall || !o.toolCallWhenOffered) return o.toolCall;
    const offered = Array.isArray(body.tools) && body.tools.length > 0;
    const answered = ((body.messages ?? []) as { role?: string }[]).some((m) => m.role === 'tool');
    return offered && !answered ? o.toolCall : undefined;
  }

  private completion(body: Record<string, unknown>, res: ServerResponse): void {
    const o = { ...this.options, toolCall: this.toolCall(body) };
    const message = o.toolCall
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: o.toolCall }],
          refusal: null,
        }
      : { role: 'assistant', content: o.reply ?? 'Hello there!', refusal: null };
    if (o.reasoning !== undefined) Object.assign(message, { reasoning_content: o.reasoning });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: 1_700_000_000,
        model: body.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: o.toolCall ? 'tool_calls' : 'stop' }],
        ...(o.omitUsage ? {} : { usage: this.usage(body) }),
        system_fingerprint: 'fp_fake',
      }),
    );
  }

  private async stream(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const o = { ...this.options, toolCall: this.toolCall(body) };
    const wantsUsage =
      (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true && !o.omitUsage;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const base = {
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: body.model,
      system_fingerprint: 'fp_fake',
    };
    const send = (chunk: Record<string, unknown>): void => {
      if (!res.writableEnded)
        res.write(`data: ${JSON.stringify({ ...base, ...chunk, ...(wantsUsage ? { usage: null } : {}) })}\n\n`);
    };
    const deltas: Record<string, unknown>[] = [{ role: 'assistant', content: '' }];
    for (const word of o.reasoning?.split(/(?<= )/) ?? []) deltas.push({ reasoning_content: word });
    if (o.toolCall) {
      deltas.push({
        tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: o.toolCall.name, arguments: '' } }],
      });
      for (const part of o.toolCall.arguments.match(/.{1,8}/g) ?? [])
        deltas.push({ tool_calls: [{ index: 0, function: { arguments: part } }] });
    } else {
      for (const word of (o.reply ?? 'Hello there, streaming world!').split(/(?<= )/)) deltas.push({ content: word });
    }
    let sent = 0;
    for (const delta of deltas) {
      if (o.failStreamAfter !== undefined && sent >= o.failStreamAfter) {
        res.end(
          `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', code: 'server_error' } })}\n\n`,
        );
        return;
      }
      send({ choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] });
      sent++;
      if (o.chunkDelayMs) await sleep(o.chunkDelayMs);
      if (res.destroyed) return;
    }
    if (o.hang) {
      while (!res.destroyed) await sleep(20);
      return;
    }
    const finish = o.toolCall ? 'tool_calls' : 'stop';
    if (o.usageOnLastChunk && !wantsUsage)
      res.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }], usage: this.usage(body) })}\n\n`,
      );
    else send({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finish }] });
    if (wantsUsage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: this.usage(body) })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  private embeddings(body: Record<string, unknown>, res: ServerResponse): void {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const base64 = body.encoding_format === 'base64' && !this.options.floatsOnly;
    const data = inputs.map((_, index) => {
      const floats = [0.25 + index, -0.5, 0.125];
      const embedding = base64 ? Buffer.from(new Float32Array(floats).buffer).toString('base64') : floats;
      return { object: 'embedding', index, embedding };
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 8, total_tokens: 8 } }));
  }
}
