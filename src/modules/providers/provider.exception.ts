import { AppException } from '#src/core/errors/app.exception';

/** How a provider call failed, in the terms of SPEC §3's error table. */
export enum UpstreamErrorCode {
  /** The provider rejected the request (400, 413, 422): its status, code and message reach the client. */
  BadRequest = 'upstream_bad_request',
  /** The provider refused the gateway's credentials (401, 403). */
  Auth = 'upstream_auth_error',
  /** The provider does not know the model (404). */
  ModelNotFound = 'upstream_model_not_found',
  RateLimited = 'upstream_rate_limited',
  Overloaded = 'upstream_overloaded',
  /** Any other provider 5xx, or a response the gateway cannot read. */
  ServerError = 'upstream_error',
  /** Connection refused, reset, DNS failure. */
  Unreachable = 'upstream_unreachable',
  Timeout = 'upstream_timeout',
  /** The answer (or the stream so far) is larger than UPSTREAM_MAX_RESPONSE_BYTES. */
  TooLarge = 'upstream_response_too_large',
  /** The provider's host is, or resolves to, an address the gateway does not call (link-local, or private). */
  AddressRefused = 'upstream_address_refused',
}

export interface UpstreamErrorDetails {
  /** The provider's own status, for BadRequest (400, 413, 422). */
  status?: number;
  /** The provider's error code or type (BadRequest only), passed to the client as `code`. */
  providerCode?: string | null;
  /** The provider's message (BadRequest only; never for auth errors, which may echo a masked secret). */
  message?: string;
  param?: string | null;
  /** Seconds, from the provider's retry hint. */
  retryAfter?: number;
  cause?: unknown;
}

/**
 * A failed provider call, rendered as SPEC §3 says: provider 400/413/422 keep their status with the
 * provider's code and message; credentials and unknown models become 502 naming the provider (never its
 * secret); throttling 429 with Retry-After; overload 503; other 5xx and unreachable 502; timeouts 504.
 */
export class UpstreamException extends AppException {
  constructor(
    readonly upstreamCode: UpstreamErrorCode,
    readonly providerName: string,
    readonly details: UpstreamErrorDetails = {},
  ) {
    const { status, code, message, type } = UpstreamException.render(upstreamCode, providerName, details);
    const headers: Record<string, string> = {};
    if (details.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(details.retryAfter)));
    super(code, status, message, { type, param: details.param ?? null, headers, cause: details.cause });
  }

  private static render(
    kind: UpstreamErrorCode,
    provider: string,
    d: UpstreamErrorDetails,
  ): {
    status: number;
    code: string;
    message: string;
    type: 'invalid_request_error' | 'api_error' | 'rate_limit_error';
  } {
    switch (kind) {
      case UpstreamErrorCode.BadRequest:
        return {
          status: d.status && [400, 413, 422].includes(d.status) ? d.status : 400,
          code: d.providerCode || 'invalid_request',
          message: d.message || `Provider '${provider}' rejected the request`,
          type: 'invalid_request_error',
        };
      case UpstreamErrorCode.Auth:
        return {
          status: 502,
          code: kind,
          message: `Provider '${provider}' refused the gateway's credentials`,
          type: 'api_error',
        };
      case UpstreamErrorCode.ModelNotFound:
        return {
          status: 502,
          code: kind,
          message: `Provider '${provider}' does not know the requested model`,
          type: 'api_error',
        };
      case UpstreamErrorCode.RateLimited:
        return {
          status: 429,
          code: kind,
          message: `Provider '${provider}' is rate limiting the gateway; retry later`,
          type: 'rate_limit_error',
        };
      case UpstreamErrorCode.Overloaded:
        return {
          status: 503,
          code: kind,
          message: `Provider '${provider}' is overloaded; retry later`,
          type: 'api_error',
        };
      case UpstreamErrorCode.ServerError:
        return {
          status: 502,
          code: 'upstream_error',
          message: `Provider '${provider}' failed to answer the request`,
          type: 'api_error',
        };
      case UpstreamErrorCode.Unreachable:
        return {
          status: 502,
          code: 'upstream_error',
          message: `Provider '${provider}' could not be reached`,
          type: 'api_error',
        };
      case UpstreamErrorCode.TooLarge:
        return {
          status: 502,
          code: kind,
          message: `Provider '${provider}' sent a response larger than the gateway accepts`,
          type: 'api_error',
        };
      case UpstreamErrorCode.AddressRefused:
        return {
          status: 502,
          code: 'upstream_error',
          message: `Provider '${provider}' is at an address the gateway does not call (see PROVIDER_ALLOW_PRIVATE_URLS)`,
          type: 'api_error',
        };
      case UpstreamErrorCode.Timeout:
        return {
          status: 504,
          code: 'upstream_timeout',
          message: `Provider '${provider}' did not answer in time`,
          type: 'api_error',
        };
    }
  }
}

/** Parses a Retry-After (seconds or HTTP date) or retry-after-ms header into seconds. */
export function retryAfterSeconds(headers: Record<string, string | string[] | undefined>): number | undefined {
  const ms = headers['retry-after-ms'];
  if (typeof ms === 'string' && /^\d+(\.\d+)?$/.test(ms)) return Number(ms) / 1000;
  const ra = headers['retry-after'];
  if (typeof ra !== 'string') return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Number(ra.trim());
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
