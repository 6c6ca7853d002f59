/** OpenAI's error `type` values, used on the proxy surface. */
export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'api_error';

export interface AppExceptionOptions {
  type?: OpenAiErrorType;
  /** The request field at fault, for OpenAI's `param`. */
  param?: string | null;
  /** Extra response headers (Retry-After, x-should-retry, ...). */
  headers?: Record<string, string>;
  /** Kept for the log line only; never rendered to the client. */
  cause?: unknown;
  /** Also name `code` in the admin error body, for errors admin clients are expected to branch on. */
  adminCode?: boolean;
}

/**
 * Base of every module's exception: a stable machine code, an HTTP status and a message that is safe to
 * show the client. Services and processors throw subclasses of this, never HttpException.
 */
export class AppException extends Error {
  readonly type: OpenAiErrorType;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly adminCode: boolean;

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    options: AppExceptionOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.type = options.type ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.adminCode = options.adminCode ?? false;
  }
}
