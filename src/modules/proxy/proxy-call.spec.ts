import { EventEmitter } from 'node:events';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '#src/core/config/app-config';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import type { Admission, AdmissionRequest, AdmissionService } from '#src/modules/calls/admission';
import type { CallCompletedEvent } from '#src/modules/calls/call-event';
import { CallEventsService } from '#src/modules/calls/call-events.service';
import type { ModelResolver, Resolution } from '#src/modules/models/model-resolver.service';
import type { RoutingState } from '#src/modules/proxy/routing-state';
import type { Tracing } from '#src/core/tracing/tracing';
import type { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import { CallAbortedError } from '#src/modules/providers/upstream-http';
import type { ProxyRequest } from '#src/modules/proxy/api-key.guard';
import { CallContext } from '#src/modules/proxy/call-context';
import { type CallRequest, type CallServices, ProxyCall } from '#src/modules/proxy/proxy-call';
import { ReservationKeeper } from '#src/modules/proxy/reservation-keeper';
import type { ResponseCache } from '#src/modules/response-cache/response-cache.service';
import { ProxyException } from '#src/modules/proxy/proxy.exception';

// $1 per million input tokens, $2 per million output tokens, 1 cent per request
const PRICING = [
  { direction: 'input', modality: 'text', unit: '1m_tokens', tier: 'default', price: '1' },
  { direction: 'output', modality: 'text', unit: '1m_tokens', tier: 'default', price: '2' },
  { direction: 'request', modality: 'text', unit: 'request', tier: 'default', price: '0.01' },
] as Resolution['model']['pricing'];

const MODEL: Resolution['model'] = {
  id: 'model-1',
  name: 'm',
  upstreamModel: 'm-upstream',
  providerId: 'p1',
  contextWindow: null,
  maxOutputTokens: null,
  rpmLimit: null,
  tpmLimit: null,
  capabilities: [],
  pricing: PRICING,
};

const RESOLUTION: Resolution = {
  requested: 'm',
  alias: null,
  model: MODEL,
  targets: [{ model: MODEL, weight: 1, priority: 0 }],
  routing: null,
};

const KEY = {
  id: 'key-1',
  name: 'k',
  keyPrefix: 'gw-x',
  allowedModels: [] as string[],
  rateLimit: null,
  tokensPerMinute: null,
  budget: null,
  budgetPeriod: 'month' as const,
  alertThresholds: [0.8, 1],
  expiresAt: null,
  team: null,
  tags: {},
};

/** Collaborators the call drives, recording what it asked of them. */
function world(opts: { admit?: (r: AdmissionRequest) => Promise<Admission>; totalTimeoutMs?: number } = {}) {
  const published: CallCompletedEvent[] = [];
  const settled: { totalTokens: number; costNanos: number }[] = [];
  const reservations = new ReservationKeeper(20_000);
  const events = new CallEventsService();
  events.register({ name: 'test', accept: (e) => published.push(e) });
  const lifecycle = new LifecycleService();
  const admission: Admission = {
    outputLimit: null,
    loweredOutputLimit: null,
    headers: { 'x-ratelimit-limit-requests': '10' },
    periods: { key: 'month:2026-12' },
    admittedAt: new Date('2026-12-06T00:00:00Z'),
    settle: async (s) => {
      settled.push(s);
      return true;
    },
    refresh: async () => undefined,
    release: async () => undefined,
  };
  const services: CallServices = {
    config: {
      env: { UPSTREAM_TOTAL_TIMEOUT: opts.totalTimeoutMs ?? 0 },
      budgetReservationTtlMs: 60_000,
    } as unknown as AppConfig,
    resolver: { resolve: async (name: string) => (name === 'm' ? RESOLUTION : null) } as unknown as ModelResolver,
    providers: {
      get: async () => ({ id: 'p1', name: 'prov', type: 'openai', adapter: { promptTokenUpperBound: () => 10 } }),
    } as unknown as ProviderRegistry,
    admissions: { admit: opts.admit ?? (async () => admission) } as unknown as AdmissionService,
    // calls of a model without a provider quota never touch the routing state
    routing: {} as RoutingState,
    tracing: { on: false } as Tracing,
    // no cache on this route
    cache: { plan: () => null } as unknown as ResponseCache,
    reservations,
    events,
    lifecycle,
  };
  const raw = Object.assign(new EventEmitter(), { writableFinished: false, destroyed: false, socket: {} });
  const reply = { header: () => reply, elapsedTime: 0, raw } as unknown as FastifyReply;
  const req = { id: 'req-1', headers: {}, ip: '127.0.0.1', apiKey: KEY } as unknown as ProxyRequest;
  const call = new ProxyCall(new CallContext(req, reply, 'chat'), services);
  return { call, published, settled, lifecycle, raw, reservations };
}

const request = (model = 'm'): CallRequest => ({
  model,
  clientBody: { model, messages: [{ role: 'user', content: 'hi' }] },
  body: { model, messages: [{ role: 'user', content: 'hi' }] },
  stream: false,
  maxOutputTokens: null,
  serviceTier: null,
  estimate: (_body, generated) => ({
    promptTokens: 7,
    completionTokens: generated.length,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  }),
});

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const USAGE = {
  promptTokens: 1000,
  completionTokens: 500,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};

describe('ProxyCall', () => {
  it('aborts the upstream signal with a TimeoutError after UPSTREAM_TOTAL_TIMEOUT, and holds the reservation until finished', async () => {
    const { call, reservations } = world({ totalTimeoutMs: 30 });
    call.parsed(request());
    await call.admit();
    expect(reservations.size).toBe(1);
    const signal = call.upstream().signal;
    expect(signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
    call.failed(signal.reason);
    call.finish();
    expect(reservations.size).toBe(0);
  });

  it('sets no total timeout when UPSTREAM_TOTAL_TIMEOUT is 0, and a finished call leaves no timer that aborts later', async () => {
    const { call } = world({ totalTimeoutMs: 0 });
    call.parsed(request());
    await call.admit();
    const signal = call.upstream().signal;
    call.succeeded({ usage: USAGE, generated: () => '', responseBody: {} });
    call.finish();
    const timed = world({ totalTimeoutMs: 20 });
    timed.call.parsed(request());
    await timed.call.admit();
    const timedSignal = timed.call.upstream().signal;
    timed.call.succeeded({ usage: USAGE, generated: () => '', responseBody: {} });
    timed.call.finish();
    await new Promise((r) => setTimeout(r, 40));
    expect(signal.aborted).toBe(false);
    expect(timedSignal.aborted).toBe(false);
  });

  it('settles and publishes a successful call once, priced from the provider usage, however often it is finished', async () => {
    const { call, published, settled, lifecycle } = world();
    call.parsed(request());
    await call.admit();
    expect(lifecycle.inflightCalls).toBe(1);
    const cost = call.succeeded({ usage: USAGE, generated: () => 'ignored', responseBody: { ok: true } });
    // 1000 × $1/M + 500 × $2/M + $0.01
    expect(cost.costUsd).toBe('0.012');
    call.failed(new Error('late failure'));
    call.finish();
    call.finish();
    await flush();
    expect(settled).toEqual([{ totalTokens: 1500, costNanos: 12_000_000 }]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      admitted: true,
      status: 200,
      costUsd: '0.012',
      spendSettled: true,
      period: { periods: { key: 'month:2026-12' }, admittedAt: new Date('2026-12-06T00:00:00Z') },
      usage: { ...USAGE, estimated: false },
      provider: { id: 'p1', name: 'prov', type: 'openai' },
      model: { id: 'model-1', name: 'm' },
      responseBody: { ok: true },
    });
    expect(lifecycle.inflightCalls).toBe(0);
  });

  it('estimates the usage when the provider reported none', async () => {
    const { call, published } = world();
    call.parsed(request());
    await call.admit();
    call.succeeded({ usage: null, generated: () => 'abc', responseBody: null });
    call.finish();
    await flush();
    expect(published[0].usage).toEqual({
      promptTokens: 7,
      completionTokens: 3,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      estimated: true,
    });
  });

  it('publishes a refusal before admission with the parsed body, the requested model and nothing billed', async () => {
    const { call, published, settled, lifecycle } = world();
    call.parsed(request('nope'));
    const err = await call.admit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyException);
    call.failed(err);
    call.finish();
    await flush();
    expect(settled).toHaveLength(0);
    expect(lifecycle.inflightCalls).toBe(0);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      admitted: false,
      status: 404,
      errorCode: 'model_not_found',
      requestedModel: 'nope',
      costUsd: '0',
      costNanos: 0,
      requestBody: { model: 'nope' },
      provider: null,
    });
  });

  it('keeps the body given for a request refused before it was parsed', async () => {
    const { call, published } = world();
    call.refusedBefore({ body: null, model: 'gpt' });
    call.failed(new ProxyException('invalid_json' as never, 'bad'));
    call.finish();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ admitted: false, status: 400, requestBody: null, requestedModel: 'gpt' });
  });

  it('bills a failure before the provider answered 0 tokens, and a client that left mid-answer the estimate', async () => {
    const before = world();
    before.call.parsed(request());
    await before.call.admit();
    before.call.ctx.upstreamStarted();
    before.call.failed(new Error('the provider broke'));
    before.call.finish();
    await flush();
    expect(before.published[0]).toMatchObject({ status: 500, usage: { promptTokens: 0, completionTokens: 0 } });
    // the per-request price is still charged, as for any admitted call
    expect(before.settled).toEqual([{ totalTokens: 0, costNanos: 10_000_000 }]);

    const left = world();
    left.call.parsed(request());
    await left.call.admit();
    left.call.ctx.upstreamStarted();
    left.call.failed(new CallAbortedError(), {
      answerStarted: true,
      generated: () => 'ab',
      responseBody: { partial: 1 },
    });
    left.call.finish();
    await flush();
    expect(left.published[0]).toMatchObject({
      status: 499,
      usage: { promptTokens: 7, completionTokens: 2, estimated: true },
      responseBody: { partial: 1 },
    });
  });

  it('bills 0 tokens to a client that left before the provider was called', async () => {
    const { call, published } = world();
    call.parsed(request());
    await call.admit();
    call.failed(new CallAbortedError());
    call.finish();
    await flush();
    expect(published[0]).toMatchObject({ status: 499, usage: { promptTokens: 0, completionTokens: 0 } });
  });

  it('publishes a call finished without an outcome as a 500, and still releases it', async () => {
    const { call, published, lifecycle } = world();
    call.parsed(request());
    await call.admit();
    call.finish();
    await flush();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ admitted: true, status: 500 });
    expect(lifecycle.inflightCalls).toBe(0);
  });

  it('publishes and releases the call even when settling fails', async () => {
    const failing = world({
      admit: async () => ({
        outputLimit: null,
        loweredOutputLimit: null,
        headers: {},
        periods: { key: 'month:2026-12' },
        admittedAt: null,
        settle: () => Promise.reject(new Error('redis down')),
        refresh: async () => undefined,
        release: async () => undefined,
      }),
    });
    failing.call.parsed(request());
    await failing.call.admit();
    failing.call.succeeded({ usage: USAGE, generated: () => '', responseBody: null });
    failing.call.finish();
    await flush();
    expect(failing.published).toHaveLength(1);
    expect(failing.published[0]).toMatchObject({ spendSettled: false, status: 200 });
    // not admitted through Redis: the periods are by this process's clock, with no Redis admission instant
    expect(failing.published[0].period).toEqual({ periods: { key: 'month:2026-12' }, admittedAt: null });
    expect(failing.lifecycle.inflightCalls).toBe(0);
  });

  it('aborts the upstream signal when the client leaves an admitted call', async () => {
    const { call, raw } = world();
    call.parsed(request());
    await call.admit();
    const { signal } = call.upstream();
    expect(signal.aborted).toBe(false);
    raw.emit('close');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(CallAbortedError);
    call.finish();
  });
});
