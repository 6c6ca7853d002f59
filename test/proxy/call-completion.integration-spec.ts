import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { toAuditLine } from '#src/modules/audit/audit-record';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

const LEVELS = 100_000;

/**
 * An OpenAI-format upstream whose answer reports no usage and carries a tool call nested 100,000 levels
 * deep: the gateway's own usage estimate (which serializes tool calls) overflows the stack on it.
 */
async function deepAnswerUpstream(): Promise<{ url: string; server: Server }> {
  const deepArgs = '{"a":'.repeat(LEVELS) + '1' + '}'.repeat(LEVELS);
  const body =
    '{"id":"chatcmpl-deep","object":"chat.completion","created":1700000000,"model":"m","choices":[{"index":0,' +
    `"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":${deepArgs}}]},` +
    '"finish_reason":"tool_calls"}]}';
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

/** Issue 14 item 11: whatever fails while pricing a call, it is settled, billed, audited and released. */
describe('call completion is total', () => {
  let api: TestApp;
  let upstream: { url: string; server: Server };
  let events: EventCapture;

  beforeAll(async () => {
    await resetState();
    upstream = await deepAnswerUpstream();
    api = await startApi();
    events = new EventCapture(api);
  });
  afterAll(async () => {
    await api.close();
    upstream.server.closeAllConnections();
    await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
  });

  it('bills, audits and releases a call whose usage estimate throws on a deeply nested answer', async () => {
    const provider = await createProvider(api, { baseUrl: upstream.url });
    const model = await createModel(api, { providerId: provider.id, name: 'deep-answer' });
    const key = await createKey(api, { monthlyBudget: '5' });
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: model.name, messages: [{ role: 'user', content: 'call a tool' }] }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const callId = res.headers.get('x-gateway-call-id')!;

    const event = await events.forCall(callId);
    expect(event).toMatchObject({ status: 200, admitted: true, usage: { promptTokens: 0, estimated: true } });
    // the audit line of the call is written whole: the deep answer as the provider sent it, never serialized again
    const line = toAuditLine(event, { pod: 'p', logBodies: true, bodyMaxBytes: 1_000_000 });
    expect(line.includes('\n')).toBe(false);
    expect(line.includes('"response_body":{"id":"chatcmpl-deep","object":"chat.completion"')).toBe(true);
    expect((JSON.parse(line) as { call_id: string }).call_id).toBe(callId);
    const rows = await waitFor(
      async () => {
        const r = await api
          .get(DataSource)
          .query<{ status: number }[]>('SELECT status FROM usage_records WHERE call_id = $1', [callId]);
        return r.length > 0 ? r : undefined;
      },
      30_000,
      50,
    );
    expect(rows).toEqual([{ status: 200 }]);
    // nothing left in flight: a graceful shutdown would not wait for this call
    await waitFor(async () => (api.get(LifecycleService).inflightCalls === 0 ? true : undefined), 5000, 20);
  });
});
