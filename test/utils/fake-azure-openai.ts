import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceivedRequest } from '#test/utils/fake-openai';

type Json = Record<string, unknown>;

export interface FakeAzureOpenAiOptions {
  delayMs?: number;
  reply?: string;
  toolCall?: { name: string; arguments: string };
  /** With `toolCall`: make it only when the request offers tools and has no tool result yet, else answer text. */
  toolCallWhenOffered?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number; cached?: number };
  /** Answer this status, body and headers instead. */
  error?: { status: number; body: unknown; headers?: Record<string, string> };
  /** Stream: stop after the first content chunk and keep the connection open until the client leaves. */
  hang?: boolean;
}

// unref: a fake provider still delaying an answer when its test ends must not keep the Jest worker alive
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Azure's content-filter annotations (https://learn.microsoft.com/azure/ai-services/openai/concepts/content-filter). */
const SAFE = { filtered: false, severity: 'safe' };
const FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER_RESULTS = [{ prompt_index: 0, content_filter_results: FILTER_RESULTS }];

const DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;
const V1_PATH = /^\/openai\/v1\/(chat\/completions|embeddings)$/;

/** Azure's error envelope: OpenAI's shape, with string codes such as "401" or "DeploymentNotFound". */
export function azureError(code: string, message: string): Json {
  return { error: { code, message } };
}

/**
 * A local Azure OpenAI resource endpoint built from the data-plane inference reference
 * (https://learn.microsoft.com/azure/ai-services/openai/reference): `POST /openai/deployments/{deployment}/
 * chat/completions|embeddings?api-version=...` with an `api-key` header, and the v1 API
 * (`/openai/v1/...`, deployment in `model`). Answers are OpenAI's with Azure's additions: the underlying
 * model name, `prompt_filter_results`, per-choice `content_filter_results`, and a first stream chunk with
 * empty `choices` carrying the prompt filter results. The official AzureOpenAI client's tests of this fake
 * are in test/providers/azure-openai-fake.integration-spec.ts.
 */
export class FakeAzureOpenAi {
  readonly requests: (ReceivedRequest & { query: URLSearchParams })[] = [];
  options: FakeAzureOpenAiOptions = {};
  url = '';
  private server?: Server;

  constructor(
    private readonly apiKey: string,
    private readonly deployments: string[],
    private readonly modelName = 'gpt-4o-2024-08-06',
  ) {}

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

