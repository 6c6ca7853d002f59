import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { type CallEventSink, CallEventsService } from '#src/modules/calls/call-events.service';
import { metrics } from '#src/modules/metrics/gateway-metrics';

const TOKEN_TYPES = ['prompt', 'completion', 'cache_read', 'cache_write', 'reasoning'] as const;

type Counter = { inc(value?: number): void };
type Histogram = { observe(value: number): void };

/** The series a call of one model, provider and status counts in. */
interface CallSeries {
  requests: Counter;
  duration: Histogram;
  upstream: Histogram;
  overhead: Histogram;
  ttft: Histogram;
  cost: Counter;
  tokens: Record<(typeof TOKEN_TYPES)[number], Counter>;
}

/** Turns every call-completed event into the request, latency, token and cost metrics. */
@Injectable()
export class MetricsSink implements CallEventSink, OnModuleInit {
  readonly name = 'metrics';

  constructor(private readonly events: CallEventsService) {}

  onModuleInit(): void {
    this.events.register(this);
  }

  /**
   * The per-call series of one model, provider and status, looked up once: prom-client hashes a label object on
   * every inc/observe, ten times per call. As many entries as the metrics have series (bounded the same way).
   */
  private readonly series = new Map<string, CallSeries>();

  private seriesOf(model: string, provider: string, status: string): CallSeries {
    const id = `${model}\u0000${provider}\u0000${status}`;
    let s: CallSeries | undefined = this.series.get(id);
    if (!s) {
      const mp = { model, provider };
      const mps = { model, provider, status };
      s = {
        requests: metrics.requests.labels(mps),
        duration: metrics.duration.labels(mps),
        upstream: metrics.upstream.labels(mps),
        overhead: metrics.overhead.labels(mp),
        ttft: metrics.ttft.labels(mp),
        cost: metrics.cost.labels(mp),
        tokens: Object.fromEntries(
          TOKEN_TYPES.map((type) => [type, metrics.tokens.labels({ ...mp, type })]),
        ) as CallSeries['tokens'],
      };
      this.series.set(id, s);
    }
    return s;
  }

  accept(e: CallCompletedEvent): void {
    const model = e.model?.name ?? 'unknown';
    const provider = e.provider?.name ?? 'unknown';
    const series = this.seriesOf(model, provider, String(e.status));
    series.requests.inc();
    series.duration.observe(e.latencyMs / 1000);
    if (e.errorCode === 'rate_limit_exceeded' || e.errorCode === 'tokens_limit_exceeded')
      metrics.rateLimited.inc({ model });
    if (e.errorCode === 'budget_exceeded') metrics.budgetExceeded.inc({ model });
    if (!e.admitted) return;
    if (e.cache === 'hit') {
      metrics.cacheHits.inc({ model });
      const saved = Number(e.savedUsd ?? 0);
      if (saved > 0) metrics.cacheSaved.inc({ model }, saved);
    } else if (e.cache === 'miss') metrics.cacheMisses.inc({ model });
    if (e.attempts) {
      e.attempts.forEach((a, i) => {
        const last = i === e.attempts!.length - 1;
        const outcome = !last ? 'retried' : a.status < 400 ? 'success' : 'failed';
        metrics.attempts.inc({ model: a.model, provider: a.providerName, outcome });
      });
      if (e.fellBack) metrics.fallbacks.inc({ alias: e.alias ?? 'unknown' });
    }
    series.overhead.observe(e.overheadMs / 1000);
    series.upstream.observe(Math.max(0, e.latencyMs - e.overheadMs) / 1000);
    if (e.ttftMs !== null) series.ttft.observe(e.ttftMs / 1000);
    const u = e.usage;
    if (u.promptTokens > 0) series.tokens.prompt.inc(u.promptTokens);
    if (u.completionTokens > 0) series.tokens.completion.inc(u.completionTokens);
    if (u.cacheReadTokens > 0) series.tokens.cache_read.inc(u.cacheReadTokens);
    if (u.cacheWriteTokens > 0) series.tokens.cache_write.inc(u.cacheWriteTokens);
    if (u.reasoningTokens > 0) series.tokens.reasoning.inc(u.reasoningTokens);
    const cost = Number(e.costUsd);
    if (cost > 0) series.cost.inc(cost);
  }
}
