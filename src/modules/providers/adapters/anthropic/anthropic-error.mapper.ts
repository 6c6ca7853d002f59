import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { retryAfterSeconds, UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import type { UpstreamResponse } from '#src/modules/providers/upstream-http';

/**
 * A client request the gateway will not send to Anthropic (a parameter Anthropic cannot honour, a content
 * part it has no equivalent for). Rendered as a 400 naming the parameter, before any upstream call.
 */
export class NotTranslatableError extends Error {
  constructor(
    readonly param: string,
    message: string,
    readonly code: 'unsupported_parameter' | 'unsupported_value' | 'invalid_value' = 'unsupported_parameter',
  ) {
    super(message);
  }
}

export function refusedRequest(err: NotTranslatableError, provider: string): UpstreamException {
  return new UpstreamException(UpstreamErrorCode.BadRequest, provider, {
    status: 400,
    providerCode: err.code,
    message: err.message,
    param: err.param,
  });
}

/**
 * Anthropic's error `type` → the HTTP status Anthropic documents for it
 * (https://docs.anthropic.com/en/api/errors), so stream `error` events map like HTTP errors.
 */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

interface AnthropicError {
  type: string | null;
  message: string | undefined;
}

function readError(error: unknown): AnthropicError {
  const e = (error && typeof error === 'object' ? error : {}) as JsonObject;
  return {
    type: typeof e.type === 'string' ? e.type : null,
    message: typeof e.message === 'string' ? e.message : undefined,
  };
}

/** SPEC §3 for one Anthropic status; `headers` only for the retry hint. */
function mapStatus(
  status: number,
  error: AnthropicError,
  provider: string,
  headers: UpstreamResponse['headers'],
): UpstreamException {
  // the cause names the status only: Anthropic's body may echo part of the key on auth errors
  const cause = new Error(`anthropic answered ${status}${error.type ? ` ${error.type}` : ''}`);
  if (status === 400 || status === 413 || status === 422) {
    return new UpstreamException(UpstreamErrorCode.BadRequest, provider, {
      status,
      providerCode: error.type,
      message: error.message,
      cause,
    });
  }
  if (status === 401 || status === 403) return new UpstreamException(UpstreamErrorCode.Auth, provider, { cause });
  if (status === 404) return new UpstreamException(UpstreamErrorCode.ModelNotFound, provider, { cause });
  const retryAfter = retryAfterSeconds(headers);
  if (status === 429) return new UpstreamException(UpstreamErrorCode.RateLimited, provider, { retryAfter, cause });
  if (status === 529 || status === 503) {
    return new UpstreamException(UpstreamErrorCode.Overloaded, provider, { retryAfter, cause });
  }
  if (status === 504) return new UpstreamException(UpstreamErrorCode.Timeout, provider, { cause });
  return new UpstreamException(UpstreamErrorCode.ServerError, provider, { cause });
}

/** A non-2xx Anthropic response (`{"type":"error","error":{"type","message"}}`) → SPEC §3. */
export function anthropicHttpError(res: UpstreamResponse, provider: string): UpstreamException {
  let error: AnthropicError = { type: null, message: undefined };
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as JsonObject;
    error = readError(parsed.error);
  } catch {
    // not JSON (a proxy's HTML page): the status alone decides
  }
  return mapStatus(res.status, error, provider, res.headers);
}

/** An `event: error` inside a 200 stream (e.g. overloaded_error), mapped as its HTTP status would be. */
export function anthropicStreamError(error: unknown, provider: string): UpstreamException {
  const e = readError(error);
  return mapStatus(STATUS_OF_TYPE[e.type ?? ''] ?? 500, e, provider, {});
}
