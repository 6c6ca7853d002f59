import { connect } from 'node:net';
import { DataSource } from 'typeorm';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { freePort, waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

interface SpendView {
  spend: { spent_usd: string; reserved_usd: string };
}

/** Issue 14 item 4: an upstream failure before the first byte costs 0; a client abort keeps the estimate. */
describe('billing of failed calls', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  let events: EventCapture;
  let model: string;
  let refusedModel: string;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    events = new EventCapture(api);
    const provider = await createProvider(api, { baseUrl: upstream.url });
    model = (await createModel(api, { providerId: provider.id, name: 'failing-model' })).name;
    // a provider on a port nothing listens on: connection refused
    const closed = await createProvider(api, { baseUrl: `http://127.0.0.1:${await freePort()}/v1` });
    refusedModel = (await createModel(api, { providerId: closed.id, name: 'unreachable-model' })).name;
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.reset();
    events.clear();
  });

  const post = (key: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> =>
    fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Write a long story about the sea.' }], ...body }),
      signal,
    });

  const spendOf = async (key: string): Promise<SpendView['spend']> => {
    const res = await fetch(`${api.url}/gateway/key`, { headers: { authorization: `Bearer ${key}` } });
    return ((await res.json()) as SpendView).spend;
  };

  const usageRow = (callId: string): Promise<{ cost: string; prompt: number; estimated: boolean; status: number }> =>
    waitFor(
      async () => {
        const rows = await api
          .get(DataSource)
          .query<{ cost: string; prompt: number; estimated: boolean; status: number }[]>(
            `SELECT cost_usd::text AS cost, prompt_tokens::int AS prompt, estimated, status FROM usage_records WHERE call_id = $1`,
            [callId],
          );
        return rows[0];
      },
      30_000,
      50,
    );

  it.each([
    ['a provider 500 on a JSON call', false, 500],
    ['a provider 500 before the first streamed byte', true, 500],
    ['a provider 429 on a JSON call', false, 429],
  ])('bills %s at 0 and leaves the budget untouched', async (_name, stream, status) => {
    const key = await createKey(api, { monthlyBudget: '5' });
    const before = await spendOf(key.key);
    upstream.reset({ error: { status, body: { error: { message: 'boom', type: 'server_error' } } } });
    const res = await post(key.key, { model, stream, max_tokens: 200 });
    expect(res.status).toBeGreaterThanOrEqual(429);
    const callId = res.headers.get('x-gateway-call-id')!;
    const row = await usageRow(callId);
    expect(row).toMatchObject({ cost: '0', prompt: 0, estimated: false });
    const event = await events.forCall(callId);
    expect(event.costNanos).toBe(0);
    await waitFor(async () => ((await spendOf(key.key)).reserved_usd === '0' ? true : undefined), 5000, 20);
    expect((await spendOf(key.key)).spent_usd).toBe(before.spent_usd);
  });

  it('bills a refused connection at 0, streamed or not', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    for (const stream of [false, true]) {
      const res = await post(key.key, { model: refusedModel, stream });
      expect(res.status).toBe(502);
      const row = await usageRow(res.headers.get('x-gateway-call-id')!);
      expect(row).toMatchObject({ cost: '0', prompt: 0, status: 502 });
    }
    await waitFor(async () => ((await spendOf(key.key)).reserved_usd === '0' ? true : undefined), 5000, 20);
    expect((await spendOf(key.key)).spent_usd).toBe('0');
  });

  it('still bills a client abort at the estimate', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    upstream.reset({ hang: true, reply: 'one two three four five' });
    const controller = new AbortController();
    const res = await post(key.key, { model, stream: true }, controller.signal);
    const callId = res.headers.get('x-gateway-call-id')!;
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk arrived: the answer began
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const row = await usageRow(callId);
    expect(row.status).toBe(499);
    expect(row.estimated).toBe(true);
    expect(row.prompt).toBeGreaterThan(0);
    expect(Number(row.cost)).toBeGreaterThan(0);
    await waitFor(async () => (Number((await spendOf(key.key)).spent_usd) > 0 ? true : undefined), 5000, 20);
  });

  it('bills a client that leaves before the provider answers at the estimate', async () => {
    const key = await createKey(api, { monthlyBudget: '5' });
    upstream.reset({ delayMs: 5000 });
    // a raw socket: the request goes out whole, then the client leaves while the provider is still thinking
    const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Write a long story.' }] });
    const url = new URL(api.url);
    const c = connect(Number(url.port), url.hostname);
    c.on('error', () => undefined);
    c.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${key.key}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await waitFor(async () => (upstream.requests.length > 0 ? true : undefined), 5000, 10);
    c.destroy();
    const event = await waitFor(async () => events.events.find((e) => e.apiKey?.id === key.id), 10_000, 20);
    expect(event.status).toBe(499);
    expect(event.usage.estimated).toBe(true);
    expect(event.costNanos).toBeGreaterThan(0);
  });
});
