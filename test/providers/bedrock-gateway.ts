import OpenAI from 'openai';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeBedrock } from '#test/utils/fake-bedrock';
import { resetState } from '#test/utils/reset';

/** Canary AWS credentials: they must never show up in responses or logs. */
export const BEDROCK_CREDENTIALS = {
  access_key_id: 'AKIACANARYBEDROCK0042',
  secret_access_key: 'canary-bedrock-secret-9f3e1c2b7d',
  session_token: 'canary-bedrock-session-77aa51e0',
};

/** BEDROCK_CREDENTIALS as the fake checks SigV4 signatures with them (`fake.credentials`). */
export function fakeBedrockCredentials(): FakeBedrock['credentials'] {
  return {
    accessKeyId: BEDROCK_CREDENTIALS.access_key_id,
    secretAccessKey: BEDROCK_CREDENTIALS.secret_access_key,
    sessionToken: BEDROCK_CREDENTIALS.session_token,
  };
}

export const CLAUDE = 'anthropic.claude-3-5-haiku-20241022-v1:0';

/** The gateway with a Bedrock provider on the fake, as an operator would set it up, and an SDK client. */
export class BedrockGateway {
  api!: TestApp;
  fake!: FakeBedrock;
  events!: EventCapture;
  client!: OpenAI;
  private seq = 0;

  constructor(private readonly env: Record<string, string> = {}) {}

  async start(): Promise<this> {
    await resetState();
    this.fake = await new FakeBedrock().start();
    this.fake.credentials = fakeBedrockCredentials();
    this.api = await startApi(this.env);
    this.events = new EventCapture(this.api);
    const key = await createKey(this.api);
    this.client = new OpenAI({ apiKey: key.key, baseURL: `${this.api.url}/v1`, maxRetries: 0 });
    return this;
  }

  async stop(): Promise<void> {
    await this.api.close();
    await this.fake.stop();
  }

  /** A new Bedrock provider serving `upstreamModel`; returns the model name clients use. */
  async model(
    upstreamModel = CLAUDE,
    credentials: Record<string, string> | null = BEDROCK_CREDENTIALS,
  ): Promise<string> {
    const n = ++this.seq;
    const provider = await createProvider(this.api, {
      name: `bedrock-${n}`,
      type: 'bedrock',
      baseUrl: this.fake.url,
      credentials,
      config: { region: 'us-east-1' },
    });
    const model = await createModel(this.api, {
      providerId: provider.id,
      name: `claude-${n}`,
      providerModelId: upstreamModel,
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '0.8' },
        { direction: 'output', unit: '1m_tokens', price: '4' },
      ],
    });
    return model.name;
  }

  rawStream(body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    return fetch(`${this.api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.client.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true }),
      signal,
    });
  }
}
