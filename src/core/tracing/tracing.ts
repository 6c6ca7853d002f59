import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  type Context,
  context,
  defaultTextMapGetter,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { AppConfig } from '#src/core/config/app-config';
import type { ParsedEnv } from '#src/core/config/env.schema';

/** A span's ids as they travel with a call to billing and audit (the worker's spans link to them). */
export interface TraceIds {
  traceId: string;
  spanId: string;
}

const propagator = new W3CTraceContextPropagator();

/**
 * OpenTelemetry tracing (SPEC §16): on when an OTLP endpoint is configured (the standard OTEL_* variables, read
 * through the configuration schema), exported over OTLP/HTTP as protobuf or JSON in batches. Off, `on` is false
 * and callers create no span at all, so tracing costs nothing then. Spans are created with explicit parents
 * (the call's span is handed down), and the call runs in its span's context only so log lines carry its ids.
 */
@Injectable()
export class Tracing implements OnApplicationShutdown {
  private readonly logger = new Logger(Tracing.name);
  private readonly provider: NodeTracerProvider | null;
  readonly tracer: Tracer;

  constructor(config: AppConfig) {
    const env = config.env;
    const endpoint = tracesEndpoint(env);
    if (!endpoint || env.OTEL_SDK_DISABLED) {
      this.provider = null;
      this.tracer = trace.getTracer('llm-gateway');
      return;
    }
    const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
    const headers = {
      ...keyValues(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...keyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    };
    const exporter =
      protocol === 'http/json'
        ? new JsonTraceExporter({ url: endpoint, headers })
        : new ProtobufTraceExporter({ url: endpoint, headers });
    this.provider = new NodeTracerProvider({
      resource: defaultResource().merge(
        resourceFromAttributes({
          ...keyValues(env.OTEL_RESOURCE_ATTRIBUTES),
          'service.name': env.OTEL_SERVICE_NAME || 'llm-gateway',
          'service.instance.id': config.podName,
        }),
      ),
      sampler: samplerOf(env),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: env.OTEL_BSP_SCHEDULE_DELAY })],
    });
    this.tracer = this.provider.getTracer('llm-gateway');
    // log lines written while a call runs carry its trace and span ids (logger.ts reads the active context)
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    this.logger.log({ endpoint, protocol }, 'tracing: exporting spans over OTLP');
  }

  /** Whether spans are recorded and exported. */
  get on(): boolean {
    return this.provider !== null;
  }

  /** The parent a client's W3C `traceparent` names, or the root. */
  extract(headers: Record<string, unknown>): Context {
    return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  }

  startSpan(name: string, options: SpanOptions, parent: Context | Span = ROOT_CONTEXT): Span {
    const ctx = isSpan(parent) ? trace.setSpan(ROOT_CONTEXT, parent) : parent;
    return this.tracer.startSpan(name, options, ctx);
  }

  /**
   * Runs `fn` in a span of its own (a root, or a child of `parent`), active so the lines it logs carry its ids;
   * the span fails with `fn` and ends with it.
   */
  async inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
    const span = this.startSpan(name, options);
    try {
      return await this.withSpan(span, () => fn(span));
    } catch (err) {
      Tracing.failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** Runs `fn` with `span` active, so the log lines it writes carry the span's ids. */
  withSpan<T>(span: Span, fn: () => T): T {
    return context.with(trace.setSpan(context.active(), span), fn);
  }

  /** The W3C `traceparent` that makes `span` the parent of what a provider does with the request. */
  static traceparent(span: Span): string {
    const { traceId, spanId, traceFlags } = span.spanContext();
    return `00-${traceId}-${spanId}-0${(traceFlags & 1).toString(16)}`;
  }

  /** Links to the calls a batch job handles (at most 128: a span's links are bounded). */
  static links(ids: readonly (TraceIds | null | undefined)[]): Link[] {
    const links: Link[] = [];
    for (const id of ids) {
      if (!id || links.length >= 128) continue;
      links.push({ context: { traceId: id.traceId, spanId: id.spanId, traceFlags: 1, isRemote: true } });
    }
    return links;
  }

  /** Marks a span failed with the error's class only: a message may quote a request. */
  static failed(span: Span, err: unknown, code?: string | null): void {
    const type = code ?? (err instanceof Error ? err.constructor.name : 'error');
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  }

  /** Exports what is still batched before the process exits. */
  async onApplicationShutdown(): Promise<void> {
    await this.provider?.shutdown().catch((err: unknown) => {
      this.logger.warn({ err: { message: (err as Error).message } }, 'exporting the last spans failed');
    });
  }
}

function tracesEndpoint(env: ParsedEnv): string | null {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return null;
  return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/** `key=value,key2=value2` (values URL-encoded), as the OTEL_* variables write maps. */
function keyValues(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    try {
      out[decodeURIComponent(part.slice(0, i).trim())] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // a malformed escape: the pair is skipped
    }
  }
  return out;
}

function samplerOf(env: ParsedEnv): Sampler {
  const ratio = new TraceIdRatioBasedSampler(env.OTEL_TRACES_SAMPLER_ARG);
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function isSpan(v: Context | Span): v is Span {
  return typeof (v as Span).spanContext === 'function';
}
