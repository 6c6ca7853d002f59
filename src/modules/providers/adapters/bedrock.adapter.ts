import {
  type BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type {
  ChatResult,
  ChunkSink,
  EmbeddingsResult,
  JsonObject,
  NativeMessages,
  ProviderAdapter,
  ProviderSettings,
  StreamResult,
  UpstreamCall,
  UpstreamTimeouts,
} from '#src/modules/providers/provider-adapter';
import type { ProviderType } from '#src/modules/providers/provider.entity';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { upstreamHeaders } from '#src/modules/providers/upstream-http';
import {
  chatPromptUpperBound,
  measureEmbeddingsInput,
  type UpperBoundFactors,
} from '#src/modules/providers/token-estimator';
import { ANTHROPIC_PROMPT_BOUND } from '#src/modules/providers/adapters/anthropic/anthropic-settings';
import { BEDROCK_BETAS, BetaFilter } from '#src/modules/providers/adapters/anthropic/anthropic-betas';
import { BedrockNativeMessages, isBedrockClaude } from '#src/modules/providers/adapters/bedrock/bedrock-messages';
import { createBedrockClient } from '#src/modules/providers/adapters/bedrock/bedrock-client.factory';
import {
  embeddingFamily,
  embeddingTexts,
  invokeBodies,
  readInvokeAnswer,
} from '#src/modules/providers/adapters/bedrock/bedrock-embeddings.mapper';
import { bedrockError } from '#src/modules/providers/adapters/bedrock/bedrock-error.mapper';
import { toConverseInput } from '#src/modules/providers/adapters/bedrock/converse-request.mapper';
import { toChatCompletion } from '#src/modules/providers/adapters/bedrock/converse-response.mapper';
import { ConverseStreamMapper } from '#src/modules/providers/adapters/bedrock/converse-stream.mapper';
import {
  boundFactors,
  isObject,
  promptDigits,
  RequestRefusal,
  toEmbeddingsList,
} from '#src/modules/providers/adapters/shared/openai.shapes';

/**
 * Upper bound for the budget (docs/providers/bedrock.md): Bedrock serves several tokenizer families; the
 * widest in common use is Claude's, which counts up to about 1.35× o200k on English text, so text is
 * bounded at 1.6 × o200k tokens plus one token per digit (SentencePiece models such as Mistral split
 * numbers into digits). Claude bills an image at most ~1,600 tokens (≈4,800 on Opus 4.7's larger
 * resolution); 4,800 covers both.
 */
const BEDROCK_BOUND = { textFactor: 1.6, perImage: 4800 };

/** Bedrock returns the token count of an InvokeModel input in this header (Cohere's body has none). */
const INPUT_TOKENS_HEADER = 'x-amzn-bedrock-input-token-count';

/**
 * AWS Bedrock through the Converse / ConverseStream APIs (chat) and InvokeModel (Titan and Cohere embeddings),
 * translated from and to OpenAI's API with the official SDK; Anthropic's Messages API natively for Claude
 * models (InvokeModel with Anthropic's body). See docs/providers/bedrock.md.
 */
export class BedrockAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'bedrock';
  readonly name: string;
  private readonly bound: UpperBoundFactors;
  private readonly client: BedrockRuntimeClient;
  private readonly native: NativeMessages;

  constructor(settings: ProviderSettings, timeouts: UpstreamTimeouts) {
    this.name = settings.name;
    this.bound = boundFactors(settings.config, BEDROCK_BOUND);
    this.client = createBedrockClient(settings, timeouts);
    this.native = new BedrockNativeMessages(
      this.client,
      new BetaFilter(settings.name, settings.config, BEDROCK_BETAS),
      settings.name,
    );
  }

  /** Claude models speak Anthropic's Messages API natively through InvokeModel (bedrock-messages.ts). */
  messagesFor(upstreamModel: string): NativeMessages | null {
    return isBedrockClaude(upstreamModel) ? this.native : null;
  }

  async chat(call: UpstreamCall): Promise<ChatResult> {
    const input = this.translate(() => toConverseInput(call.body));
    try {
      const out = await this.client.send(new ConverseCommand({ modelId: call.upstreamModel, ...input }), {
        abortSignal: call.signal,
      });
      return toChatCompletion(out, call.upstreamModel);
    } catch (err) {
      throw bedrockError(err, call.signal, this.name);
    }
  }

  async chatStream(call: UpstreamCall, sink: ChunkSink): Promise<StreamResult> {
    const input = this.translate(() => toConverseInput(call.body));
    try {
      const res = await this.client.send(new ConverseStreamCommand({ modelId: call.upstreamModel, ...input }), {
        abortSignal: call.signal,
      });
      upstreamHeaders(call.signal);
      const translator = new ConverseStreamMapper(call.upstreamModel, sink, res.$metadata.requestId);
      for await (const event of res.stream ?? []) {
        translator.push(event);
        await sink.backpressure?.(); // a slow client holds the provider's event stream back
      }
      return { usage: translator.finish() };
    } catch (err) {
      throw bedrockError(err, call.signal, this.name);
    }
  }

  async embeddings(call: UpstreamCall): Promise<EmbeddingsResult> {
    const family = this.translate(() => embeddingFamily(call.upstreamModel));
    const texts = this.translate(() => embeddingTexts(call.body.input));
    const bodies = invokeBodies(family, texts, call.body);
    const answers = await Promise.all(bodies.map((body) => this.invoke(call, body)));
    const read = answers.map(({ answer, headerTokens }, i) => {
      const expected = family === 'titan' ? 1 : (bodies[i].texts as string[]).length;
      const r = readInvokeAnswer(family, answer, expected);
      if (!r) throw this.unreadable('embeddings answer without one embedding per input');
      return { vectors: r.vectors, tokens: r.tokens ?? headerTokens };
    });
    const { body, usage } = toEmbeddingsList(
      read.flatMap((r) => r.vectors),
      read.reduce((sum, r) => sum + (r.tokens ?? 0), 0),
      call.upstreamModel,
    );
    // without a token count from Bedrock the gateway counts the input itself
    return { body, usage: read.every((r) => r.tokens !== null) ? usage : null };
  }

  promptTokenUpperBound(body: JsonObject): number {
    const digits = promptDigits(body);
    if (body.input !== undefined && body.messages === undefined)
      return Math.ceil(measureEmbeddingsInput(body.input) * this.bound.textFactor) + digits;
    // Claude on Bedrock adds Anthropic's tool-use system prompt when a request carries tools
    const usesTools = Array.isArray(body.tools) && body.tools.length > 0;
    return chatPromptUpperBound(body, this.bound) + digits + (usesTools ? ANTHROPIC_PROMPT_BOUND.toolSystemPrompt : 0);
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  /** One InvokeModel call, keeping the input token count Bedrock reports in a response header. */
  private async invoke(
    call: UpstreamCall,
    body: JsonObject,
  ): Promise<{ answer: JsonObject; headerTokens: number | null }> {
    const command = new InvokeModelCommand({
      modelId: call.upstreamModel,
      body: Buffer.from(JSON.stringify(body)),
      contentType: 'application/json',
      accept: 'application/json',
    });
    let headerTokens: number | null = null;
    command.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const value = (out.response as { headers?: Record<string, string> }).headers?.[INPUT_TOKENS_HEADER];
        if (value !== undefined && /^\d+$/.test(value)) headerTokens = Number(value);
        return out;
      },
      { step: 'deserialize', name: 'llmgwInputTokenCount' },
    );
    let raw: Uint8Array;
    try {
      raw = (await this.client.send(command, { abortSignal: call.signal })).body;
    } catch (err) {
      throw bedrockError(err, call.signal, this.name);
    }
    try {
      const answer: unknown = JSON.parse(Buffer.from(raw).toString('utf8'));
      if (isObject(answer)) return { answer, headerTokens };
    } catch {
      // unreadable below
    }
    throw this.unreadable('unparseable InvokeModel answer');
  }

  /** A request the translation refuses → 400 in OpenAI's shape, naming the parameter. */
  private translate<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof RequestRefusal)) throw err;
      throw new UpstreamException(UpstreamErrorCode.BadRequest, this.name, {
        status: 400,
        providerCode: err.code,
        message: err.message,
        param: err.param,
      });
    }
  }

  private unreadable(what: string): UpstreamException {
    return new UpstreamException(UpstreamErrorCode.ServerError, this.name, { cause: new Error(what) });
  }
}
