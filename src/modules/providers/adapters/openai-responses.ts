import { encodeBody, type RawJsonObject } from '#src/modules/calls/raw-json-object';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import type { Usage } from '#src/modules/calls/usage';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import type {
  JsonObject,
  NativeResponses,
  RawEventSink,
  StoredResponseAnswer,
} from '#src/modules/providers/provider-adapter';
import type { UpstreamException } from '#src/modules/providers/provider.exception';
import type { UpstreamHttp, UpstreamResponse } from '#src/modules/providers/upstream-http';

/** What the Responses pass-through needs of its adapter (OpenAI's, or Azure's with its paths and headers). */
export interface ResponsesTransport {
  http: UpstreamHttp;
  /** The path of `responses` or `responses/{id}`, below the base URL. */
  path: (operation: string) => string;
  headers: () => Record<string, string>;
  errorFrom: (res: UpstreamResponse) => UpstreamException;
  parseJson: (buf: Buffer) => JsonObject;
}

/** The events that end a Responses stream and carry the final response with its usage. */
const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Responses `usage` → the gateway's Usage (input includes cached tokens, output includes reasoning). */
export function usageFromResponses(u: unknown): Usage | null {
  if (!isObject(u)) return null;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
  const input = isObject(u.input_tokens_details) ? u.input_tokens_details : {};
  const output = isObject(u.output_tokens_details) ? u.output_tokens_details : {};
  return {
    promptTokens: n(u.input_tokens),
    completionTokens: n(u.output_tokens),
    cacheReadTokens: n(input.cached_tokens),
    cacheWriteTokens: 0,
    reasoningTokens: n(output.reasoning_tokens),
  };
}

/**
 * OpenAI's Responses API passed through (SPEC §12): the client's request with the provider's model id, the
 * answer's bytes and each SSE event unchanged; only the usage is read on the way.
 */
export class OpenAiResponses implements NativeResponses {
  constructor(private readonly t: ResponsesTransport) {}

  async create(
    body: JsonObject,
    signal: AbortSignal,
    source?: RawJsonObject | null,
  ): Promise<{ body: JsonObject; raw: Buffer; usage: Usage | null }> {
    const res = await this.t.http.post(
      this.t.path('responses'),
      this.t.headers(),
      encodeBody({ ...body, stream: false }, source),
      signal,
    );
    if (res.status !== 200) throw this.t.errorFrom(res);
    const parsed = this.t.parseJson(res.body);
    return { body: parsed, raw: res.body, usage: usageFromResponses(parsed.usage) };
  }

  async stream(
    body: JsonObject,
    signal: AbortSignal,
    sink: RawEventSink,
    source?: RawJsonObject | null,
  ): Promise<{ usage: Usage | null; failed: boolean }> {
    let usage: Usage | null = null;
    let failed = false;
    const decoder = new StringDecoder('utf8');
    const parser = createParser({
      onEvent: (event) => {
        const type = event.event ?? 'message';
        if (FINAL_EVENTS.has(type) || type === 'error') {
          try {
            const data: unknown = JSON.parse(event.data);
            if (isObject(data) && isObject(data.response)) usage = usageFromResponses(data.response.usage) ?? usage;
          } catch {
            // relayed as it is; the usage is then estimated
          }
          if (type === 'response.failed' || type === 'error') failed = true;
        }
        sink.event(type, event.data);
      },
    });
    const res = await this.t.http.postStreaming(
      this.t.path('responses'),
      { ...this.t.headers(), accept: 'text/event-stream' },
      encodeBody({ ...body, stream: true }, source),
      signal,
      (buf) => {
        parser.feed(decoder.write(buf));
        return sink.backpressure?.(); // a slow client holds the provider's stream back
      },
    );
    if (res.status < 200 || res.status >= 300) throw this.t.errorFrom(res);
    parser.feed(decoder.end());
    return { usage, failed };
  }

  async retrieve(id: string, signal: AbortSignal): Promise<StoredResponseAnswer> {
    const res = await this.t.http.get(this.t.path(`responses/${encodeURIComponent(id)}`), this.t.headers(), signal);
    return { status: res.status, body: res.body };
  }

  async remove(id: string, signal: AbortSignal): Promise<StoredResponseAnswer> {
    const res = await this.t.http.delete(this.t.path(`responses/${encodeURIComponent(id)}`), this.t.headers(), signal);
    return { status: res.status, body: res.body };
  }
}
