import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BudgetUpstreamRequest {
  body: Record<string, unknown>;
  /** The output limit the gateway sent (max_completion_tokens, else max_tokens), or null. */
  outputLimit: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * An OpenAI-format upstream for budget tests whose answers are as expensive as the request allows: it
 * generates exactly the output limit it received (a maximal call), reports `promptTokens` prompt tokens, and
 * streams the answer in `chunks` pieces `chunkDelayMs` apart. `hold()` keeps streams open after their first
 * chunk until `release()`, for tests that need a call in flight.
 */
export class BudgetUpstream {
  readonly requests: BudgetUpstreamRequest[] = [];
  promptTokens = 10;
  /** Tokens generated when the request states no output limit. */
  unlimitedOutput = 50;
  chunks = 4;
  chunkDelayMs = 0;
  url = '';
  private server?: Server;
  private gate: Promise<void> | null = null;
  /** `hold()` also keeps non-streamed answers back (before their headers). */
  holdJson = false;
  private open: (() => void) | null = null;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  release(): void {
    this.open?.();
    this.gate = null;
    this.open = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>;
    const limit = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
    this.requests.push({ body, outputLimit: limit ?? null });
    // every one of the n choices generates up to the limit
    const completion = (limit ?? this.unlimitedOutput) * (typeof body.n === 'number' ? body.n : 1);
    const usage = {
      prompt_tokens: this.promptTokens,
      completion_tokens: completion,
      total_tokens: this.promptTokens + completion,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    };
    const base = { id: 'chatcmpl-budget', created: 1_700_000_000, model: body.model };
    if (body.stream !== true) {
      if (this.holdJson && this.gate) await this.gate;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }],
          usage,
        }),
      );
      return;
    }
    const wantsUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    for (let i = 0; i < this.chunks; i++) {
      if (res.destroyed) return;
      res.write(chunk(i === 0 ? { role: 'assistant', content: 'w' } : { content: ' w' }, null));
      if (i === 0 && this.gate) await this.gate;
      if (this.chunkDelayMs) await sleep(this.chunkDelayMs);
    }
    if (res.destroyed) return;
    res.write(chunk({}, 'length'));
    if (wantsUsage)
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }
}
