import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { activeTraceIds } from '#src/core/tracing/active-trace';

/**
 * Paths redacted from every log line. Request objects are never logged whole, but if a header map
 * slips in, secrets are still removed.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'password',
  'token',
  'credentials',
  '*.password',
  '*.token',
  '*.credentials',
  '*.api_key',
  '*.apiKey',
];

export interface LoggerOptions {
  level: string;
  pod: string;
  /** Where lines go; stdout by default. Tests pass a stream to capture them. */
  destination?: pino.DestinationStream;
}

/** The process logger: one JSON line per event. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { pod: options.pod },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // trace_id and span_id of the call a line is written in, when tracing is on (unless the line's logger is the
      // request's, which carries them already)
      mixin: (_line, _level, instance) => {
        const ids = activeTraceIds();
        return 'trace_id' in ids && 'trace_id' in instance.bindings() ? {} : ids;
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** Nest's start-up chatter (one line per module, controller and route): debug, not info. */
const NEST_REGISTRATION_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** Routes Nest's own logging (bootstrap, module errors, `new Logger(ctx)`) into pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    this.write(
      typeof context === 'string' && NEST_REGISTRATION_CONTEXTS.has(context) ? 'debug' : 'info',
      message,
      rest,
    );
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes (message, ...optionalParams, context); an Error's stack comes second for `error`. */
  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const params = [...rest];
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, message.message);
      return;
    }
    let text: string | undefined;
    for (const p of params) {
      if (typeof p === 'string' && p.includes('\n    at ')) fields.stack = p;
      else if (typeof p === 'string') text ??= p;
      else if (p && typeof p === 'object') Object.assign(fields, p);
    }
    if (message && typeof message === 'object') {
      // `logger.log({ fields }, 'message')`: the message is the string after the fields
      Object.assign(fields, message);
      if (text === undefined) this.logger[level](fields);
      else this.logger[level](fields, text);
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
