import { AzureOpenAI, RateLimitError } from 'openai';
import { azureError, FakeAzureOpenAi } from '#test/utils/fake-azure-openai';

/**
 * The official AzureOpenAI client against the fake resource: it must find the fake at the paths, query and
 * header Azure uses and read its answers, streams and errors, so the gateway tests exercise Azure's format.
 */
describe('fake Azure OpenAI resource, checked by the openai package AzureOpenAI client', () => {
  const KEY = 'azure-fake-sdk-check';
  let fake: FakeAzureOpenAi;
  let client: AzureOpenAI;

  beforeAll(async () => {
    fake = await new FakeAzureOpenAi(KEY, ['chat-prod', 'embed-prod']).start();
    client = new AzureOpenAI({ endpoint: fake.url, apiKey: KEY, apiVersion: '2024-10-21', maxRetries: 0 });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('the client reads a chat completion from the deployment path with api-version and api-key', async () => {
    const completion = await client.chat.completions.create({
      model: 'chat-prod',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(completion.choices[0].message.content).toBe('Hello from Azure!');
    expect(completion.usage).toMatchObject({ prompt_tokens: 19, completion_tokens: 9 });
    const sent = fake.requests[0];
    expect(sent.path).toBe('/openai/deployments/chat-prod/chat/completions');
    expect(sent.query.get('api-version')).toBe('2024-10-21');
    expect(sent.headers['api-key']).toBe(KEY);
  });

  it('the client streams chunks, with the empty-choices prompt-filter chunk Azure sends first, and reads the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'chat-prod',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(text).toBe('Hello from Azure!');
    expect(chunks[0]).toMatchObject({ choices: [], prompt_filter_results: [{ prompt_index: 0 }] });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 19, completion_tokens: 9 } });
  });

  it('the client reads embeddings in its default base64 encoding', async () => {
    const res = await client.embeddings.create({ model: 'embed-prod', input: ['a', 'b'] });
    expect(res.data.map((d) => d.embedding)).toEqual([
      [0.5, -0.25, 0.125],
      [1.5, -0.25, 0.125],
    ]);
    expect(fake.requests[0].path).toBe('/openai/deployments/embed-prod/embeddings');
  });

  it('the client raises Azure errors: 429 with retry-after, 404 DeploymentNotFound, 401 for a wrong key', async () => {
    fake.reset({ error: { status: 429, body: azureError('429', 'Rate limit'), headers: { 'retry-after': '7' } } });
    const limited = await client.chat.completions
      .create({ model: 'chat-prod', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers?.get('retry-after')).toBe('7');

    fake.reset();
    await expect(
      client.chat.completions.create({ model: 'no-such-deployment', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 404, code: 'DeploymentNotFound' });
    const wrongKey = new AzureOpenAI({ endpoint: fake.url, apiKey: 'wrong', apiVersion: '2024-10-21', maxRetries: 0 });
    await expect(
      wrongKey.chat.completions.create({ model: 'chat-prod', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 401 });
  });
});
