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

const MESSAGES_PATH = '/v1/messages';
const COUNT_TOKENS_PATH = '/v1/messages/count_tokens';

/**
 * Anthropic's Messages API passed through (SPEC §12): the client's request goes to Anthropic as it is (model and
 * `max_tokens` as admitted), with its `anthropic-version` and `anthropic-beta`; answers, stream events and errors
 * come back unchanged. Only the usage is read on the way: a stream's `message_start` and final `message_delta`
 * both carry it, and the final counts win (never added twice).
 */
export class AnthropicNativeMessages implements NativeMessages {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly headers: (version: string | null, betas: string[]) => Record<string, string>,
  ) {}

  async messages(call: NativeMessagesCall): Promise<NativeAnswer> {
    const res = await this.http.post(MESSAGES_PATH, this.headersOf(call), JSON.stringify(call.body), call.signal);
    return answer(res, res.status === 200 ? usageFromAnthropic(parse(res.body)?.usage) : null);
  }

  async countTokens(call: NativeMessagesCall): Promise<NativeAnswer> {
    const res = await this.http.post(COUNT_TOKENS_PATH, this.headersOf(call), JSON.stringify(call.body), call.signal);
    return answer(res, null);
  }

  async messagesStream(call: NativeMessagesCall, sink: RawEventSink): Promise<NativeAnswer> {
    const usage = new StreamUsage();
    let streamError: string | undefined;
    const decoder = new StringDecoder('utf8');
    const parser = createParser({
      onEvent: (event) => {
        const type = event.event ?? 'message';
        const data = parse(Buffer.from(event.data));
        if (data) usage.read(data);
        if (type === 'error') streamError = errorTypeOf(data) ?? 'api_error';
        sink.event(type, event.data);
      },
    });
    const res = await this.http.postStreaming(
      MESSAGES_PATH,
      { ...this.headersOf(call), accept: 'text/event-stream' },
      JSON.stringify({ ...call.body, stream: true }),
      call.signal,
      (buf) => {
        parser.feed(decoder.write(buf));
        return sink.backpressure?.(); // a slow client holds the provider's stream back
      },
    );
    if (res.status < 200 || res.status >= 300) return answer(res, null);
    parser.feed(decoder.end());
    return {
      status: res.status,
      body: Buffer.alloc(0),
      contentType: 'text/event-stream',
      usage: usage.final(),
      streamError,
    };
  }

  private headersOf(call: NativeMessagesCall): Record<string, string> {
    return this.headers(call.version, call.betas);
  }
}

/** A stream's usage: `message_start` carries the input side, each `message_delta` the running totals. */
class StreamUsage {
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

function answer(res: UpstreamResponse, usage: Usage | null): NativeAnswer {
  const type = res.headers['content-type'];
  return {
    status: res.status,
    body: res.body,
    contentType: typeof type === 'string' ? type : 'application/json',
    usage,
  };
}

function parse(buf: Buffer): JsonObject | null {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
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
