import { encodeBody } from '#src/modules/calls/raw-json-object';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { usageFromAnthropic } from '#src/modules/providers/adapters/anthropic/anthropic-response.mapper';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';
import type { Usage } from '#src/modules/calls/usage';
import type {
  JsonObject,
  NativeAnswer,
  NativeMessages,
  NativeMessagesCall,
  RawEventSink,
} from '#src/modules/providers/provider-adapter';
import type { UpstreamHttp, UpstreamResponse } from '#src/modules/providers/upstream-http';

/** What a native call asks of its host. */
export type NativeKind = 'messages' | 'stream' | 'count';

/**
 * Where and how a host serves Anthropic's Messages API over HTTP: Anthropic itself, or Claude on Vertex AI
 * (rawPredict). The events and answers are Anthropic's either way; paths, authentication and the body's
 * envelope differ.
 */
export interface MessagesHost {
  path(kind: NativeKind, model: string): string;
  headers(call: NativeMessagesCall, signal: AbortSignal): Promise<Record<string, string>>;
  /** The body the host takes (e.g. the model moved into the path, an `anthropic_version` field added). */
  body(kind: NativeKind, body: JsonObject): JsonObject;
  /**
   * An error answer that is not in Anthropic's shape (the host's own, e.g. Google's) → the adapter's error
   * (SPEC §3), thrown and rendered in Anthropic's shape by the gateway; null passes the answer on unchanged.
   */
  failure(res: UpstreamResponse): Error | null;
}

/** Anthropic's own API: the paths and body as the client sent them; its errors are already Anthropic's. */
export function anthropicHost(headers: MessagesHost['headers']): MessagesHost {
  return {
    path: (kind) => (kind === 'count' ? '/v1/messages/count_tokens' : '/v1/messages'),
    headers,
    body: (kind, body) => (kind === 'stream' ? { ...body, stream: true } : body),
    failure: () => null,
  };
}

/**
 * Anthropic's Messages API passed through (SPEC §12): the client's request goes to the host as it is (model and
 * `max_tokens` as admitted), with its `anthropic-version` and `anthropic-beta`; answers, stream events and errors
 * come back unchanged. Only the usage is read on the way: a stream's `message_start` and final `message_delta`
 * both carry it, and the final counts win (never added twice).
 */
export class AnthropicNativeMessages implements NativeMessages {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly host: MessagesHost,
  ) {}

  async messages(call: NativeMessagesCall): Promise<NativeAnswer> {
    const res = await this.post('messages', call);
    return answer(res, res.status === 200 ? usageFromAnthropic(parse(res.body)?.usage) : null);
  }

  async countTokens(call: NativeMessagesCall): Promise<NativeAnswer> {
    return answer(await this.post('count', call), null);
  }

  async messagesStream(call: NativeMessagesCall, sink: RawEventSink): Promise<NativeAnswer> {
    const usage = new StreamUsage();
    let streamError: string | undefined;
    const decoder = new StringDecoder('utf8');
    const parser = createParser({
      onEvent: (event) => {
        const type = event.event ?? 'message';
        // only these carry the usage or an error: an answer's deltas (nearly every event) are relayed unread here
        if (!PASSED_UNREAD.has(type)) {
          const data = parseText(event.data);
          if (data) usage.read(data);
          if (type === 'error') streamError = errorTypeOf(data) ?? 'api_error';
        }
        sink.event(type, event.data);
      },
    });
    const res = await this.http.postStreaming(
      this.host.path('stream', modelOf(call)),
      { ...(await this.host.headers(call, call.signal)), accept: 'text/event-stream' },
      encodeBody(this.host.body('stream', call.body), call.source),
      call.signal,
      (buf) => {
        parser.feed(decoder.write(buf));
        return sink.backpressure?.(); // a slow client holds the provider's stream back
      },
    );
    if (res.status < 200 || res.status >= 300) return this.failed(res);
    parser.feed(decoder.end());
    return {
      status: res.status,
      body: Buffer.alloc(0),
      contentType: 'text/event-stream',
      usage: usage.final(),
      streamError,
    };
  }

  private async post(kind: NativeKind, call: NativeMessagesCall): Promise<UpstreamResponse> {
    const res = await this.http.post(
      this.host.path(kind, modelOf(call)),
      await this.host.headers(call, call.signal),
      encodeBody(this.host.body(kind, call.body), call.source),
      call.signal,
    );
    const error = res.status !== 200 ? this.host.failure(res) : null;
    if (error) throw error;
    return res;
  }

  /** An error answer: thrown as the adapter's error when not in Anthropic's shape, else passed on. */
  private failed(res: UpstreamResponse): NativeAnswer {
    const error = this.host.failure(res);
    if (error) throw error;
    return answer(res, null);
  }
}

/**
 * Stream events that carry neither usage nor an error (Anthropic names each event as its data's `type`): the
 * adapter does not parse them. An event without a name is parsed, in case a host leaves the names out.
 */
const PASSED_UNREAD = new Set([
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'ping',
  'message_stop',
]);

/** The provider's model id of a native call (its body's `model`). */
export function modelOf(call: NativeMessagesCall): string {
  return typeof call.body.model === 'string' ? call.body.model : '';
}

/** A stream's usage: `message_start` carries the input side, each `message_delta` the running totals. */
export class StreamUsage {
  private counts: JsonObject = {};
  private seen = false;

  read(event: JsonObject): void {
    const usage =
      event.type === 'message_start' && isObject(event.message)
        ? event.message.usage
        : event.type === 'message_delta'
          ? event.usage
          : undefined;
    if (!isObject(usage)) return;
    this.seen = true;
    // later events repeat or update the counts they carry (cumulative): take each field's latest value
    for (const [k, v] of Object.entries(usage)) if (v !== null && v !== undefined) this.counts[k] = v;
  }

  final(): Usage | null {
    return this.seen ? usageFromAnthropic(this.counts) : null;
  }
}

export function answer(res: UpstreamResponse, usage: Usage | null): NativeAnswer {
  const type = res.headers['content-type'];
  return {
    status: res.status,
    body: res.body,
    contentType: typeof type === 'string' ? type : 'application/json',
    usage,
  };
}

export function parse(buf: Buffer): JsonObject | null {
  return parseText(buf.toString('utf8'));
}

function parseText(text: string): JsonObject | null {
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

/** `{type: 'error', error: {type}}`: Anthropic's error body and stream error event. */
export function errorTypeOf(body: JsonObject | null): string | null {
  const error = body && isObject(body.error) ? body.error : null;
  return error && typeof error.type === 'string' ? error.type : null;
}
