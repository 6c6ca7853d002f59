import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { DataSource } from 'typeorm';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { BEDROCK_CREDENTIALS, fakeBedrockCredentials } from '#test/providers/bedrock-gateway';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeBedrock } from '#test/utils/fake-bedrock';
import { FakeVertex, testServiceAccount } from '#test/utils/fake-vertex';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

interface UsageRow {
  endpoint: string;
  cost: string;
  prompt: number;
  completion: number;
  cache_read: number;
  status: number;
}

/** What Claude Code sends: two flags only Anthropic's API takes, one both clouds take. */
const CLAUDE_CODE_BETAS = 'claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14';

// $3 / $15 per million input / output tokens, $0.30 cache read
const CLAUDE_PRICING = [
  { direction: 'input' as const, unit: '1m_tokens' as const, price: '3' },
  { direction: 'output' as const, unit: '1m_tokens' as const, price: '15' },
  { direction: 'cache_read' as const, unit: '1m_tokens' as const, price: '0.3' },
];

/**
 * SPEC §12: Claude on Bedrock (InvokeModel / InvokeModelWithResponseStream / CountTokens, SigV4 checked by the
 * fake) and on Vertex AI (rawPredict / streamRawPredict / count-tokens, OAuth token checked by the fake) served
 * natively to Anthropic's SDK, with beta flags the cloud refuses dropped, and Claude on Vertex through chat.
 */
