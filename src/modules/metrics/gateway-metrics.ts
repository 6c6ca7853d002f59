import { Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * Every gateway metric of SPEC §9, created once per process in prom-client's global registry (several test
 * apps in one process share them). Labels are bounded: the resolved model name or `unknown` (never what the
 * client typed), the provider name, the HTTP status; no request or key ids.
 */
function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames });
}

function histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram<string> {
  return (
    (register.getSingleMetric(name) as Histogram<string> | undefined) ??
    new Histogram({ name, help, labelNames, buckets })
  );
}

/** Model latency: tens of milliseconds to minutes. */
const LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300];
/** Gateway overhead: tens of microseconds to tens of milliseconds. */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];

export const metrics = {
  requests: counter('llmgw_requests_total', 'Requests that reached the proxy, by resolved model, provider and status', [
    'model',
    'provider',
    'status',
  ]),
  duration: histogram(
    'llmgw_request_duration_seconds',
    'Whole request duration, arrival to last byte',
    ['model', 'provider', 'status'],
    LATENCY_BUCKETS,
  ),
  overhead: histogram(
    'llmgw_overhead_seconds',
    "The gateway's own time before the provider was called",
    ['model', 'provider'],
    OVERHEAD_BUCKETS,
  ),
  upstream: histogram(
    'llmgw_upstream_duration_seconds',
    'Time spent waiting on the provider',
    ['model', 'provider', 'status'],
    LATENCY_BUCKETS,
  ),
  ttft: histogram(
    'llmgw_time_to_first_token_seconds',
    'Arrival to the first streamed chunk (or the whole answer)',
    ['model', 'provider'],
    LATENCY_BUCKETS,
  ),
  tokens: counter(
    'llmgw_tokens_total',
    'Tokens billed, by type (prompt, completion, cache_read, cache_write, reasoning)',
    ['model', 'provider', 'type'],
  ),
  cost: counter('llmgw_cost_usd_total', 'Cost billed in USD', ['model', 'provider']),
  attempts: counter(
    'llmgw_attempts_total',
    'Upstream attempts of routed calls, by target model, provider and outcome (success, retried, failed)',
    ['model', 'provider', 'outcome'],
  ),
  targetCooldowns: counter(
    'llmgw_target_cooldowns_total',
    'Routing targets put in cooldown (too many failures in 60 s, or a provider Retry-After)',
    ['model'],
  ),
  fallbacks: counter(
    'llmgw_fallbacks_total',
    'Routed calls answered (or last tried) by a later priority group than their first target',
    ['alias'],
  ),
  cacheHits: counter('llmgw_cache_hits_total', 'Calls answered from the response cache', ['model']),
  cacheMisses: counter(
    'llmgw_cache_misses_total',
    'Calls of cache-enabled routes that went upstream (misses and refreshes; bypasses are not counted)',
    ['model'],
  ),
  cacheSaved: counter(
    'llmgw_cache_saved_usd_total',
    'What the response cache saved: the cost of the answers it replayed, USD',
    ['model'],
  ),
  rateLimited: counter('llmgw_rate_limited_total', 'Calls refused by a rate or token limit', ['model']),
  budgetExceeded: counter('llmgw_budget_exceeded_total', 'Calls refused because the monthly budget is spent', [
    'model',
  ]),
  logRecordsDropped: counter(
    'llmgw_log_records_dropped_total',
    "Audit records dropped because the Redis buffer was full, or the API process's memory cap while Redis was unreachable",
    [],
  ),
  billingEventsDropped: counter(
    'llmgw_billing_events_dropped_total',
    'Billing events dropped because neither Redis nor PostgreSQL took them and BILLING_PENDING_MAX were pending',
    [],
  ),
  unmeteredCalls: counter(
    'llmgw_unmetered_calls_total',
    'Calls let through unmetered while Redis was unreachable (REDIS_FAILURE_MODE=open)',
    [],
  ),
};

export type GaugeCollector = () => Promise<void>;

let queueCollector: GaugeCollector | undefined;

export interface WorkerGauges {
  queueJobs: Gauge<string>;
  logBuffer: Gauge<string>;
}

/**
 * Worker-role gauges, read at scrape time from BullMQ and the audit buffer by whichever worker module is
 * live in this process. Registered by the first worker module that asks, never at import: an API running
 * with RUN_PROCESSORS=false does not export them (SPEC §9).
 */
export function workerGauges(): WorkerGauges {
  return {
    queueJobs:
      (register.getSingleMetric('llmgw_queue_jobs') as Gauge<string> | undefined) ??
      new Gauge({
        name: 'llmgw_queue_jobs',
        help: 'Jobs per BullMQ queue and state',
        labelNames: ['queue', 'state'],
        collect: () => queueCollector?.(),
      }),
    logBuffer:
      (register.getSingleMetric('llmgw_log_buffer_records') as Gauge<string> | undefined) ??
      new Gauge({
        name: 'llmgw_log_buffer_records',
        help: 'Audit records waiting in the Redis buffer',
        labelNames: [],
      }),
  };
}

export function setWorkerGaugeCollector(collector: GaugeCollector | undefined): void {
  queueCollector = collector;
}
