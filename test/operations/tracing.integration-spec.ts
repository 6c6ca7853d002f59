import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Tracing } from '#src/core/tracing/tracing';
import { QueueName } from '#src/core/queue/queue.constants';
import { AuditFlushService } from '#src/modules/audit/audit-flush.service';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { CANARY_PROVIDER_KEY, createGateway, createModel } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { drainQueue } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';

/** One span as OTLP/JSON writes it, its attributes flattened. */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  status?: { code?: number };
  resource: Record<string, unknown>;
}

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};
type OtlpAttribute = { key: string; value: OtlpValue };

const flatten = (attributes: OtlpAttribute[] = []): Record<string, unknown> =>
  Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
        value.doubleValue ??
        value.boolValue,
    ]),
  );

/** A local OTLP/HTTP receiver: keeps every export as it came, and decodes the JSON ones into spans. */
class OtlpReceiver {
  readonly exports: { contentType: string; body: Buffer }[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces')
          this.exports.push({ contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) });
        const json = String(req.headers['content-type']).includes('json');
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : undefined);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  spans(): ExportedSpan[] {
    return this.exports
      .filter((e) => e.contentType.includes('json'))
      .flatMap((e) => {
        const request = JSON.parse(e.body.toString('utf8')) as {
          resourceSpans: {
            resource: { attributes: OtlpAttribute[] };
            scopeSpans: {
              spans: (Omit<ExportedSpan, 'attributes' | 'resource' | 'links'> & {
                attributes: OtlpAttribute[];
                links?: { traceId: string; spanId: string }[];
              })[];
            }[];
          }[];
        };
        return request.resourceSpans.flatMap((rs) =>
          rs.scopeSpans.flatMap((ss) =>
            ss.spans.map((s) => ({
              ...s,
              attributes: flatten(s.attributes),
              links: s.links ?? [],
              resource: flatten(rs.resource.attributes),
            })),
          ),
        );
      });
  }

  /** Waits for a span that `match` picks. */
  span(match: (s: ExportedSpan) => boolean): Promise<ExportedSpan> {
    return waitFor(async () => this.spans().find(match), 10_000, 25);
  }
}

const CANARY_BODY = 'canary-prompt-3b9f7c21';
const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, CONSUMER: 5 };

/**
 * SPEC §16, tracing: a call is a span tree (call, admission, each upstream attempt) with the GenAI attributes,
 * continuing the client's `traceparent` and sending its attempt's upstream; billing and audit jobs link to it;
 * logs carry the ids; no body or secret ever reaches an exported span. The exports are read by a real OTLP/HTTP
 * receiver in the test.
 */
