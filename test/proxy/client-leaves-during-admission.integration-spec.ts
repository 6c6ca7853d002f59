import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { PrivateRedis } from '#test/utils/redis-server';
import { resetState } from '#test/utils/reset';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Issue 14 item 11: a client that leaves while its call is being admitted gets no upstream call. */
describe('a client that leaves during admission', () => {
  let redis: PrivateRedis;
  let admin: Redis;
  let api: TestApp;
  let upstream: FakeOpenAi;
  let events: EventCapture;

  beforeAll(async () => {
    await resetState();
    redis = await PrivateRedis.start();
    admin = redis.client();
    upstream = await new FakeOpenAi().start();
    api = await startApi({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT: '5s' });
    events = new EventCapture(api);
  });
  afterAll(async () => {
    await api.close();
    await upstream.stop();
    admin.disconnect();
    await redis.stop();
  });

  it.each([false, true])(
    'makes no upstream call and completes as 499 billed 0 (stream: %s)',
    async (stream) => {
      const provider = await createProvider(api, { baseUrl: upstream.url });
      const model = await createModel(api, { providerId: provider.id, name: `slow-admission-${stream}` });
      // a budget makes admission run the Lua script, a write that CLIENT PAUSE ... WRITE holds back
      const key = await createKey(api, { monthlyBudget: '5' });
      upstream.reset();
      events.clear();
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      const body = JSON.stringify({ model: model.name, stream, messages: [{ role: 'user', content: 'hello' }] });
      const url = new URL(api.url);
      const socket = connect(Number(url.port), url.hostname);
      socket.on('error', () => undefined);
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${key.key}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await sleep(400); // the request is in admission, waiting on the paused Redis
      socket.destroy();

      const event = await waitFor(async () => events.events.find((e) => e.apiKey?.id === key.id), 10_000, 20);
      expect(event).toMatchObject({ status: 499, errorCode: 'client_closed_request', admitted: true, costNanos: 0 });
      expect(event.usage).toMatchObject({ promptTokens: 0, completionTokens: 0 });
      await sleep(300);
      expect(upstream.requests).toHaveLength(0);
      // settled: the reservation is released and nothing was spent
      const spend = async (): Promise<{ spent_usd: string; reserved_usd: string }> => {
        const res = await fetch(`${api.url}/gateway/key`, { headers: { authorization: `Bearer ${key.key}` } });
        return ((await res.json()) as { spend: { spent_usd: string; reserved_usd: string } }).spend;
      };
      await waitFor(async () => ((await spend()).reserved_usd === '0' ? true : undefined), 5000, 20);
      expect((await spend()).spent_usd).toBe('0');
    },
    20_000,
  );
});
