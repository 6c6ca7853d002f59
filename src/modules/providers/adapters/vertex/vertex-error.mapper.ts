import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { retryAfterSeconds, UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import type { UpstreamResponse } from '#src/modules/providers/upstream-http';
import { isObject } from '#src/modules/providers/adapters/shared/openai.shapes';

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

/** The google.rpc.Status of an error body: `{"error": {...}}`, or the same inside an array (stream endpoints). */
export function rpcStatusOf(body: Buffer): JsonObject {
  try {
    let parsed: unknown = JSON.parse(body.toString('utf8'));
    if (Array.isArray(parsed)) parsed = parsed[0];
    if (isObject(parsed) && isObject(parsed.error)) return parsed.error;
  } catch {
    // not JSON: only the HTTP status is known
  }
  return {};
}

/** `RetryInfo.retryDelay` is a protobuf Duration in JSON: seconds with an `s` suffix ("25s", "0.5s"). */
function retryDelaySeconds(status: JsonObject): number | undefined {
  const details = Array.isArray(status.details) ? (status.details as unknown[]) : [];
  for (const d of details) {
    if (isObject(d) && d['@type'] === RETRY_INFO && typeof d.retryDelay === 'string') {
      const m = /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay);
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

/**
 * A Vertex error (HTTP status + google.rpc.Status) → SPEC §3: INVALID_ARGUMENT, FAILED_PRECONDITION and
 * OUT_OF_RANGE (400) keep their status and message; 401/403 → 502 auth (the message is not passed on);
 * 404 → 502 model not found; 429 RESOURCE_EXHAUSTED → 429 with RetryInfo's delay (else Retry-After);
 * 503 UNAVAILABLE → 503; other 5xx → 502.
 */
export function vertexError(
  httpStatus: number,
  status: JsonObject,
  provider: string,
  headers: UpstreamResponse['headers'] = {},
): UpstreamException {
  const rpc = typeof status.status === 'string' ? status.status : null;
  const cause = new Error(`Vertex answered ${httpStatus}${rpc ? ` ${rpc}` : ''}`);
  const retryAfter = retryDelaySeconds(status) ?? retryAfterSeconds(headers);
  if (httpStatus === 400 || httpStatus === 413 || httpStatus === 422) {
    return new UpstreamException(UpstreamErrorCode.BadRequest, provider, {
      status: httpStatus === 413 ? 413 : 400,
      providerCode: rpc ? rpc.toLowerCase() : null,
      message: typeof status.message === 'string' ? status.message : undefined,
      cause,
    });
  }
  if (httpStatus === 401 || httpStatus === 403)
    return new UpstreamException(UpstreamErrorCode.Auth, provider, { cause });
  if (httpStatus === 404) return new UpstreamException(UpstreamErrorCode.ModelNotFound, provider, { cause });
  if (httpStatus === 429) return new UpstreamException(UpstreamErrorCode.RateLimited, provider, { retryAfter, cause });
  if (httpStatus === 503) return new UpstreamException(UpstreamErrorCode.Overloaded, provider, { retryAfter, cause });
  return new UpstreamException(UpstreamErrorCode.ServerError, provider, { cause });
}

/** An `{"error": {...}}` event inside a 200 stream carries its HTTP code in `code`. */
export function vertexStreamError(status: JsonObject, provider: string): UpstreamException {
  return vertexError(typeof status.code === 'number' ? status.code : 500, status, provider);
}
