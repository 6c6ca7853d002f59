import { HttpException } from '@nestjs/common';
import { AppException } from '#src/core/errors/app.exception';

/** Socket-level failures of a PostgreSQL connection (node and pg error codes). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs meaning the server cannot serve now: connection exceptions, shutdown, too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P01|57P02|57P03|53300)$/;

/** pg's own messages for a pool or connection that cannot reach the server. */
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Connection refused|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/**
 * True when `err` (or what it wraps: TypeORM's QueryFailedError keeps the driver error) says PostgreSQL is
 * unreachable, rather than that a query was wrong.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, driverError, cause } = e as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    if (typeof message === 'string' && PG_MESSAGES.test(message)) return true;
    e = driverError ?? cause;
  }
  return false;
}

/**
 * PostgreSQL cannot be reached: 503 `service_unavailable` on every surface (OpenAI's shape on /v1, the
 * admin shape with `code` on /admin), never a 401 or an unexplained 500. Clients may retry.
 */
export class DatabaseUnavailableException extends AppException {
  constructor(cause?: unknown) {
    super('service_unavailable', 503, 'The gateway cannot reach its database right now; retry shortly.', {
      type: 'api_error',
      headers: { 'retry-after': '5' },
      adminCode: true,
      cause,
    });
  }

  /** `err` as a DatabaseUnavailableException when it is a database outage, else `err` unchanged. */
  static wrap(err: unknown): unknown {
    // an error the gateway already classified (a provider's refused connection is a 502 whose cause is an
    // ECONNREFUSED) keeps its meaning
    if (err instanceof AppException || err instanceof HttpException) return err;
    return isDatabaseUnavailable(err) ? new DatabaseUnavailableException(err) : err;
  }
}
