import { type Span, SpanKind } from '@opentelemetry/api';
import { type TraceIds, Tracing } from '#src/core/tracing/tracing';
import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import type { Usage } from '#src/modules/calls/usage';
import type { ProviderType } from '#src/modules/providers/provider.entity';
import { traceUpstream } from '#src/modules/providers/upstream-http';
import type { CallContext } from '#src/modules/proxy/call-context';

/** `gen_ai.system` (and its successor `gen_ai.provider.name`) of each provider type. */
const GEN_AI_SYSTEM: Record<ProviderType, string> = {
  openai: 'openai',
  'azure-openai': 'az.ai.openai',
  anthropic: 'anthropic',
  'vertex-ai': 'gcp.vertex_ai',
  bedrock: 'aws.bedrock',
};

/** What an attempt's span records when the attempt ends. */
export interface AttemptEnd {
  status: number;
  errorCode: string | null;
  usage?: Usage;
  costUsd?: string;
}

/**
 * The spans of one proxied call (SPEC §16): the call (a server span, child of the client's `traceparent` when it
 * sent one), its admission, and each upstream attempt (a client span with the GenAI attributes, whose context
 * goes upstream as `traceparent`). Created only when tracing is on. Attributes are ids, names and numbers: no
 * body, no header, no key.
 */
export class CallTrace {
  readonly span: Span;
  private admission: Span | null = null;
  private attempt: Span | null = null;
  private attemptModel = '';
  private attempts = 0;

  constructor(
    private readonly tracing: Tracing,
    private readonly ctx: CallContext,
  ) {
    const operation = ctx.endpoint;
    this.span = tracing.startSpan(
      operation,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'gen_ai.operation.name': operation,
          'llmgw.call_id': ctx.callId,
          'http.request.method': ctx.request.method,
          'url.path': ctx.request.url.split('?')[0],
        },
      },
      tracing.extract(ctx.request.headers),
    );
    // the request's own lines (the error the exception filter logs, "request completed") are written outside the
    // call's context: they carry the ids through the request's logger
    const { traceId, spanId } = this.span.spanContext();
    ctx.request.log = ctx.request.log.child({ trace_id: traceId, span_id: spanId });
  }

  /** Runs `fn` in the call's span, so the log lines it writes carry its ids. */
  run<T>(fn: () => T): T {
    return this.tracing.withSpan(this.span, fn);
  }

  get ids(): TraceIds {
    const { traceId, spanId } = this.span.spanContext();
    return { traceId, spanId };
  }

  admissionStarted(): void {
    this.admission = this.tracing.startSpan('llmgw.admission', { kind: SpanKind.INTERNAL }, this.span);
  }

  admissionEnded(err?: unknown): void {
    if (!this.admission) return;
    if (err) Tracing.failed(this.admission, err);
    this.admission.end();
    this.admission = null;
  }

  /** An upstream attempt begins: its span, and the `traceparent` the provider request carries (by its signal). */
  attemptStarted(
    target: { model: { name: string; upstreamModel: string }; provider: { id: string; type: string } },
    signal: AbortSignal,
  ): void {
    this.attempts++;
    this.attemptModel = target.model.upstreamModel;
    const operation = this.ctx.endpoint;
    const system = GEN_AI_SYSTEM[target.provider.type as ProviderType] ?? target.provider.type;
    this.attempt = this.tracing.startSpan(
      `${operation} ${target.model.upstreamModel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': operation,
          'gen_ai.system': system,
          'gen_ai.provider.name': system,
          'gen_ai.request.model': target.model.upstreamModel,
          'llmgw.model': target.model.name,
          'llmgw.provider_id': target.provider.id,
          'llmgw.attempt': this.attempts,
        },
      },
      this.span,
    );
    traceUpstream(signal, Tracing.traceparent(this.attempt));
  }

  attemptEnded(end: AttemptEnd, err?: unknown): void {
    const span = this.attempt;
    if (!span) return;
    this.attempt = null;
    if (end.status) span.setAttribute('http.response.status_code', end.status);
    if (end.usage) {
      span.setAttribute('gen_ai.response.model', this.attemptModel);
      setUsage(span, end.usage);
    }
    if (end.costUsd !== undefined) span.setAttribute('llmgw.cost_usd', Number(end.costUsd));
    if (err || (end.status >= 400 && end.errorCode)) Tracing.failed(span, err, end.errorCode);
    span.end();
  }

  /** The call ended: its outcome on the call's span, which ends. */
  ended(event: CallCompletedEvent, responseModel: string | null, endTime: number): void {
    const span = this.span;
    if (event.requestedModel) {
      span.updateName(`${event.endpoint} ${event.requestedModel}`);
      span.setAttribute('gen_ai.request.model', event.requestedModel);
    }
    if (responseModel) span.setAttribute('gen_ai.response.model', responseModel);
    if (event.apiKey) span.setAttribute('llmgw.api_key_id', event.apiKey.id);
    if (event.model) span.setAttribute('llmgw.model', event.model.name);
    if (event.alias) span.setAttribute('llmgw.alias', event.alias);
    span.setAttribute('http.response.status_code', event.status);
    span.setAttribute('llmgw.cost_usd', Number(event.costUsd));
    span.setAttribute('llmgw.attempts', Math.max(this.attempts, event.attempts?.length ?? 0));
    span.setAttribute('llmgw.stream', event.stream);
    if (event.admitted) setUsage(span, event.usage);
    if (event.status >= 400) Tracing.failed(span, undefined, event.errorCode);
    span.end(endTime);
  }
}

function setUsage(span: Span, usage: Usage): void {
  span.setAttribute('gen_ai.usage.input_tokens', usage.promptTokens);
  span.setAttribute('gen_ai.usage.output_tokens', usage.completionTokens);
  if (usage.cacheReadTokens) span.setAttribute('gen_ai.usage.cache_read.input_tokens', usage.cacheReadTokens);
  if (usage.cacheWriteTokens) span.setAttribute('gen_ai.usage.cache_creation.input_tokens', usage.cacheWriteTokens);
  if (usage.reasoningTokens) span.setAttribute('gen_ai.usage.reasoning.output_tokens', usage.reasoningTokens);
  if (usage.estimated) span.setAttribute('llmgw.usage_estimated', true);
}
