import OpenAI from 'openai';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeVertex, testServiceAccount } from '#test/utils/fake-vertex';
import { resetState } from '#test/utils/reset';

export const GEMINI_PRICING = [
  { direction: 'input' as const, unit: '1m_tokens' as const, price: '0.3' },
  { direction: 'output' as const, unit: '1m_tokens' as const, price: '2.5' },
];

/** The gateway with a Vertex provider on the fake, the way an operator would set it up, and an SDK client. */
export class VertexGateway {
  api!: TestApp;
  fake!: FakeVertex;
  events!: EventCapture;
  client!: OpenAI;
  account!: ReturnType<typeof testServiceAccount>;
  private seq = 0;

  async start(): Promise<this> {
    await resetState();
    this.fake = await new FakeVertex().start();
    this.account = testServiceAccount(this.fake.tokenUrl);
    this.fake.trust(this.account.clientEmail, this.account.publicKey);
    this.api = await startApi();
    this.events = new EventCapture(this.api);
    const key = await createKey(this.api);
    this.client = new OpenAI({ apiKey: key.key, baseURL: `${this.api.url}/v1`, maxRetries: 0 });
    return this;
  }

  async stop(): Promise<void> {
    await this.api.close();
    await this.fake.stop();
  }

  /** Credentials of a new service account the fake trusts (tokens are cached per key, process-wide). */
  freshAccount(): { service_account_json: string } {
    const account = testServiceAccount(this.fake.tokenUrl);
    this.fake.trust(account.clientEmail, account.publicKey);
    return { service_account_json: account.json };
  }

  /** A new provider serving `upstreamModel`; returns the model name clients use. */
  async model(
    upstreamModel = 'gemini-2.5-flash',
    credentials = { service_account_json: this.account.json },
  ): Promise<string> {
    const n = ++this.seq;
    const provider = await createProvider(this.api, {
      name: `vertex-${n}`,
      type: 'vertex-ai',
      baseUrl: this.fake.url,
      credentials,
      config: { location: 'us-central1' },
    });
    const model = await createModel(this.api, {
      providerId: provider.id,
      name: `gemini-${n}`,
      providerModelId: upstreamModel,
      pricing: GEMINI_PRICING,
    });
    return model.name;
  }

  /** Raw SSE call, for what the SDK hides (framing, error events, aborts). */
  rawStream(body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    return fetch(`${this.api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.client.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true }),
      signal,
    });
  }
}