describe('tracing over OTLP', () => {
  let receiver: OtlpReceiver;
  let upstream: FakeOpenAi;
  let api: TestApp;
  let gw: Awaited<ReturnType<typeof createGateway>>;

  const chat = (headers: Record<string, string> = {}, body: Record<string, unknown> = {}): Promise<Response> =>
    fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: CANARY_BODY }], ...body }),
    });

  beforeAll(async () => {
    await resetState();
    receiver = await new OtlpReceiver().start();
    upstream = await new FakeOpenAi().start();
    api = await startApi({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_SERVICE_NAME: 'gateway-under-test',
      LOG_LEVEL: 'debug',
    });
    gw = await createGateway(api, upstream.url);
    await createModel(api, { providerId: gw.providerId, name: 'gpt-4o-mini-again' });
  });
  afterAll(async () => {
    await api?.close();
    await upstream.stop();
    await receiver.stop();
  });

  it('exports the call, its admission and its attempt as one tree under the client’s traceparent, sent upstream', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    upstream.reset({ reply: 'traced', usage: { prompt_tokens: 12, completion_tokens: 5, cached: 4 } });
    const res = await chat({ traceparent: `00-${traceId}-${parent}-01` });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const callId = res.headers.get('x-gateway-call-id')!;

    const call = await receiver.span((s) => s.attributes['llmgw.call_id'] === callId);
    expect(call).toMatchObject({ traceId, parentSpanId: parent, kind: SPAN_KIND.SERVER, name: 'chat gpt-4o-mini' });
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'llmgw.api_key_id': gw.keyId,
      'http.response.status_code': 200,
    });
    // 12 × $0.15/M + 5 × $0.60/M
    expect(call.attributes['llmgw.cost_usd']).toBeCloseTo(0.0000048, 10);
    expect(call.resource).toMatchObject({ 'service.name': 'gateway-under-test' });

    const admission = await receiver.span((s) => s.parentSpanId === call.spanId && s.name === 'llmgw.admission');
    expect(admission.traceId).toBe(traceId);
    const attempt = await receiver.span((s) => s.parentSpanId === call.spanId && s.kind === SPAN_KIND.CLIENT);
    expect(attempt.name).toBe('chat gpt-4o-mini-2024-07-18');
    expect(attempt.attributes).toMatchObject({
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
      'llmgw.attempt': 1,
    });
    expect(attempt.attributes['llmgw.cost_usd']).toBeCloseTo(0.0000048, 10);
    // the provider saw the attempt as the parent of its work
    expect(upstream.requests.at(-1)!.headers.traceparent).toBe(`00-${traceId}-${attempt.spanId}-01`);

    // the billing job that wrote the call's usage row links to the call
    await drainQueue(api, QueueName.Billing);
    const billing = await receiver.span(
      (s) => s.name === 'llmgw.billing.record_usage_batch' && s.links.some((l) => l.spanId === call.spanId),
    );
    expect(billing.kind).toBe(SPAN_KIND.CONSUMER);
    expect(billing.links.find((l) => l.spanId === call.spanId)!.traceId).toBe(traceId);
    // and so does the audit batch that stored its record
    await waitFor(async () => ((await api.get(AuditFlushService).flush('manual')).records > 0 ? true : undefined));
    const audit = await receiver.span(
      (s) => s.name === 'llmgw.audit.store_batch' && s.links.some((l) => l.spanId === call.spanId),
    );
    expect(audit.attributes['llmgw.audit.records']).toBeGreaterThanOrEqual(1);
  });

  it('starts a new trace without a traceparent, marks a failed attempt and call, and logs the ids', async () => {
    upstream.reset({ error: { status: 500, body: { error: { message: 'boom', type: 'server_error' } } } });
    const res = await chat();
    expect(res.status).toBe(502);
    const callId = res.headers.get('x-gateway-call-id')!;
    const call = await receiver.span((s) => s.attributes['llmgw.call_id'] === callId);
    expect(call.parentSpanId ?? '').toBe('');
    expect(call.status?.code).toBe(2); // ERROR
    expect(call.attributes['error.type']).toBe('upstream_error');
    const attempt = await receiver.span((s) => s.parentSpanId === call.spanId && s.kind === SPAN_KIND.CLIENT);
    expect(attempt.status?.code).toBe(2);
    expect(attempt.attributes['http.response.status_code']).toBe(502);
    // the lines of the call (the provider's error, the request's completion) carry its trace and span ids, once
    const lines = api.logs.lines.filter((l) => l.includes(call.traceId));
    expect(lines.some((l) => l.includes('failed to answer the request'))).toBe(true);
    expect(lines.some((l) => l.includes('request completed'))).toBe(true);
    for (const line of lines) {
      expect(line.split('"trace_id"')).toHaveLength(2);
      expect(JSON.parse(line)).toMatchObject({ trace_id: call.traceId, span_id: call.spanId });
    }

    // a line written inside the call by any logger (the routing's retry) carries them too, from the call's context
    await api.get(ModelManagementService).createAlias({
      name: 'traced-route',
      modelId: null,
      routing: {
        strategy: 'weighted',
        targets: [
          { model: 'gpt-4o-mini', weight: 1, priority: 0 },
          { model: 'gpt-4o-mini-again', weight: 1, priority: 1 },
        ],
        retries: 0,
        retryOn: ['5xx'],
      },
    });
    upstream.reset({
      errorEvery: 2,
      error: { status: 500, body: { error: { message: 'boom', type: 'server_error' } } },
    });
    const routed = await chat({}, { model: 'traced-route' });
    expect(routed.status).toBe(200);
    const routedCall = await receiver.span(
      (s) => s.attributes['llmgw.call_id'] === routed.headers.get('x-gateway-call-id'),
    );
    expect(routedCall.attributes['llmgw.attempts']).toBe(2);
    const retry = api.logs
      .entries()
      .find((l) => l.msg === 'attempt failed; retrying' && l.trace_id === routedCall.traceId);
    expect(retry).toMatchObject({ span_id: routedCall.spanId });
    const attempts = await waitFor(async () => {
      const found = receiver.spans().filter((s) => s.parentSpanId === routedCall.spanId && s.kind === SPAN_KIND.CLIENT);
      return found.length === 2 ? found : undefined;
    });
    expect(attempts.map((a) => a.attributes['llmgw.attempt']).sort()).toEqual([1, 2]);
  });

  it('puts no body, key or credential into any exported span', async () => {
    upstream.reset({ reply: `an answer quoting ${CANARY_BODY}` });
    const res = await chat({}, { user: 'end-user-canary-55' });
    await res.arrayBuffer();
    await receiver.span((s) => s.attributes['llmgw.call_id'] === res.headers.get('x-gateway-call-id'));
    const exported = receiver.exports.map((e) => e.body.toString('utf8')).join('\n');
    expect(exported.length).toBeGreaterThan(0);
    for (const secret of [CANARY_BODY, gw.key, CANARY_PROVIDER_KEY, 'end-user-canary-55'])
      expect(exported).not.toContain(secret);
  });
});

