import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableException } from '#src/core/database/database-unavailable';
import { newId } from '#src/core/database/ids';
import { AppException, type OpenAiErrorType } from '#src/core/errors/app.exception';
import { isAnthropicPath, isProxyPath } from '#src/core/http/request-id';

export interface RenderedError {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface Classified {
  status: number;
  code: string;
  message: string | string[];
  type: OpenAiErrorType;
  param: string | null;
  headers: Record<string, string>;
  /** Set for 5xx that were not expected: the id appears in the response and the log line. */
  errorId?: string;
  /** Name `code` in the admin body too (AppExceptionOptions.adminCode). */
  adminCode?: boolean;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function defaultCode(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'invalid_api_key';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 413:
      return 'request_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limit_exceeded';
    default:
      return status >= 500 ? 'internal_error' : 'invalid_request';
  }
}

function typeFor(status: number): OpenAiErrorType {
  if (status === 401) return 'invalid_request_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

/** Fastify's own errors (body parsing, body limit) carry a statusCode and an FST_ code. */
function fastifyError(err: unknown): { status: number; code: string; message: string } | undefined {
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode !== 'number' || typeof e.code !== 'string' || !e.code.startsWith('FST_')) return undefined;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'request_too_large', message: 'Request body is larger than the gateway accepts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', message: 'Send the request body as application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_json', message: 'Request body is empty; send a JSON object' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'invalid_request', message: 'Content-Length does not match the body' };
    default:
      if (e.statusCode === 400 && /JSON/i.test(e.message ?? '')) {
        return { status: 400, code: 'invalid_json', message: 'Request body is not valid JSON' };
      }
      return e.statusCode < 500
        ? { status: e.statusCode, code: defaultCode(e.statusCode), message: e.message ?? '' }
        : undefined;
  }
}

export function classifyError(raw: unknown): Classified {
  // an unreachable PostgreSQL is the same 503 wherever its error surfaces
  const err = DatabaseUnavailableException.wrap(raw);
  if (err instanceof AppException) {
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      type: err.type,
      param: err.param,
      headers: err.headers,
      adminCode: err.adminCode,
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: string | string[] }).message
        : err.message;
    return {
      status,
      code: defaultCode(status),
      message,
      type: typeFor(status),
      param: null,
      headers: {},
      errorId: status >= 500 ? newId() : undefined,
    };
  }
  const fst = fastifyError(err);
  if (fst) return { ...fst, type: typeFor(fst.status), param: null, headers: {} };
  return {
    status: 500,
    code: 'internal_error',
    message: 'The gateway failed to process the request',
    type: 'api_error',
    param: null,
    headers: {},
    errorId: newId(),
  };
}

/**
 * Anthropic's error types (SPEC §12): by status, except an overloaded provider (`overloaded_error`, whatever
 * status the gateway answers) and the budget (`rate_limit_error`, its `x-should-retry: false` kept).
 */
function anthropicErrorType(c: Classified): string {
  if (c.code === 'upstream_overloaded' || c.status === 529) return 'overloaded_error';
  switch (c.status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    default:
      return c.status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** Renders an error in the shape of the surface the request was made to. */
export function renderError(err: unknown, url: string): RenderedError & { errorId?: string } {
  const c = classifyError(err);
  const idSuffix = c.errorId ? ` (error id ${c.errorId})` : '';
  if (isAnthropicPath(url)) {
    const message = Array.isArray(c.message) ? c.message.join('; ') : c.message;
    return {
      status: c.status,
      headers: c.headers,
      errorId: c.errorId,
      body: { type: 'error', error: { type: anthropicErrorType(c), message: `${message}${idSuffix}` } },
    };
  }
  if (isProxyPath(url)) {
    const message = Array.isArray(c.message) ? c.message.join('; ') : c.message;
    return {
      status: c.status,
      headers: c.headers,
      errorId: c.errorId,
      body: { error: { message: `${message}${idSuffix}`, type: c.type, param: c.param, code: c.code } },
    };
  }
  return {
    status: c.status,
    headers: c.headers,
    errorId: c.errorId,
    body: {
      statusCode: c.status,
      message: Array.isArray(c.message) ? c.message : `${c.message}${idSuffix}`,
      error: STATUS_TEXT[c.status] ?? 'Error',
      ...(c.adminCode ? { code: c.code } : {}),
      ...(c.errorId ? { error_id: c.errorId } : {}),
    },
  };
}

/**
 * The one exception filter: OpenAI's error shape on /v1 and /gateway, `{statusCode, message, error}` on
 * the admin API (plus `code` where the exception asks for it). Unexpected errors become 500 with an error id that also appears in the log line.
 */
@Catch()
@Injectable()
export class GatewayExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    sendError(request, reply, exception);
  }
}

export function sendError(request: FastifyRequest, reply: FastifyReply, exception: unknown): void {
  const rendered = renderError(exception, request.url);
  if (rendered.errorId) {
    request.log.error({ err: exception, errorId: rendered.errorId }, 'unhandled error');
  } else if (rendered.status >= 500) {
    request.log.warn(
      { code: (exception as { code?: string }).code, status: rendered.status, err: (exception as Error).cause },
      (exception as Error).message,
    );
  }
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.end();
    return;
  }
  void reply.code(rendered.status).headers(rendered.headers).send(rendered.body);
}