  reset(options: FakeAzureOpenAiOptions = {}): void {
    this.requests.length = 0;
    this.options = options;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = raw ? (JSON.parse(raw) as Json) : {};
    const received = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      raw,
      aborted: false,
    };
    this.requests.push(received);
    res.on('close', () => {
      if (!res.writableFinished) received.aborted = true;
    });
    if (this.options.delayMs) await sleep(this.options.delayMs);
    if (this.options.error)
      return this.send(res, this.options.error.status, this.options.error.body, this.options.error.headers);
    const route = this.route(req, url, body);
    if ('error' in route) return this.send(res, route.status, route.error);
    if (route.operation === 'embeddings') return this.send(res, 200, this.embeddings(body));
    if (body.stream === true) return this.stream(body, res);
    return this.send(res, 200, this.completion(body));
  }

  private route(req: IncomingMessage, url: URL, body: Json): { operation: string } | { status: number; error: Json } {
    const bearer = req.headers.authorization === `Bearer ${this.apiKey}`;
    const deploymentMatch = DEPLOYMENT_PATH.exec(url.pathname);
    const v1Match = V1_PATH.exec(url.pathname);
    if (req.method !== 'POST' || (!deploymentMatch && !v1Match))
      return { status: 404, error: azureError('404', 'Resource not found') };
    if (req.headers['api-key'] !== this.apiKey && !(v1Match && bearer)) {
      const message =
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
      return { status: 401, error: azureError('401', message) };
    }
    if (deploymentMatch && !url.searchParams.get('api-version'))
      return { status: 404, error: azureError('404', 'Resource not found') };
    const deployment = deploymentMatch ? decodeURIComponent(deploymentMatch[1]) : String(body.model);
    if (!this.deployments.includes(deployment)) {
      const message =
        'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.';
      return { status: 404, error: azureError('DeploymentNotFound', message) };
    }
    return { operation: (deploymentMatch ?? v1Match)![deploymentMatch ? 2 : 1] };
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', 'apim-request-id': 'fake-apim-id', ...headers });
    res.end(JSON.stringify(body));
  }

  private usage(): Json {
    const u = this.options.usage ?? { prompt_tokens: 19, completion_tokens: 9 };
    return {
      prompt_tokens: u.prompt_tokens,
      completion_tokens: u.completion_tokens,
      total_tokens: u.prompt_tokens + u.completion_tokens,
      prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    };
  }

  /** The tool call to answer to this request, if any. */
  private toolCall(body: Json): { name: string; arguments: string } | undefined {
    const o = this.options;
    if (!o.toolCall || !o.toolCallWhenOffered) return o.toolCall;
    const offered = Array.isArray(body.tools) && body.tools.length > 0;
    const answered = ((body.messages ?? []) as Json[]).some((m) => m.role === 'tool');
    return offered && !answered ? o.toolCall : undefined;
  }

  private completion(body: Json): Json {
    const o = { ...this.options, toolCall: this.toolCall(body) };
    const message = o.toolCall
      ? {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: o.toolCall }],
        }
      : { role: 'assistant', content: o.reply ?? 'Hello from Azure!', refusal: null };
    return {
      id: 'chatcmpl-A1zx3sRkA8kUqN3ZBpuqYb1qWf7ag',
      object: 'chat.completion',
      created: 1_724_345_678,
      model: this.modelName,
      system_fingerprint: 'fp_b2ffeb16ee',
      prompt_filter_results: PROMPT_FILTER_RESULTS,
      choices: [
        {
          index: 0,
          finish_reason: o.toolCall ? 'tool_calls' : 'stop',
          logprobs: null,
          message,
          content_filter_results: o.toolCall ? {} : FILTER_RESULTS,
        },
      ],
      usage: this.usage(),
    };
  }

  private async stream(body: Json, res: ServerResponse): Promise<void> {
    const o = { ...this.options, toolCall: this.toolCall(body) };
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const write = (chunk: Json): void => void (res.writableEnded || res.write(`data: ${JSON.stringify(chunk)}\n\n`));
    write({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS });
    const base = {
      id: 'chatcmpl-A1zx3sRkA8kUqN3ZBpuqYb1qWf7ag',
      object: 'chat.completion.chunk',
      created: 1_724_345_678,
      model: this.modelName,
      system_fingerprint: 'fp_b2ffeb16ee',
    };
    const choice = (delta: Json, finish: string | null = null): Json => ({
      index: 0,
      delta,
      finish_reason: finish,
      logprobs: null,
      content_filter_results: finish ? {} : FILTER_RESULTS,
    });
    write({ ...base, choices: [choice({ role: 'assistant', content: '', refusal: null })] });
    if (o.toolCall) {
      write({
        ...base,
        choices: [
          choice({
            tool_calls: [
              { index: 0, id: 'call_1', type: 'function', function: { name: o.toolCall.name, arguments: '' } },
            ],
          }),
        ],
      });
      for (const part of o.toolCall.arguments.match(/.{1,8}/gs) ?? [])
        write({ ...base, choices: [choice({ tool_calls: [{ index: 0, function: { arguments: part } }] })] });
    } else {
      for (const word of (o.reply ?? 'Hello from Azure!').split(/(?<= )/)) {
        write({ ...base, choices: [choice({ content: word })] });
        if (o.hang) {
          while (!res.destroyed) await sleep(20);
          return;
        }
      }
    }
    write({ ...base, choices: [choice({}, o.toolCall ? 'tool_calls' : 'stop')] });
    if ((body.stream_options as Json | undefined)?.include_usage === true)
      write({ ...base, choices: [], usage: this.usage() });
    res.end('data: [DONE]\n\n');
  }

  private embeddings(body: Json): Json {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const data = inputs.map((_, index) => {
      const floats = [0.5 + index, -0.25, 0.125];
      const embedding =
        body.encoding_format === 'base64' ? Buffer.from(new Float32Array(floats).buffer).toString('base64') : floats;
      return { object: 'embedding', index, embedding };
    });
    return { object: 'list', data, model: 'text-embedding-3-small', usage: { prompt_tokens: 6, total_tokens: 6 } };
  }
}
