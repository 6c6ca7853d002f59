import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FakeBedrock } from '#test/utils/fake-bedrock';

const CREDENTIALS = { accessKeyId: 'AKIAFAKECHECK0000001', secretAccessKey: 'fake-check-secret-0001' };
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const hello = { modelId: MODEL, messages: [{ role: 'user' as const, content: [{ text: 'Hello' }] }] };

describe('the fake Bedrock runtime, checked with the AWS SDK', () => {
  let fake: FakeBedrock;
  const clients: BedrockRuntimeClient[] = [];
  const client = (options: { http1?: boolean; secret?: string } = {}): BedrockRuntimeClient => {
    const c = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: fake.url,
      credentials: { ...CREDENTIALS, secretAccessKey: options.secret ?? CREDENTIALS.secretAccessKey },
      maxAttempts: 1,
      ...(options.http1 ? { requestHandler: new NodeHttpHandler() } : {}),
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    fake = await new FakeBedrock().start();
    fake.credentials = { ...CREDENTIALS, sessionToken: undefined };
  });
  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it.each([
    ['the default HTTP/2 handler', false, '2'],
    ['an HTTP/1.1 NodeHttpHandler', true, '1.1'],
  ])('answers ConverseCommand over %s with a signed request', async (_name, http1, version) => {
    fake.reset({ reply: 'Hi!', usage: { inputTokens: 9, outputTokens: 3, cacheReadInputTokens: 4 } });
    const res = await client({ http1 }).send(new ConverseCommand({ ...hello, inferenceConfig: { maxTokens: 10 } }));
    expect(res.output?.message?.content).toEqual([{ text: 'Hi!' }]);
    expect(res.stopReason).toBe('end_turn');
    expect(res.usage).toEqual({ inputTokens: 9, outputTokens: 3, totalTokens: 16, cacheReadInputTokens: 4 });
    expect(fake.requests[0]).toMatchObject({ modelId: MODEL, operation: 'converse', httpVersion: version });
    expect(fake.requests[0].body).toMatchObject({ inferenceConfig: { maxTokens: 10 } });
  });

  it('streams ConverseStream event frames that the SDK decodes, tool-use input deltas included', async () => {
    fake.reset({ toolUse: { name: 'get_weather', input: { city: 'Paris' } } });
    const res = await client().send(new ConverseStreamCommand(hello));
    const events = [];
    for await (const event of res.stream!) events.push(event);
    expect(events[0]).toEqual({ messageStart: { role: 'assistant' } });
    const start = events.find((e) => e.contentBlockStart);
    expect(start?.contentBlockStart).toEqual({
      contentBlockIndex: 1,
      start: { toolUse: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather' } },
    });
    const input = events.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
    expect(JSON.parse(input)).toEqual({ city: 'Paris' });
    expect(events.at(-2)).toEqual({ messageStop: { stopReason: 'tool_use' } });
    expect(events.at(-1)?.metadata?.usage).toMatchObject({ inputTokens: 25, outputTokens: 11 });
  });

  it('ends a stream with an exception frame that the SDK raises as the modelled exception', async () => {
    fake.reset({
      reply: 'a b c',
      streamException: { after: 2, type: 'throttlingException', message: 'Too many tokens.' },
    });
    const res = await client().send(new ConverseStreamCommand(hello));
    const seen: unknown[] = [];
    const err: unknown = await (async () => {
      for await (const event of res.stream!) seen.push(event);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(2);
    expect(err).toBeInstanceOf(ThrottlingException);
    expect((err as Error).message).toBe('Too many tokens.');
  });

  it.each([false, true])(
    'answers AWS errors the SDK raises as modelled exceptions (type in body: %s)',
    async (typeInBody) => {
      fake.reset({
        error: { status: 400, type: 'ValidationException', message: 'Malformed input request.', typeInBody },
      });
      const err: unknown = await client()
        .send(new ConverseCommand(hello))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationException);
      expect(err).toMatchObject({ message: 'Malformed input request.', $metadata: { httpStatusCode: 400 } });
    },
  );

  it('refuses a request signed with another secret, as AWS does', async () => {
    const err: unknown = await client({ secret: 'not-the-secret' })
      .send(new ConverseCommand(hello))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });
    expect(fake.requests).toHaveLength(0);
  });

  it('answers InvokeModel for Titan and Cohere embeddings in their own formats', async () => {
    const invoke = async (modelId: string, body: unknown): Promise<Record<string, unknown>> => {
      const res = await client().send(
        new InvokeModelCommand({ modelId, body: JSON.stringify(body), contentType: 'application/json' }),
      );
      return JSON.parse(res.body.transformToString()) as Record<string, unknown>;
    };
    expect(await invoke('amazon.titan-embed-text-v2:0', { inputText: 'hello world' })).toMatchObject({
      embedding: [0.25, -0.125, 0.0625],
      inputTextTokenCount: 3,
    });
    expect(await invoke('cohere.embed-english-v3', { texts: ['a', 'b'], input_type: 'search_document' })).toMatchObject(
      {
        embeddings: [
          [0.5, -0.25, 0.125],
          [1.5, -0.25, 0.125],
        ],
      },
    );
  });
});
