import { Writable } from 'node:stream';
import { Pool, errors as undiciErrors } from 'undici';
import type { IncomingHttpHeaders } from 'undici/types/header';
import { AppException } from '#src/core/errors/app.exception';
import { AddressRefusedError } from '#src/core/net/address-guard';
import type { UpstreamTimeouts } from '#src/modules/providers/provider-adapter';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The client went away before the answer was complete (nginx's 499); nobody is left to read the error. */
export class CallAbortedError extends AppException {
  constructor() {
    super('client_closed_request', 499, 'The client closed the request before the answer was complete');
  }
}

/**
 * Counts what a provider sends and fails once the total passes UPSTREAM_MAX_RESPONSE_BYTES: a body or a
 * stream that never ends cannot fill the process's memory (or a client's) through the gateway.
 */
export class ResponseBudget {
  private received = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly providerName: string,
  ) {}

  /** Throws UpstreamException(TooLarge) when `bytes` more would pass the cap. */
  take(bytes: number): void {
    this.received += bytes;
    if (this.received > this.maxBytes) throw tooLarge(this.providerName, this.maxBytes);
  }
}

export function tooLarge(providerName: string, maxBytes: number): UpstreamException {
  return new UpstreamException(UpstreamErrorCode.TooLarge, providerName, {
    cause: new Error(`the response passed UPSTREAM_MAX_RESPONSE_BYTES (${maxBytes} bytes)`),
  });
}

/** Calls whose provider began a 2xx answer (keyed by the call's signal): a failure after that is mid-answer. */
const answered = new WeakSet<AbortSignal>();

/**
 * Whether the provider began a successful answer for the call with this signal. A failure before that
 * (refused connection, timeout to headers, an error status) used nothing and is billed at 0 (issue 14).
 */
export function upstreamAnswered(signal: AbortSignal): boolean {
  return answered.has(signal);
}

/** What waits for a call's response headers (a routed attempt's timeout), by the signal the call was sent with. */
const headerWatchers = new WeakMap<AbortSignal, () => void>();

/** Runs `fn` once when the provider's response headers arrive for the call sent with `signal`. */
export function onUpstreamHeaders(signal: AbortSignal, fn: () => void): void {
  headerWatchers.set(signal, fn);
}

/** The provider's response headers arrived for the call sent with `signal` (adapters without UpstreamHttp call it). */
export function upstreamHeaders(signal: AbortSignal): void {
  const fn = headerWatchers.get(signal);
  if (!fn) return;
  headerWatchers.delete(signal);
  fn();
}

/** The W3C `traceparent` of the attempt a provider request belongs to (tracing on), by the request's signal. */
const traceparents = new WeakMap<AbortSignal, string>();

/** Sends `traceparent` with the provider requests made with `signal` (the current attempt's span). */
export function traceUpstream(signal: AbortSignal, traceparent: string): void {
  traceparents.set(signal, traceparent);
}

/** Writable that keeps the whole body (non-streamed answers, error bodies), up to the response cap. */
class Collector extends Writable {
  readonly chunks: Buffer[] = [];

  constructor(private readonly budget: ResponseBudget) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.budget.take(chunk.length);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.chunks.push(chunk);
    cb();
  }

  body(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }
}

/**
 * Writable that hands each chunk to `onData` as it arrives; throwing there (or the cap) aborts the request.
 * When `onData` returns a promise (the client is behind), the next chunk waits for it, so undici stops
 * reading the provider's socket and the provider's own send buffer backs up instead of the gateway's memory.
 */
class Forwarder extends Writable {
  constructor(
    private readonly onData: (chunk: Buffer) => Promise<void> | void,
    private readonly budget: ResponseBudget,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let wait: Promise<void> | void;
    try {
      this.budget.take(chunk.length);
      wait = this.onData(chunk);
    } catch (err) {
      cb(err as Error);
      return;
    }
    if (wait) wait.then(() => cb(), cb);
    else cb();
  }
}

/**
 * A keep-alive undici Pool per provider origin. Bodies are piped with `pool.stream()` into a Writable the
 * caller chooses, which costs a fraction of `request()` + `pipeline()`. Connect timeout, headers timeout and
 * the silence allowed between body chunks come from UPSTREAM_CONNECT_TIMEOUT and UPSTREAM_TIMEOUT; an
 * answer (a whole stream included) larger than UPSTREAM_MAX_RESPONSE_BYTES ends the call with 502.
 */