/** The other protocol, and tracing off (the default), each on an app of its own. */
describe('tracing: protobuf export, and off by default', () => {
  let receiver: OtlpReceiver;
  let upstream: FakeOpenAi;

  beforeAll(async () => {
    receiver = await new OtlpReceiver().start();
    upstream = await new FakeOpenAi().start();
  });
  afterAll(async () => {
    await upstream.stop();
    await receiver.stop();
  });

  it('exports OTLP/HTTP protobuf when asked (the default protocol)', async () => {
    await resetState();
    const api = await startApi({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' });
    try {
      const gw = await createGateway(api, upstream.url);
      const traceId = 'aa0f1e2d3c4b5a69788796a5b4c3d2e1';
      const res = await fetch(`${api.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${gw.key}`,
          'content-type': 'application/json',
          traceparent: `00-${traceId}-1a2b3c4d5e6f7081-01`,
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(res.status).toBe(200);
      // protobuf carries the trace id as its 16 raw bytes, the span name as text
      const exported = await waitFor(async () =>
        receiver.exports.find(
          (e) => e.body.includes(Buffer.from(traceId, 'hex')) && e.body.includes('chat gpt-4o-mini'),
        ),
      );
      expect(exported.contentType).toBe('application/x-protobuf');
    } finally {
      await api.close();
    }
  });

  it('is off without an endpoint: no span, no traceparent upstream, no ids in logs', async () => {
    await resetState();
    const before = receiver.exports.length;
    const api = await startApi();
    try {
      expect(api.get(Tracing).on).toBe(false);
      const gw = await createGateway(api, upstream.url);
      upstream.reset();
      const res = await fetch(`${api.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${gw.key}`,
          'content-type': 'application/json',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(upstream.requests[0].headers.traceparent).toBeUndefined();
      expect(api.logs.entries().some((l) => 'trace_id' in l)).toBe(false);
      await new Promise((r) => setTimeout(r, 200));
      expect(receiver.exports.length).toBe(before);
    } finally {
      await api.close();
    }
  });
});
