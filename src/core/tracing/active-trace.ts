import { context, trace } from '@opentelemetry/api';

/**
 * The active span's ids for a log line, or nothing (tracing off: no context manager, so no span is ever active).
 * Apart from tracing.ts so the logger loads only the API, not the SDK.
 */
export function activeTraceIds(): { trace_id: string; span_id: string } | Record<string, never> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
