import type { Usage } from '#src/modules/calls/usage';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import type { UpperBoundFactors } from '#src/modules/providers/token-estimator';
import { CallAbortedError } from '#src/modules/providers/upstream-http';

/**
 * Provider-neutral helpers for translating OpenAI chat and embeddings requests and answers, shared by the
 * adapters that speak another wire format (Vertex AI, Bedrock).
 */

/** A request this adapter will not translate; the adapter answers it with a 400 naming the parameter. */
export class RequestRefusal extends Error {
  constructor(
    message: string,
    readonly param: string | null,
    readonly code = 'unsupported_parameter',
  ) {
    super(message);
  }
}

export function isObject(v: unknown): v is JsonObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** `data:<mime>;base64,<data>` → its parts; null for any other URL. */
export function parseDataUrl(url: string): { mimeType: string; data: string } | null {
  const m = /^data:([^;,]+)(?:;[^;,]+)*;base64,(.*)$/s.exec(url);
  return m ? { mimeType: m[1].toLowerCase(), data: m[2] } : null;
}

/** A message's text: a string, or an array of text (and refusal) parts. */
export function contentText(content: unknown, param: string): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new RequestRefusal(`'${param}' must be a string or an array of parts.`, param);
  return content
    .map((part: unknown, i) => {
      if (isObject(part) && typeof part.text === 'string') return part.text;
      if (isObject(part) && typeof part.refusal === 'string') return part.refusal;
      throw new RequestRefusal(`'${param}[${i}]' must be a text part here.`, `${param}[${i}]`);
    })
    .join('');
}

/** `max_completion_tokens`, else `max_tokens` (the proxy has validated both). */
export function outputLimit(body: JsonObject): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens;
  return typeof v === 'number' ? v : undefined;
}

export function stopSequences(body: JsonObject): string[] | undefined {
  const stop = body.stop;
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) return stop.length > 0 ? stop : undefined;
  if (stop === undefined || stop === null) return undefined;
  throw new RequestRefusal("'stop' must be a string or an array of strings.", 'stop', 'invalid_value');
}

/** OpenAI parameters no provider translation here can honour; refused only when set to a non-default value. */
const REFUSED: Record<string, (v: unknown) => boolean> = {
  logprobs: (v) => v === true,
  top_logprobs: (v) => v !== undefined && v !== null,
  logit_bias: (v) => isObject(v) && Object.keys(v).length > 0,
  audio: (v) => v !== undefined && v !== null,
  modalities: (v) => Array.isArray(v) && v.some((m) => m !== 'text'),
  prediction: (v) => v !== undefined && v !== null,
  web_search_options: (v) => v !== undefined && v !== null,
  functions: (v) => v !== undefined && v !== null,
  function_call: (v) => v !== undefined && v !== null,
};

/** Throws for the first parameter in `extra` or the common list that the provider cannot honour. */
export function refuseUnsupported(
  body: JsonObject,
  provider: string,
  extra: Record<string, (v: unknown) => boolean> = {},
): void {
  for (const [param, isSet] of Object.entries({ ...REFUSED, ...extra })) {
    if (isSet(body[param])) {
      throw new RequestRefusal(`'${param}' is not supported for ${provider} models by this gateway.`, param);
    }
  }
}

/**
 * Usage → OpenAI's `usage` object, cache writes under `prompt_tokens_details.cache_write_tokens`: always for
 * providers that report cache writes (`reportsCacheWrites`, Anthropic), else only when there were some.
 */
export function openAiUsage(u: Usage, reportsCacheWrites = false): JsonObject {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: {
      cached_tokens: u.cacheReadTokens,
      ...(reportsCacheWrites || u.cacheWriteTokens > 0 ? { cache_write_tokens: u.cacheWriteTokens } : {}),
    },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}

/** Every piece of prompt text a chat or embeddings request carries (not image data), for digit counting. */
export function promptDigits(body: JsonObject): number {
  let digits = 0;
  const count = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) digits++;
    }
  };
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!v.startsWith('data:')) count(v);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (isObject(v)) Object.values(v).forEach(visit);
  };
  visit(body.messages);
  visit(body.input);
  visit(body.tools);
  visit(body.response_format);
  return digits;
}

/** The error of a call whose signal fired: the total timeout (504) or the client leaving (499). */
export function abortedCallError(signal: AbortSignal, providerName: string): Error {
  const reason: unknown = signal.reason;
  return reason instanceof DOMException && reason.name === 'TimeoutError'
    ? new UpstreamException(UpstreamErrorCode.Timeout, providerName)
    : new CallAbortedError();
}

/**
 * The prompt upper-bound factors, with the provider's optional `config.prompt_text_factor` and
 * `config.prompt_image_tokens` overrides. A malformed override stops the provider from loading (the
 * registry logs the message), rather than silently under-reserving budgets.
 */
export function boundFactors(config: Record<string, unknown>, defaults: UpperBoundFactors): UpperBoundFactors {
  const factor = config.prompt_text_factor;
  const image = config.prompt_image_tokens;
  if (factor !== undefined && (typeof factor !== 'number' || !(factor >= 1)))
    throw new Error('config.prompt_text_factor must be a number of at least 1');
  if (image !== undefined && (typeof image !== 'number' || !Number.isInteger(image) || image < 1))
    throw new Error('config.prompt_image_tokens must be a positive integer');
  return { textFactor: factor ?? defaults.textFactor, perImage: image ?? defaults.perImage };
}

/** Vectors and their token count → OpenAI's embeddings list and the usage to bill. */
export function toEmbeddingsList(
  vectors: number[][],
  tokens: number,
  model: string,
): { body: JsonObject; usage: Usage } {
  return {
    body: {
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
    usage: { promptTokens: tokens, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  };
}
