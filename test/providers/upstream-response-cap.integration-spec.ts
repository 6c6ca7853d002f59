import { BedrockGateway } from '#test/providers/bedrock-gateway';
import { type ProviderGateway, sseData, startProviderGateway } from '#test/providers/provider-gateway';
import { CANARY_PROVIDER_KEY } from '#test/factories/gateway-fixtures';
import { FakeOpenAi } from '#test/utils/fake-openai';

/** UPSTREAM_MAX_RESPONSE_BYTES for these tests; the long reply is ten times larger. */
const CAP = { UPSTREAM_MAX_RESPONSE_BYTES: '16kb' };
const LONG_REPLY = 'lorem '.repeat(30_000);
const TOO_LARGE = { code: 'upstream_response_too_large', type: 'api_error' };

async function chat(url: string, key: string, model: string, stream: boolean): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('upstream response cap (UPSTREAM_MAX_RESPONSE_BYTES)', () => {
  describe('HTTP adapters (undici)', () => {
    const fake = new FakeOpenAi();
    let gw: ProviderGateway;
    beforeAll(async () => {
      await fake.start();
      gw = await startProviderGateway({
        type: 'openai',
        baseUrl: fake.url,
        credentials: { api_key: CANARY_PROVIDER_KEY },
        providerModelId: 'gpt-4o-mini',
        model: 'capped',
        env: CAP,
      });
    });
    afterAll(async () => {
      await gw.api.close();
      await fake.stop();
    });

    it('answers an answer under the cap as usual', async () => {
      fake.options = { reply: 'short' };
      const res = await chat(gw.api.url, gw.key, gw.model, false);
      expect(res.status).toBe(200);
    });

    it('answers 502 upstream_response_too_large in OpenAI shape when a whole answer passes the cap', async () => {
      fake.options = { reply: LONG_REPLY };
      const res = await chat(gw.api.url, gw.key, gw.model, false);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: unknown }).error).toMatchObject(TOO_LARGE);
    });

    it('ends a stream whose total bytes pass the cap with an error event and no [DONE]', async () => {
      fake.options = { reply: LONG_REPLY };
      const res = await chat(gw.api.url, gw.key, gw.model, true);
      expect(res.status).toBe(200);
      const data = await sseData(res);
      expect(data).not.toContain('[DONE]');
      expect(JSON.parse(data[data.length - 1])).toMatchObject({ error: TOO_LARGE });
      // the relay stopped near the cap, not after the provider's ~180 KB
      expect(data.join('').length).toBeLessThan(64 * 1024);
    });
  });

  describe('Bedrock (AWS SDK bodies)', () => {
    const gw = new BedrockGateway(CAP);
    let model: string;
    beforeAll(async () => {
      await gw.start();
      model = await gw.model();
    });
    afterAll(() => gw.stop());

    it('answers 502 upstream_response_too_large when a Converse answer passes the cap', async () => {
      gw.fake.options = { reply: LONG_REPLY };
      const res = await chat(gw.api.url, gw.client.apiKey!, model, false);
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error).toMatchObject(TOO_LARGE);
      expect(body.error.message).toBe("Provider 'bedrock-1' sent a response larger than the gateway accepts");
    });

    it('ends a ConverseStream whose total bytes pass the cap', async () => {
      // 1 KB words a few ms apart: the first events reach the client before the cap is passed
      gw.fake.options = { reply: `${'y'.repeat(1000)} `.repeat(40), chunkDelayMs: 5 };
      const res = await chat(gw.api.url, gw.client.apiKey!, model, true);
      expect(res.status).toBe(200);
      const data = await sseData(res);
      expect(data).not.toContain('[DONE]');
      expect(JSON.parse(data[data.length - 1])).toMatchObject({ error: TOO_LARGE });
    });
  });
});