describe('proxy: Anthropic Messages natively on Bedrock and Vertex AI', () => {
  let api: TestApp;
  let bedrock: FakeBedrock;
  let vertex: FakeVertex;
  let client: Anthropic;
  let key: { id: string; key: string };

  beforeAll(async () => {
    await resetState();
    bedrock = await new FakeBedrock().start();
    bedrock.credentials = fakeBedrockCredentials();
    vertex = await new FakeVertex().start();
    const account = testServiceAccount(vertex.tokenUrl);
    vertex.trust(account.clientEmail, account.publicKey);
    api = await startApi();
    const onBedrock = await createProvider(api, {
      name: 'bedrock-claude',
      type: 'bedrock',
      baseUrl: bedrock.url,
      credentials: BEDROCK_CREDENTIALS,
      config: { region: 'us-east-1' },
    });
    await createModel(api, {
      providerId: onBedrock.id,
      name: 'claude-on-bedrock',
      providerModelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      pricing: CLAUDE_PRICING,
    });
    const onVertex = await createProvider(api, {
      name: 'vertex-claude',
      type: 'vertex-ai',
      baseUrl: vertex.url,
      credentials: { service_account_json: account.json },
      config: { location: 'us-east5' },
    });
    await createModel(api, {
      providerId: onVertex.id,
      name: 'claude-on-vertex',
      providerModelId: 'claude-sonnet-4-5@20250929',
      pricing: CLAUDE_PRICING,
    });
    key = await createKey(api, { monthlyBudget: '10' });
    client = new Anthropic({
      apiKey: key.key,
      baseURL: api.url,
      maxRetries: 0,
      defaultHeaders: { 'anthropic-beta': CLAUDE_CODE_BETAS },
    });
  });
  afterAll(async () => {
    await api.close();
    await bedrock.stop();
    await vertex.stop();
  });
  beforeEach(() => {
    bedrock.reset();
    vertex.reset();
  });

  const usageRow = (callId: string): Promise<UsageRow> =>
    waitFor(
      async () => {
        const rows = await api.get(DataSource).query<UsageRow[]>(
          `SELECT endpoint, cost_usd::text AS cost, prompt_tokens AS prompt, completion_tokens AS completion,
                  cache_read_tokens AS cache_read, status
             FROM usage_records WHERE call_id = $1`,
          [callId],
        );
        return rows[0];
      },
      30_000,
      50,
    );

  const cacheUsage = { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 10_000 };

  describe('Bedrock', () => {
    it('sends messages.create as InvokeModel with Bedrock’s envelope and bills the answer exactly', async () => {
      bedrock.reset({ claude: { reply: 'Hi from Bedrock', usage: cacheUsage } });
      const { data, response } = await client.messages
        .create({
          model: 'claude-on-bedrock',
          max_tokens: 1024,
          system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
          messages: [{ role: 'user', content: 'Hello, Claude' }],
        })
        .withResponse();
      expect(data.content).toEqual([{ type: 'text', text: 'Hi from Bedrock' }]);
      const sent = bedrock.requests[0];
      expect(sent.operation).toBe('invoke');
      expect(sent.modelId).toBe('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
      // the client's body, the model moved to the path, Bedrock's version, only the flags Bedrock takes
      expect(sent.body).toEqual({
        anthropic_version: 'bedrock-2023-05-31',
        anthropic_beta: ['interleaved-thinking-2025-05-14'],
        max_tokens: 1024,
        system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hello, Claude' }],
      });
      // 100 × $3/M + 10,000 × $0.30/M + 20 × $15/M
      const callId = response.headers.get('x-gateway-call-id')!;
      expect(response.headers.get('x-gateway-cost-usd')).toBe('0.0036');
      expect(await usageRow(callId)).toMatchObject({
        endpoint: 'messages',
        cost: '0.0036',
        prompt: 10_100,
        cache_read: 10_000,
        completion: 20,
      });
    });

    it('relays InvokeModelWithResponseStream as Anthropic SSE and bills the final counts once', async () => {
      bedrock.reset({ claude: { reply: 'Streaming from Bedrock', usage: cacheUsage } });
      const stream = client.messages.stream({
        model: 'claude-on-bedrock',
        max_tokens: 512,
        messages: [{ role: 'user', content: 'Stream please' }],
      });
      const types: string[] = [];
      stream.on('streamEvent', (e) => types.push(e.type));
      const message = await stream.finalMessage();
      expect(message.content[0]).toMatchObject({ type: 'text', text: 'Streaming from Bedrock' });
      expect(types[0]).toBe('message_start');
      expect(types.at(-1)).toBe('message_stop');
      expect(types.filter((t) => t === 'content_block_delta').length).toBe(3);
      expect(bedrock.requests[0].operation).toBe('invoke-with-response-stream');
      expect(bedrock.requests[0].body).not.toHaveProperty('stream');
      const callId = (await stream.withResponse()).response.headers.get('x-gateway-call-id')!;
      expect(await usageRow(callId)).toMatchObject({ cost: '0.0036', prompt: 10_100, completion: 20, status: 200 });
    });

    it('counts tokens with Bedrock’s CountTokens', async () => {
      bedrock.reset({ countTokens: 4321 });
      const count = await client.messages.countTokens({
        model: 'claude-on-bedrock',
        messages: [{ role: 'user', content: 'How many tokens?' }],
      });
      expect(count).toEqual({ input_tokens: 4321 });
      expect(bedrock.requests[0].operation).toBe('count-tokens');
    });

    it('answers Bedrock’s throttling in Anthropic’s shape, and a stream exception as an error event', async () => {
      bedrock.reset({ error: { status: 429, type: 'ThrottlingException', message: 'Too many requests' } });
      const refused = await client.messages
        .create({ model: 'claude-on-bedrock', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
      expect((refused as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error' },
      });

      bedrock.reset({ streamException: { after: 3, type: 'throttlingException', message: 'slow down' } });
      const res = await fetch(`${api.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: 'claude-on-bedrock',
          max_tokens: 64,
          stream: true,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      });
      const text = await res.text();
      expect(text).toContain('event: message_start');
      expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"rate_limit_error"/);
      expect(text).not.toContain('event: message_stop');
      const callId = res.headers.get('x-gateway-call-id')!;
      expect(await usageRow(callId)).toMatchObject({ status: 429 });
    });
  });

  describe('Vertex AI', () => {
    it('sends messages.create to rawPredict with Vertex’s envelope and bills it exactly', async () => {
      vertex.reset({ claude: { reply: 'Hi from Vertex', usage: cacheUsage } });
      const { data, response } = await client.messages
        .create({
          model: 'claude-on-vertex',
          max_tokens: 1024,
          messages: [{ role: 'user', content: 'Hello, Claude' }],
          metadata: { user_id: 'u-7' },
        })
        .withResponse();
      expect(data.content).toEqual([{ type: 'text', text: 'Hi from Vertex' }]);
      const sent = vertex.requests[0];
      expect(sent.method).toBe('rawPredict');
      expect(sent.path).toBe(
        '/v1/projects/canary-project-4417/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict',
      );
      expect(sent.body).toEqual({
        anthropic_version: 'vertex-2023-10-16',
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'Hello, Claude' }],
        metadata: { user_id: 'u-7' },
      });
      expect(sent.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
      expect(sent.headers.authorization).toMatch(/^Bearer ya29\./);
      const callId = response.headers.get('x-gateway-call-id')!;
      expect(await usageRow(callId)).toMatchObject({ endpoint: 'messages', cost: '0.0036', prompt: 10_100 });
    });

    it('relays streamRawPredict event by event and bills it once', async () => {
      vertex.reset({ claude: { reply: 'Streaming from Vertex', usage: cacheUsage } });
      const stream = client.messages.stream({
        model: 'claude-on-vertex',
        max_tokens: 512,
        messages: [{ role: 'user', content: 'Stream please' }],
      });
      const message = await stream.finalMessage();
      expect(message.content[0]).toMatchObject({ type: 'text', text: 'Streaming from Vertex' });
      expect(vertex.requests[0].method).toBe('streamRawPredict');
      expect(vertex.requests[0].body).toMatchObject({ stream: true, anthropic_version: 'vertex-2023-10-16' });
      const callId = (await stream.withResponse()).response.headers.get('x-gateway-call-id')!;
      expect(await usageRow(callId)).toMatchObject({ cost: '0.0036', prompt: 10_100, completion: 20, status: 200 });
    });

    it('counts tokens with count-tokens:rawPredict, the model in the body', async () => {
      vertex.reset({ countTokens: 777 });
      const count = await client.messages.countTokens({
        model: 'claude-on-vertex',
        messages: [{ role: 'user', content: 'How many tokens?' }],
      });
      expect(count).toEqual({ input_tokens: 777 });
      expect(vertex.requests[0].path).toMatch(/\/publishers\/anthropic\/models\/count-tokens:rawPredict$/);
      expect(vertex.requests[0].body).toMatchObject({ model: 'claude-sonnet-4-5@20250929' });
    });

    it('passes Claude’s own errors on unchanged and renders Google’s in Anthropic’s shape', async () => {
      const claudeError = { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long' } };
      vertex.reset({ error: { status: 400, body: claudeError } });
      const res = await fetch(`${api.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: 'claude-on-vertex',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(claudeError);

      const quota = {
        error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded for aiplatform.googleapis.com' },
      };
      vertex.reset({ error: { status: 429, body: quota } });
      const refused = await client.messages
        .create({ model: 'claude-on-vertex', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
      expect((refused as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({
        error: { type: 'rate_limit_error' },
      });
    });

    it('serves chat completions for Claude on Vertex, translated to rawPredict', async () => {
      vertex.reset({ claude: { reply: 'Chat via Vertex Claude', usage: { input_tokens: 40, output_tokens: 8 } } });
      const openai = new OpenAI({ apiKey: key.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
      const { data, response } = await openai.chat.completions
        .create({ model: 'claude-on-vertex', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100 })
        .withResponse();
      expect(data.choices[0].message.content).toBe('Chat via Vertex Claude');
      expect(data.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 8 });
      expect(vertex.requests[0].method).toBe('rawPredict');
      expect(vertex.requests[0].body).toMatchObject({ anthropic_version: 'vertex-2023-10-16', max_tokens: 100 });
      expect(vertex.requests[0].headers['anthropic-beta']).toBeUndefined();

      const chunks: string[] = [];
      const stream = await openai.chat.completions.create({
        model: 'claude-on-vertex',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      for await (const chunk of stream) chunks.push(chunk.choices[0]?.delta?.content ?? '');
      expect(chunks.join('')).toBe('Chat via Vertex Claude');
      expect(vertex.requests[1].method).toBe('streamRawPredict');
      // 40 × $3/M + 8 × $15/M
      expect(await usageRow(response.headers.get('x-gateway-call-id')!)).toMatchObject({
        endpoint: 'chat',
        cost: '0.00024',
      });
    });
  });
});
