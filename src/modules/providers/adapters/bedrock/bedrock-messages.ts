import { encodeBody } from '#src/modules/calls/raw-json-object';
import {
  type BedrockRuntimeClient,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { BetaFilter } from '#src/modules/providers/adapters/anthropic/anthropic-betas';
import { modelOf, parse, StreamUsage } from '#src/modules/providers/adapters/anthropic/anthropic-native';
import { usageFromAnthropic } from '#src/modules/providers/adapters/anthropic/anthropic-response.mapper';
import { bedrockError } from '#src/modules/providers/adapters/bedrock/bedrock-error.mapper';
import type {
  JsonObject,
  NativeAnswer,
  NativeMessages,
  NativeMessagesCall,
  RawEventSink,
} from '#src/modules/providers/provider-adapter';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { upstreamHeaders } from '#src/modules/providers/upstream-http';

/** The Messages API version Bedrock's Claude models take, in the body. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/**
 * Claude on Bedrock: a model id (`anthropic.claude-…`), a cross-region inference profile (`us.anthropic.claude-…`,
 * `global.anthropic.claude-…`) or an ARN naming one of them.
 */
export function isBedrockClaude(modelId: string): boolean {
  return /(^|[.:/])anthropic\.claude/.test(modelId);
}

/**
 * Anthropic's Messages API on Bedrock (SPEC §12): InvokeModel and InvokeModelWithResponseStream with the
 * client's body as Anthropic defines it for Bedrock (`anthropic_version` and `anthropic_beta` in the body, the
 * model in the path), CountTokens for count_tokens. Answers and stream events are Anthropic's, relayed as they
 * come; Bedrock's own errors (AWS exceptions) are mapped per SPEC §3 and rendered in Anthropic's shape.
 */
export class BedrockNativeMessages implements NativeMessages {
  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly betas: BetaFilter,
    private readonly provider: string,
  ) {}

  async messages(call: NativeMessagesCall): Promise<NativeAnswer> {
    const command = new InvokeModelCommand({
      modelId: modelOf(call),
      body: this.bytes(call),
      contentType: 'application/json',
      accept: 'application/json',
    });
    const out = await this.send(() => this.client.send(command, { abortSignal: call.signal }), call);
    const raw = Buffer.from(out.body);
    return { status: 200, body: raw, contentType: 'application/json', usage: usageFromAnthropic(parse(raw)?.usage) };
  }

  async messagesStream(call: NativeMessagesCall, sink: RawEventSink): Promise<NativeAnswer> {
    const command = new InvokeModelWithResponseStreamCommand({
      modelId: modelOf(call),
      body: this.bytes(call),
      contentType: 'application/json',
      accept: 'application/json',
    });
    const usage = new StreamUsage();
    await this.send(async () => {
      const res = await this.client.send(command, { abortSignal: call.signal });
      upstreamHeaders(call.signal);
      for await (const part of res.body ?? []) {
        const bytes = part.chunk?.bytes;
        if (!bytes) continue;
        const text = Buffer.from(bytes).toString('utf8');
        const event = parse(Buffer.from(bytes));
        if (!event || typeof event.type !== 'string') throw this.unreadable('a stream chunk without an event type');
        usage.read(event);
        sink.event(event.type, text);
        await sink.backpressure?.(); // a slow client holds the provider's event stream back
      }
    }, call);
    return { status: 200, body: Buffer.alloc(0), contentType: 'text/event-stream', usage: usage.final() };
  }

  async countTokens(call: NativeMessagesCall): Promise<NativeAnswer> {
    const command = new CountTokensCommand({
      modelId: modelOf(call),
      input: { invokeModel: { body: this.bytes(call) } },
    });
    const out = await this.send(() => this.client.send(command, { abortSignal: call.signal }), call);
    if (typeof out.inputTokens !== 'number') throw this.unreadable('a token count without inputTokens');
    const body = Buffer.from(JSON.stringify({ input_tokens: out.inputTokens }));
    return { status: 200, body, contentType: 'application/json', usage: null };
  }

  /** The body as bytes to sign and send, spliced from the client's where it has them. */
  private bytes(call: NativeMessagesCall): Buffer {
    return Buffer.from(encodeBody(this.body(call), call.source));
  }

  /** Bedrock's body: no `model` nor `stream`, `anthropic_version` and the accepted `anthropic_beta` flags added. */
  private body(call: NativeMessagesCall): JsonObject {
    const { model: _model, stream: _stream, ...rest } = call.body;
    const betas = this.betas.filter(call.betas);
    return {
      anthropic_version: BEDROCK_ANTHROPIC_VERSION,
      ...(betas.length > 0 ? { anthropic_beta: betas } : {}),
      ...rest,
    };
  }

  private async send<T>(fn: () => Promise<T>, call: NativeMessagesCall): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw bedrockError(err, call.signal, this.provider);
    }
  }

  private unreadable(what: string): UpstreamException {
    return new UpstreamException(UpstreamErrorCode.ServerError, this.provider, { cause: new Error(what) });
  }
}
