import { AddressRefusedError } from '#src/core/net/address-guard';
import { retryAfterSeconds, UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { CallAbortedError } from '#src/modules/providers/upstream-http';
import { abortedCallError } from '#src/modules/providers/adapters/shared/openai.shapes';

/** What the AWS SDK puts on its errors (service exceptions carry `$metadata`; `$response` is the raw answer). */
interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
}

const AUTH = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
]);
const RATE_LIMITED = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'TooManyRequestsException']);
const OVERLOADED = new Set(['ServiceUnavailableException', 'ModelNotReadyException']);
const SERVER = new Set(['InternalServerException', 'ModelStreamErrorException', 'ModelErrorException']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE']);

/** The error kind an AWS exception name stands for, whatever its HTTP status (ModelNotReady is a 429). */
function kindByName(name: string): UpstreamErrorCode | undefined {
  if (name === 'ValidationException') return UpstreamErrorCode.BadRequest;
  if (AUTH.has(name)) return UpstreamErrorCode.Auth;
  if (name === 'ResourceNotFoundException') return UpstreamErrorCode.ModelNotFound;
  if (RATE_LIMITED.has(name)) return UpstreamErrorCode.RateLimited;
  if (OVERLOADED.has(name)) return UpstreamErrorCode.Overloaded;
  if (name === 'ModelTimeoutException' || name === 'TimeoutError') return UpstreamErrorCode.Timeout;
  if (SERVER.has(name)) return UpstreamErrorCode.ServerError;
  return undefined;
}

/** Errors the SDK does not model (e.g. another service's exception) by their HTTP status; none is a network failure. */
function kindByStatus(status: number | undefined, code: string | undefined, name: string): UpstreamErrorCode {
  if (status === undefined)
    return NETWORK.has(code ?? '') || NETWORK.has(name) ? UpstreamErrorCode.Unreachable : UpstreamErrorCode.ServerError;
  if (status === 400 || status === 413 || status === 422) return UpstreamErrorCode.BadRequest;
  if (status === 401 || status === 403) return UpstreamErrorCode.Auth;
  if (status === 404) return UpstreamErrorCode.ModelNotFound;
  if (status === 429) return UpstreamErrorCode.RateLimited;
  if (status === 503) return UpstreamErrorCode.Overloaded;
  return UpstreamErrorCode.ServerError;
}

/**
 * An AWS SDK failure (service exception, exception event inside a stream, handler timeout, socket error)
 * → SPEC §3. Only ValidationException's message reaches the client; the others may name accounts and roles.
 */
export function bedrockError(err: unknown, signal: AbortSignal, provider: string): Error {
  // the response cap fails the body stream; the SDK hands that error on wrapped or with text appended to its
  // message, so a fresh one is rendered
  const chain = causeChain(err);
  const capped = chain.find(
    (e): e is UpstreamException => e instanceof UpstreamException && e.upstreamCode === UpstreamErrorCode.TooLarge,
  );
  if (capped) return new UpstreamException(UpstreamErrorCode.TooLarge, provider, { cause: capped.cause });
  // the address policy refuses in the connection's lookup (socket error) or before sending
  const refused = chain.find((e) => e instanceof AddressRefusedError);
  if (refused) return new UpstreamException(UpstreamErrorCode.AddressRefused, provider, { cause: refused });
  if (err instanceof UpstreamException || err instanceof CallAbortedError) return err;
  if (signal.aborted) return abortedCallError(signal, provider);
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const cause = new Error(`Bedrock failed: ${name}${status ? ` (${status})` : ''}`);
  // NodeHttpHandler renames ECONNRESET and EPIPE errors to TimeoutError; they are broken connections
  const broken = status === undefined && NETWORK.has(e.code ?? '');
  const kind = broken ? UpstreamErrorCode.Unreachable : (kindByName(name) ?? kindByStatus(status, e.code, name));
  if (kind === UpstreamErrorCode.BadRequest) {
    return new UpstreamException(kind, provider, {
      status: status === 413 || status === 422 ? status : 400,
      providerCode: name,
      message: e.message,
      cause,
    });
  }
  if (kind === UpstreamErrorCode.RateLimited || kind === UpstreamErrorCode.Overloaded) {
    const retryAfter = e.$response?.headers ? retryAfterSeconds(e.$response.headers) : undefined;
    return new UpstreamException(kind, provider, { retryAfter, cause });
  }
  return new UpstreamException(kind, provider, { cause });
}

/** `err` and its causes, a few levels deep. */
function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) chain.push(e);
  return chain;
}
