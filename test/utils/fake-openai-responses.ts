import type { ServerResponse } from 'node:http';

type Json = Record<string, unknown>;

export interface ResponsesUsageFixture {
  input_tokens: number;
  output_tokens: number;
  cached?: number;
  reasoning?: number;
}

/**
 * OpenAI's Responses API as the fake OpenAI server speaks it (https://platform.openai.com/docs/api-reference/responses):
 * `POST /v1/responses` (JSON, or the typed SSE events of `stream: true`), `GET` and `DELETE /v1/responses/{id}`
 * for stored responses. Each created response gets the next id; `store: false` ones are not kept.
 */
export class FakeResponsesApi {
  readonly stored = new Map<string, Json>();
  private seq = 0;

  handle(
    method: string,
    path: string,
    body: Json,
    res: ServerResponse,
    opts: { reply?: string; usage?: ResponsesUsageFixture },
  ): boolean {
    const match = /^\/v1\/responses(?:\/([\w-]+))?$/.exec(path);
    if (!match) return false;
    const id = match[1];
    if (id && method === 'GET')
      return this.send(res, this.stored.has(id) ? 200 : 404, this.stored.get(id) ?? notFound(id));
    if (id && method === 'DELETE') {
      const found = this.stored.delete(id);
      return this.send(res, found ? 200 : 404, found ? { id, object: 'response', deleted: true } : notFound(id));
    }
    if (method !== 'POST' || id) return this.send(res, 404, notFound(path));
    const prev = body.previous_response_id;
    if (typeof prev === 'string' && !this.stored.has(prev)) return this.send(res, 400, notFound(prev));
    const response = this.response(body, opts);
    if (body.store !== false) this.stored.set(String(response.id), response);
    if (body.stream === true) return this.stream(res, response, opts.reply ?? 'Hello from Responses!');
    return this.send(res, 200, response);
  }

  private response(body: Json, opts: { reply?: string; usage?: ResponsesUsageFixture }): Json {
    const u = opts.usage ?? { input_tokens: 20, output_tokens: 6 };
    const id = `resp_fake_${++this.seq}`;
    return {
      id,
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      model: body.model,
      previous_response_id: body.previous_response_id ?? null,
      store: body.store !== false,
      output: [
        {
          type: 'message',
          id: `msg_${id}`,
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: opts.reply ?? 'Hello from Responses!', annotations: [] }],
        },
      ],
      usage: {
        input_tokens: u.input_tokens,
        input_tokens_details: { cached_tokens: u.cached ?? 0 },
        output_tokens: u.output_tokens,
        output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
        total_tokens: u.input_tokens + u.output_tokens,
      },
    };
  }

  private stream(res: ServerResponse, response: Json, text: string): boolean {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const item = (response.output as Json[])[0];
    const itemId = String(item.id);
    const inProgress = { ...response, status: 'in_progress', output: [], usage: null };
    const events: Json[] = [
      { type: 'response.created', response: inProgress },
      { type: 'response.in_progress', response: inProgress },
      { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } },
      {
        type: 'response.content_part.added',
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      },
      ...text.split(/(?<= )/).map((delta) => ({
        type: 'response.output_text.delta',
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta,
        logprobs: [],
      })),
      { type: 'response.output_text.done', item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] },
      {
        type: 'response.content_part.done',
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text, annotations: [] },
      },
      { type: 'response.output_item.done', output_index: 0, item },
      { type: 'response.completed', response },
    ];
    events.forEach((e, n) =>
      res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: n })}\n\n`),
    );
    res.end();
    return true;
  }

  private send(res: ServerResponse, status: number, body: unknown): boolean {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    return true;
  }
}

function notFound(what: string): Json {
  return {
    error: { message: `No response found with id '${what}'.`, type: 'invalid_request_error', param: null, code: null },
  };
}
