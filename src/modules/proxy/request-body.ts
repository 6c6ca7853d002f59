import { DEEP_BODY_PLACEHOLDER, MAX_BODY_DEPTH, nestedDeeperThan } from '#src/core/http/body-depth';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { ProxyErrorCode, ProxyException } from '#src/modules/proxy/proxy.exception';

/**
 * The proxy validates only the fields it reads (model, messages/input, stream, token limits, encoding) and
 * passes everything else through untouched, as OpenAI's API defines it.
 */
export function requireObjectBody(body: unknown, contentType?: string): JsonObject {
  // a body sent without `content-type: application/json` (curl -d's default is form-urlencoded) was not read as JSON
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (body !== undefined && mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
    throw new ProxyException(
      ProxyErrorCode.InvalidJson,
      `The request body must be JSON sent with the header 'content-type: application/json' (got '${(mediaType ?? 'none').slice(0, 100)}').`,
    );
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProxyException(ProxyErrorCode.InvalidJson, 'The request body must be a JSON object.');
  }
  if (nestedDeeperThan(body, MAX_BODY_DEPTH)) {
    throw new ProxyException(
      ProxyErrorCode.BodyTooDeep,
      `The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`,
    );
  }
  return body as JsonObject;
}

/** The body as a refusal's audit record may hold it: a too-deep body is replaced by a placeholder. */
export function refusedBodyForAudit(err: unknown, body: unknown): unknown {
  return err instanceof ProxyException && err.code === String(ProxyErrorCode.BodyTooDeep)
    ? DEEP_BODY_PLACEHOLDER
    : body;
}

export function positiveInt(body: JsonObject, field: string): number | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ProxyException(ProxyErrorCode.InvalidValue, `'${field}' must be a positive integer.`, field);
  }
  return v;
}

/** `body[field]` when it has `type`; undefined when absent or null; a 400 naming the field otherwise. */
export function typed(body: JsonObject, field: string, type: 'number' | 'boolean' | 'string' | 'object'): unknown {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (type === 'object' ? !v || typeof v !== 'object' || Array.isArray(v) : typeof v !== type) {
    throw new ProxyException(
      ProxyErrorCode.InvalidType,
      `'${field}' must be a${type === 'object' ? 'n' : ''} ${type}.`,
      field,
    );
  }
  return v;
}

export function requireModel(body: JsonObject): string {
  const model = body.model;
  if (model === undefined || model === null || model === '') {
    throw new ProxyException(ProxyErrorCode.MissingParameter, "You must provide a model parameter ('model').", 'model');
  }
  if (typeof model !== 'string')
    throw new ProxyException(ProxyErrorCode.InvalidType, "'model' must be a string.", 'model');
  return model;
}

export interface ChatFields {
  model: string;
  stream: boolean;
  /** The client asked for the final usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** `max_completion_tokens`, else `max_tokens`. */
  maxOutputTokens: number | null;
  serviceTier: string | null;
}

export function validateChat(body: JsonObject): ChatFields {
  const model = requireModel(body);
  const messages = body.messages;
  if (messages === undefined)
    throw new ProxyException(ProxyErrorCode.MissingParameter, "Missing required parameter: 'messages'.", 'messages');
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new ProxyException(ProxyErrorCode.InvalidValue, "'messages' must be a non-empty array.", 'messages');
  }
  messages.forEach((m, i) => {
    if (!m || typeof m !== 'object' || typeof (m as JsonObject).role !== 'string') {
      throw new ProxyException(
        ProxyErrorCode.InvalidValue,
        `'messages[${i}]' must be an object with a 'role'.`,
        `messages[${i}]`,
      );
    }
  });
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw new ProxyException(ProxyErrorCode.InvalidType, "'stream' must be a boolean.", 'stream');
  }
  const streamOptions = body.stream_options;
  if (
    streamOptions !== undefined &&
    streamOptions !== null &&
    (typeof streamOptions !== 'object' || Array.isArray(streamOptions))
  ) {
    throw new ProxyException(ProxyErrorCode.InvalidType, "'stream_options' must be an object.", 'stream_options');
  }
  const maxCompletion = positiveInt(body, 'max_completion_tokens');
  const maxTokens = positiveInt(body, 'max_tokens');
  return {
    model,
    stream: body.stream === true,
    includeUsage: (streamOptions as JsonObject | undefined)?.include_usage === true,
    maxOutputTokens: maxCompletion ?? maxTokens,
    serviceTier: typeof body.service_tier === 'string' ? body.service_tier : null,
  };
}

export interface EmbeddingsFields {
  model: string;
  base64: boolean;
}

export function validateEmbeddings(body: JsonObject): EmbeddingsFields {
  const model = requireModel(body);
  const input = body.input;
  if (input === undefined || input === null)
    throw new ProxyException(ProxyErrorCode.MissingParameter, "Missing required parameter: 'input'.", 'input');
  if (typeof input !== 'string' && !Array.isArray(input)) {
    throw new ProxyException(ProxyErrorCode.InvalidType, "'input' must be a string or an array.", 'input');
  }
  if (Array.isArray(input) && input.length === 0)
    throw new ProxyException(ProxyErrorCode.InvalidValue, "'input' must not be empty.", 'input');
  const format = body.encoding_format;
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64') {
    throw new ProxyException(
      ProxyErrorCode.InvalidValue,
      "'encoding_format' must be 'float' or 'base64'.",
      'encoding_format',
    );
  }
  return { model, base64: format === 'base64' };
}

/** Sets the output limit the budget reserved, in the field the client used (max_completion_tokens by default). */
export function withOutputLimit(body: JsonObject, limit: number): JsonObject {
  if (body.max_tokens !== undefined && body.max_completion_tokens === undefined) return { ...body, max_tokens: limit };
  return { ...body, max_completion_tokens: limit, ...(body.max_tokens !== undefined ? { max_tokens: limit } : {}) };
}

/**
 * The application's end user of a request (SPEC §13): OpenAI's `user` (chat, embeddings, responses) or
 * Anthropic's `metadata.user_id`; at most 256 characters are kept. Null when the request names none.
 */
export function endUserOf(body: JsonObject | null | undefined): string | null {
  if (!body) return null;
  const metadata = body.metadata;
  const user =
    typeof body.user === 'string'
      ? body.user
      : metadata && typeof metadata === 'object' && !Array.isArray(metadata)
        ? (metadata as JsonObject).user_id
        : undefined;
  return typeof user === 'string' && user !== '' ? user.slice(0, 256) : null;
}