export class UpstreamHttp {
  private readonly pool: Pool;
  private readonly maxResponseBytes: number;
  /** Set when the base URL's host itself is refused (a literal or metadata address never reaches the lookup). */
  private readonly hostRefusal: AddressRefusedError | null;
  readonly basePath: string;

  constructor(
    baseUrl: string,
    private readonly providerName: string,
    timeouts: UpstreamTimeouts,
  ) {
    this.maxResponseBytes = timeouts.maxResponseBytes;
    const url = new URL(baseUrl);
    this.hostRefusal = timeouts.addressPolicy.checkHost(url.hostname);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: timeouts.connectMs, lookup: timeouts.addressPolicy.lookup() },
      headersTimeout: timeouts.idleMs,
      bodyTimeout: timeouts.idleMs,
    });
  }

  /** POSTs and collects the whole answer. */
  async post(
    path: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<UpstreamResponse> {
    let status = 0;
    let responseHeaders: IncomingHttpHeaders = {};
    const collector = new Collector(this.budget());
    await this.send('POST', path, headers, body, signal, ({ statusCode, headers: h }) => {
      status = statusCode;
      responseHeaders = h;
      return collector;
    });
    return { status, headers: responseHeaders, body: collector.body() };
  }

  /**
   * POSTs and, on a 2xx, hands the body to `onData` chunk by chunk (a promise returned there holds the next
   * chunk back); other statuses are collected and returned for the caller to map. Resolves when the body ends.
   */
  async postStreaming(
    path: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
    onData: (chunk: Buffer) => Promise<void> | void,
  ): Promise<UpstreamResponse> {
    let status = 0;
    let responseHeaders: IncomingHttpHeaders = {};
    const collector = new Collector(this.budget());
    await this.send('POST', path, headers, body, signal, ({ statusCode, headers: h }) => {
      status = statusCode;
      responseHeaders = h;
      return statusCode >= 200 && statusCode < 300 ? new Forwarder(onData, this.budget()) : collector;
    });
    return { status, headers: responseHeaders, body: collector.body() };
  }

  get(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<UpstreamResponse> {
    return this.collect('GET', path, headers, signal);
  }

  delete(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<UpstreamResponse> {
    return this.collect('DELETE', path, headers, signal);
  }

  private async collect(
    method: 'GET' | 'DELETE',
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<UpstreamResponse> {
    let status = 0;
    let responseHeaders: IncomingHttpHeaders = {};
    const collector = new Collector(this.budget());
    await this.send(method, path, headers, undefined, signal, ({ statusCode, headers: h }) => {
      status = statusCode;
      responseHeaders = h;
      return collector;
    });
    return { status, headers: responseHeaders, body: collector.body() };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private budget(): ResponseBudget {
    return new ResponseBudget(this.maxResponseBytes, this.providerName);
  }

  private async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
    factory: (data: { statusCode: number; headers: IncomingHttpHeaders }) => Writable,
  ): Promise<void> {
    if (this.hostRefusal) throw this.addressRefused(this.hostRefusal);
    const traceparent = traceparents.get(signal);
    if (traceparent) headers = { ...headers, traceparent };
    try {
      await this.pool.stream(
        { method, path: `${this.basePath}${path}`, headers, body, signal, opaque: null },
        (data) => {
          upstreamHeaders(signal);
          if (data.statusCode >= 200 && data.statusCode < 300) answered.add(signal);
          return factory(data);
        },
      );
    } catch (err) {
      throw this.transportError(err, signal);
    }
  }

  private addressRefused(cause: AddressRefusedError): UpstreamException {
    return new UpstreamException(UpstreamErrorCode.AddressRefused, this.providerName, { cause });
  }

  /** Maps undici and socket errors to SPEC §3: timeouts 504, unreachable 502, the client leaving → CallAbortedError. */
  transportError(err: unknown, signal: AbortSignal): Error {
    if (err instanceof UpstreamException || err instanceof CallAbortedError) return err;
    const refused = err instanceof AddressRefusedError ? err : (err as { cause?: unknown } | null)?.cause;
    if (refused instanceof AddressRefusedError) return this.addressRefused(refused);
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      return reason instanceof DOMException && reason.name === 'TimeoutError'
        ? new UpstreamException(UpstreamErrorCode.Timeout, this.providerName, { cause: err })
        : new CallAbortedError();
    }
    if (
      err instanceof undiciErrors.ConnectTimeoutError ||
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError
    ) {
      return new UpstreamException(UpstreamErrorCode.Timeout, this.providerName, { cause: err });
    }
    return new UpstreamException(UpstreamErrorCode.Unreachable, this.providerName, { cause: err });
  }
}
