import { APIError } from 'openai';
import type OpenAI from 'openai';
import { FakeAnthropic } from '#test/utils/fake-anthropic';
import { collectChunks, type ProviderGateway, startProviderGateway } from '#test/providers/provider-gateway';

const CANARY = 'sk-ant-canary-formats-8a3f61c2d7';
const schema = {
  type: 'object',
  properties: { answer: { type: 'number' } },
  required: ['answer'],
  additionalProperties: false,
};

describe('anthropic provider: response formats and what it refuses', () => {
  let fake: FakeAnthropic;
  let gw: ProviderGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await new FakeAnthropic(CANARY).start();
    gw = await startProviderGateway({
      type: 'anthropic',
      baseUrl: fake.url,
      credentials: { api_key: CANARY },
      providerModelId: 'claude-sonnet-4-6',
      model: 'claude',
    });
    client = gw.client;
  });
  afterAll(async () => {
    await gw.api.close();
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it('sends a json_schema response format as Anthropic structured outputs and returns the JSON text', async () => {
    fake.reset({ reply: '{"answer":4}' });
    const data = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: '2+2?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
    });
    expect(fake.requests[0].body.output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect(fake.requests[0].body.tools).toBeUndefined();
    expect(JSON.parse(data.choices[0].message.content!)).toEqual({ answer: 4 });
  });

  it('answers json_object through a forced tool, returned as message content, streamed and not', async () => {
    fake.reset({ toolUse: { input: { answer: 4, unit: 'apples' } } });
    const request = {
      model: 'claude',
      messages: [{ role: 'user' as const, content: 'Reply in JSON: 2+2?' }],
      response_format: { type: 'json_object' as const },
    };
    const data = await client.chat.completions.create(request);
    expect(fake.requests[0].body).toMatchObject({
      tools: [{ name: 'json_tool_call', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'json_tool_call' },
    });
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.choices[0].message.tool_calls).toBeUndefined();
    expect(JSON.parse(data.choices[0].message.content!)).toEqual({ answer: 4, unit: 'apples' });

    const chunks = await collectChunks(await client.chat.completions.create({ ...request, stream: true }));
    expect(chunks.some((c) => c.choices[0]?.delta?.tool_calls)).toBe(false);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(JSON.parse(text)).toEqual({ answer: 4, unit: 'apples' });
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('stop');
  });

  it.each([
    ['n above 1', { n: 2 }, 'n', 'unsupported_parameter'],
    ['log probabilities', { logprobs: true }, 'logprobs', 'unsupported_parameter'],
    [
      'json_object together with tools',
      {
        response_format: { type: 'json_object' },
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      },
      'response_format',
      'unsupported_value',
    ],
    [
      'an image that is neither https nor a data URL',
      {
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://host/cat.png' } }] }],
      },
      'messages[0].content[0].image_url.url',
      'invalid_value',
    ],
    [
      'audio input',
      {
        messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }],
      },
      'messages[0].content[0].type',
      'unsupported_value',
    ],
    [
      'tool call arguments that are not a JSON object',
      {
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"cut off' } }],
          },
          { role: 'tool', tool_call_id: 't1', content: 'x' },
        ],
      },
      'messages[1].tool_calls[0].function.arguments',
      'invalid_value',
    ],
  ])('refuses %s with a 400 naming the parameter, without calling Anthropic', async (_what, extra, param, code) => {
    const body = { model: 'claude', messages: [{ role: 'user', content: 'hi' }], ...extra };
    const err = await client.chat.completions
      .create(body as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({ status: 400, param, code, type: 'invalid_request_error' });
    const streamed = await client.chat.completions
      .create({ ...body, stream: true } as OpenAI.ChatCompletionCreateParamsStreaming)
      .catch((e: unknown) => e);
    expect(streamed).toMatchObject({ status: 400, param, code });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses embeddings with a 400: Anthropic has no embeddings API', async () => {
    const err = await client.embeddings.create({ model: 'claude', input: 'hello' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'unsupported_endpoint', type: 'invalid_request_error' });
    expect((err as Error).message).toContain('no embeddings API');
    expect(fake.requests).toHaveLength(0);
  });
});
