import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { type CallEventSink, CallEventsService } from '#src/modules/calls/call-events.service';
import { metrics } from '#src/modules/metrics/gateway-metrics';

/** Turns every call-completed event into the request, latency, token and cost metrics. */
@Injectable()
export class MetricsSink implements CallEventSink, OnModuleInit {
  readonly name = 'metrics';

  constructor(private readonly events: CallEventsService) {}

  onModuleInit(): void {
    this.events.register(this);
  }

  accept(e: CallCompletedEvent): void {
    const model = e.model?.name ?? 'unknown';
    const provider = e.provider?.name ?? 'unknown';
    const status = String(e.status);
    metrics.requests.inc({ model, provider, status });
    metrics.duration.observe({ model, provider, status }, e.latencyMs / 1000);
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
    metrics.overhead.observe({ model, provider }, e.overheadMs / 1000);
    metrics.upstream.observe({ model, provider, status }, Math.max(0, e.latencyMs - e.overheadMs) / 1000);
    if (e.ttftMs !== null) metrics.ttft.observe({ model, provider }, e.ttftMs / 1000);
    const u = e.usage;
    const tokens: [string, number][] = [
      ['prompt', u.promptTokens],
      ['completion', u.completionTokens],
      ['cache_read', u.cacheReadTokens],
      ['cache_write', u.cacheWriteTokens],
      ['reasoning', u.reasoningTokens],
    ];
    for (const [type, n] of tokens) if (n > 0) metrics.tokens.inc({ model, provider, type }, n);
    const cost = Number(e.costUsd);
    if (cost > 0) metrics.cost.inc({ model, provider }, cost);
  }
}
