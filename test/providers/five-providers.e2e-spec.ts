import Decimal from 'decimal.js';
import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { DataSource } from 'typeorm';
import { QueueName } from '#src/core/queue/queue.constants';
import type { PricingComponentInput } from '#src/modules/models/pricing-validation';
import type { ProviderType } from '#src/modules/providers/provider.entity';
import { BEDROCK_CREDENTIALS, CLAUDE, fakeBedrockCredentials } from '#test/providers/bedrock-gateway';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeAnthropic } from '#test/utils/fake-anthropic';
import { FakeAzureOpenAi } from '#test/utils/fake-azure-openai';
import { FakeBedrock } from '#test/utils/fake-bedrock';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { FakeVertex, testServiceAccount } from '#test/utils/fake-vertex';
import { waitFor } from '#test/utils/processes';
import { drainQueue } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';

/**
 * Issue 7's done-when: the same `openai` SDK script, changing only `model`, gets equivalent answers, streams and
 * billed usage from all five provider types, served by one gateway at once.
 */

const REPLY = 'It is sunny in Paris, 21 degrees.';
const QUESTION: ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What is the weather in Paris?' },
];
const PARAMETERS = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const WEATHER: ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather of a city', parameters: PARAMETERS },
};
const TOOL_RESULT = '{"temperature_c":21,"sky":"clear"}';
const MAX_TOKENS = 64;

interface Call<T> {
  data: T;
  callId: string;
  /** `x-gateway-cost-usd` (non-streamed answers only). */
  costHeader: string | null;
}

interface ScriptRun {
  plain: Call<ChatCompletion>;
  stream: Call<ChatCompletionChunk[]>;
  toolCall: Call<ChatCompletion>;
  toolAnswer: Call<ChatCompletion>;
}

/** The client script: nothing in it depends on the provider but `model`. */
async function script(client: OpenAI, model: string): Promise<ScriptRun> {
  const call = <T>(data: T, response: Response): Call<T> => ({
    data,
    callId: response.headers.get('x-gateway-call-id') ?? '',
    costHeader: response.headers.get('x-gateway-cost-usd'),
  });

  const plain = await client.chat.completions
    .create({ model, messages: QUESTION, max_completion_tokens: MAX_TOKENS })
    .withResponse();

  const streamed = await client.chat.completions
    .create({
      model,
      messages: QUESTION,
      max_completion_tokens: MAX_TOKENS,
      stream: true,
      stream_options: { include_usage: true },
    })
    .withResponse();
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of streamed.data) chunks.push(chunk);

  const toolCall = await client.chat.completions
    .create({ model, messages: QUESTION, tools: [WEATHER], max_completion_tokens: MAX_TOKENS })
    .withResponse();
  const assistant = toolCall.data.choices[0].message;
  const results: ChatCompletionMessageParam[] = (assistant.tool_calls ?? []).map((call) => ({
    role: 'tool',
    tool_call_id: call.id,
    content: TOOL_RESULT,
  }));
  // the assistant message goes back as the SDK returned it, as OpenAI's function-calling guide does
  const toolAnswer = await client.chat.completions
    .create({
      model,
      messages: [...QUESTION, assistant, ...results],
      tools: [WEATHER],
      max_completion_tokens: MAX_TOKENS,
    })
    .withResponse();

  return {
    plain: call(plain.data, plain.response),
    stream: call(chunks, streamed.response),
    toolCall: call(toolCall.data, toolCall.response),
    toolAnswer: call(toolAnswer.data, toolAnswer.response),
  };
}

/** Usage as the gateway reports and bills it (OpenAI semantics, SPEC §6). */
interface Billed {
  prompt: number;
  completion: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

interface Upstream {
  type: ProviderType;
  /** The gateway model name, the script's only parameter. */
  model: string;
  providerModelId: string;
  pricing: PricingComponentInput[];
  /** What every call's usage must be, derived by hand from what the fake was scripted to report. */
  billed: Billed;
  /** cost_usd of one call, computed by hand from `billed` and `pricing`. */
  cost: string;
  /** The content the fake answers alongside its tool call (Bedrock's Claude says something first). */
  toolTurnContent: string | null;
}

const M = 1_000_000;
const cost = (...terms: [tokens: number, perMillion: string][]): string =>
  terms.reduce((sum, [tokens, price]) => sum.plus(new Decimal(price).mul(tokens).div(M)), new Decimal(0)).toFixed();

const UPSTREAMS: Upstream[] = [
  {
    type: 'openai',
    model: 'gpt-4o-mini',
    providerModelId: 'gpt-4o-mini-2024-07-18',
    pricing: [
      { direction: 'input', unit: '1m_tokens', price: '0.15' },
      { direction: 'output', unit: '1m_tokens', price: '0.6' },
      { direction: 'cache_read', unit: '1m_tokens', price: '0.075' },
    ],
    // the fake reports prompt 120 (20 cached), completion 30 (4 reasoning)
    billed: { prompt: 120, completion: 30, cacheRead: 20, cacheWrite: 0, reasoning: 4 },
    // (120 − 20) × 0.15 + 20 × 0.075 + 30 × 0.6 (no reasoning price: reasoning tokens are output) = 34.5 µ$
    cost: '0.0000345',
    toolTurnContent: null,
  },
  {
    type: 'anthropic',
    model: 'claude-sonnet',
    providerModelId: 'claude-sonnet-4-6',
    pricing: [
      { direction: 'input', unit: '1m_tokens', price: '3' },
      { direction: 'output', unit: '1m_tokens', price: '15' },
      { direction: 'cache_read', unit: '1m_tokens', price: '0.3' },
      { direction: 'cache_write', unit: '1m_tokens', price: '3.75' },
    ],
    // input 20 + cache read 100 + cache write 40 = prompt 160; output 7
    billed: { prompt: 160, completion: 7, cacheRead: 100, cacheWrite: 40, reasoning: 0 },
    // 20 × 3 + 100 × 0.3 + 40 × 3.75 + 7 × 15 = 60 + 30 + 150 + 105 = 345 µ$
    cost: '0.000345',
    toolTurnContent: null,
  },
  {
    type: 'vertex-ai',
    model: 'gemini-flash',
    providerModelId: 'gemini-2.5-flash',
    pricing: [
      { direction: 'input', unit: '1m_tokens', price: '0.3' },
      { direction: 'output', unit: '1m_tokens', price: '2.5' },
      { direction: 'cache_read', unit: '1m_tokens', price: '0.075' },
      { direction: 'reasoning', unit: '1m_tokens', price: '3.5' },
    ],
    // promptTokenCount 200 (cachedContentTokenCount 50); candidates 10 + thoughts 20 = completion 30
    billed: { prompt: 200, completion: 30, cacheRead: 50, cacheWrite: 0, reasoning: 20 },
    // 150 × 0.3 + 50 × 0.075 + 10 × 2.5 + 20 × 3.5 = 45 + 3.75 + 25 + 70 = 143.75 µ$
    cost: '0.00014375',
    toolTurnContent: null,
  },
  {
    type: 'bedrock',
    model: 'claude-bedrock',
    providerModelId: CLAUDE,
    pricing: [
      { direction: 'input', unit: '1m_tokens', price: '0.8' },
      { direction: 'output', unit: '1m_tokens', price: '4' },
      { direction: 'cache_read', unit: '1m_tokens', price: '0.08' },
      { direction: 'cache_write', unit: '1m_tokens', price: '1' },
    ],
    // inputTokens 30 + cacheRead 50 + cacheWrite 10 = prompt 90; outputTokens 9
    billed: { prompt: 90, completion: 9, cacheRead: 50, cacheWrite: 10, reasoning: 0 },
    // 30 × 0.8 + 50 × 0.08 + 10 × 1 + 9 × 4 = 24 + 4 + 10 + 36 = 74 µ$
    cost: '0.000074',
    toolTurnContent: 'Let me check.',
  },
  {
    type: 'azure-openai',
    model: 'gpt-4o-azure',
    providerModelId: 'chat-prod',
    pricing: [
      { direction: 'input', unit: '1m_tokens', price: '2.5' },
      { direction: 'output', unit: '1m_tokens', price: '10' },
      { direction: 'cache_read', unit: '1m_tokens', price: '1.25' },
    ],
    // prompt 50 (10 cached), completion 12
    billed: { prompt: 50, completion: 12, cacheRead: 10, cacheWrite: 0, reasoning: 0 },
    // 40 × 2.5 + 10 × 1.25 + 12 × 10 = 100 + 12.5 + 120 = 232.5 µ$
    cost: '0.0002325',
    toolTurnContent: null,
  },
];

const ANTHROPIC_KEY = 'sk-ant-canary-five-3c9d7a1e20';
const AZURE_KEY = 'azure-canary-five-61b0e4c2d8';

describe('the same openai SDK script against five provider types', () => {
  let api: TestApp;
  let client: OpenAI;
  const openai = new FakeOpenAi();
  const anthropic = new FakeAnthropic(ANTHROPIC_KEY);
  const vertex = new FakeVertex();
  const bedrock = new FakeBedrock();
  const azure = new FakeAzureOpenAi(AZURE_KEY, ['chat-prod']);
  /** Raw SSE text of every stream the client read, by gateway call id (the SDK hides `[DONE]`). */
  const rawStreams = new Map<string, Promise<string>>();
  const runs = new Map<string, ScriptRun>();
  const providerIds = new Map<ProviderType, string>();

  beforeAll(async () => {
    await resetState();
    await Promise.all([openai.start(), anthropic.start(), vertex.start(), bedrock.start(), azure.start()]);
    const account = testServiceAccount(vertex.tokenUrl);
    vertex.trust(account.clientEmail, account.publicKey);
    bedrock.credentials = fakeBedrockCredentials();

    // every fake: the same text reply, a get_weather call only while tools are offered and unanswered,
    // and its own usage in its own wire format
    openai.reset({
      reply: REPLY,
      toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      toolCallWhenOffered: true,
      usage: { prompt_tokens: 120, completion_tokens: 30, cached: 20, reasoning: 4 },
    });
    anthropic.reset({
      reply: REPLY,
      toolUse: { input: { city: 'Paris' } },
      toolCallWhenOffered: true,
      usage: { input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 40 },
    });
    vertex.reset({
      reply: REPLY,
      functionCall: { name: 'get_weather', args: { city: 'Paris' } },
      toolCallWhenOffered: true,
      usage: { promptTokenCount: 200, candidatesTokenCount: 10, cachedContentTokenCount: 50, thoughtsTokenCount: 20 },
    });
    bedrock.reset({
      reply: REPLY,
      toolUse: { name: 'get_weather', input: { city: 'Paris' }, toolUseId: 'tooluse_five_1' },
      toolCallWhenOffered: true,
      usage: { inputTokens: 30, outputTokens: 9, cacheReadInputTokens: 50, cacheWriteInputTokens: 10 },
    });
    azure.reset({
      reply: REPLY,
      toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      toolCallWhenOffered: true,
      usage: { prompt_tokens: 50, completion_tokens: 12, cached: 10 },
    });

    api = await startApi();
    const providers: Record<ProviderType, Parameters<typeof createProvider>[1]> = {
      openai: { type: 'openai', baseUrl: openai.url },
      anthropic: { type: 'anthropic', baseUrl: anthropic.url, credentials: { api_key: ANTHROPIC_KEY } },
      'vertex-ai': {
        type: 'vertex-ai',
        baseUrl: vertex.url,
        credentials: { service_account_json: account.json },
        config: { location: 'us-central1' },
      },
      bedrock: {
        type: 'bedrock',
        baseUrl: bedrock.url,
        credentials: BEDROCK_CREDENTIALS,
        config: { region: 'us-east-1' },
      },
      'azure-openai': { type: 'azure-openai', baseUrl: azure.url, credentials: { api_key: AZURE_KEY } },
    };
    for (const u of UPSTREAMS) {
      const provider = await createProvider(api, { name: `five-${u.type}`, ...providers[u.type] });
      providerIds.set(u.type, provider.id);
      await createModel(api, {
        providerId: provider.id,
        name: u.model,
        providerModelId: u.providerModelId,
        pricing: u.pricing,
      });
    }
    const { key } = await createKey(api);

    const tee: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const id = res.headers.get('x-gateway-call-id');
      if (id && res.headers.get('content-type')?.startsWith('text/event-stream'))
        rawStreams.set(id, res.clone().text());
      return res;
    };
    client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0, fetch: tee });

    for (const u of UPSTREAMS) runs.set(u.model, await script(client, u.model));
    // events reach the queue a few ms after each response (batched), so wait for the rows, then for any stragglers
    await waitFor(async () => {
      const [{ n }] = await api.get(DataSource).query<{ n: number }[]>('SELECT count(*)::int AS n FROM usage_records');
      return n >= 20 ? true : undefined;
    });
    await drainQueue(api, QueueName.Billing);
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all([openai.stop(), anthropic.stop(), vertex.stop(), bedrock.stop(), azure.stop()]);
  });

  const run = (u: Upstream): ScriptRun => runs.get(u.model)!;

  /** The usage object every non-streamed answer and the stream's usage chunk carry. */
  function expectedUsage(b: Billed): Record<string, unknown> {
    return {
      prompt_tokens: b.prompt,
      completion_tokens: b.completion,
      total_tokens: b.prompt + b.completion,
      prompt_tokens_details: expect.objectContaining({
        cached_tokens: b.cacheRead,
        ...(b.cacheWrite ? { cache_write_tokens: b.cacheWrite } : {}),
      }) as unknown,
      ...(b.reasoning ? { completion_tokens_details: expect.objectContaining({ reasoning_tokens: b.reasoning }) } : {}),
    };
  }

  function expectCompletion(data: ChatCompletion, u: Upstream): void {
    expect(data).toMatchObject({
      id: expect.any(String) as unknown,
      object: 'chat.completion',
      created: expect.any(Number) as unknown,
      model: expect.any(String) as unknown,
      usage: expectedUsage(u.billed),
    });
    expect(data.id).not.toBe('');
    expect(data.choices).toHaveLength(1);
  }

  it.each(UPSTREAMS)('$type: a non-streamed chat.completion with the scripted text and usage', (u) => {
    const { data } = run(u).plain;
    expectCompletion(data, u);
    expect(data.choices[0]).toMatchObject({
      index: 0,
      finish_reason: 'stop',
      message: { role: 'assistant', content: REPLY },
    });
    expect(data.choices[0].message.tool_calls ?? []).toEqual([]);
  });

  it.each(UPSTREAMS)('$type: a stream of chat.completion.chunk ending with one usage chunk, then [DONE]', async (u) => {
    const { data: chunks, callId } = run(u).stream;
    // Azure's first chunk only carries its prompt filter results, with empty choices and no object, and the
    // gateway passes Azure's stream through as it is (docs/providers/azure-openai.md); OpenAI clients skip it
    let body = chunks;
    if (u.type === 'azure-openai') {
      expect(chunks[0]).toMatchObject({ object: '', choices: [], prompt_filter_results: expect.any(Array) });
      body = chunks.slice(1);
    }
    expect(body.length).toBeGreaterThan(2);
    for (const chunk of body) expect(chunk).toMatchObject({ object: 'chat.completion.chunk', id: expect.any(String) });
    const usageChunk = body.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject(expectedUsage(u.billed));
    const content = body.slice(0, -1);
    for (const chunk of content) {
      expect(chunk.choices).toHaveLength(1);
      expect(chunk.usage ?? null).toBeNull();
    }
    expect(content[0].choices[0].delta.role).toBe('assistant');
    expect(content.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(REPLY);
    expect(content.map((c) => c.choices[0].finish_reason).filter(Boolean)).toEqual(['stop']);
    expect(content.at(-1)!.choices[0].finish_reason).toBe('stop');

    const raw = await rawStreams.get(callId)!;
    const events = raw.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(JSON.parse(events.at(-2)!.slice('data: '.length))).toMatchObject({ choices: [], usage: expect.any(Object) });
    expect(events.filter((e) => e.includes('"usage":{'))).toHaveLength(1);
  });

  it.each(UPSTREAMS)('$type: a tool round: a get_weather tool call, then an answer to its result', (u) => {
    const { toolCall, toolAnswer } = run(u);
    expectCompletion(toolCall.data, u);
    const choice = toolCall.data.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content).toBe(u.toolTurnContent);
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0] as ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(call.id).toMatch(/\S/);
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    expectCompletion(toolAnswer.data, u);
    expect(toolAnswer.data.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { role: 'assistant', content: REPLY },
    });
  });

  it('bills every call exactly once in usage_records, with its model, provider, reported tokens and priced cost', async () => {
    const rows = await api.get(DataSource).query<Record<string, unknown>[]>(
      `SELECT u.call_id, u.model_name, u.provider_id, u.provider_name, p.type AS provider_type, u.prompt_tokens,
              u.completion_tokens, u.cache_read_tokens, u.cache_write_tokens, u.reasoning_tokens, u.cost_usd,
              u.estimated, u.unpriced, u.status, u.stream, u.endpoint
         FROM usage_records u LEFT JOIN providers p ON p.id = u.provider_id`,
    );
    const calls = UPSTREAMS.flatMap((u) => {
      const r = run(u);
      return [r.plain, r.stream, r.toolCall, r.toolAnswer].map((c, i) => ({ u, callId: c.callId, stream: i === 1 }));
    });
    expect(new Set(calls.map((c) => c.callId)).size).toBe(20);
    expect(rows).toHaveLength(calls.length);
    for (const { u, callId, stream } of calls) {
      const mine = rows.filter((row) => row.call_id === callId);
      expect(mine).toHaveLength(1);
      const row = mine[0];
      expect({ ...row, cost_usd: new Decimal(String(row.cost_usd)).toFixed() }).toEqual({
        call_id: callId,
        model_name: u.model,
        provider_id: providerIds.get(u.type),
        provider_name: `five-${u.type}`,
        provider_type: u.type,
        prompt_tokens: u.billed.prompt,
        completion_tokens: u.billed.completion,
        cache_read_tokens: u.billed.cacheRead,
        cache_write_tokens: u.billed.cacheWrite,
        reasoning_tokens: u.billed.reasoning,
        cost_usd: u.cost,
        estimated: false,
        unpriced: false,
        status: 200,
        stream,
        endpoint: 'chat',
      });
    }
  });

  it.each(UPSTREAMS)('$type: tells the client the cost of each non-streamed call in x-gateway-cost-usd', (u) => {
    const { plain, stream, toolCall, toolAnswer } = run(u);
    for (const c of [plain, toolCall, toolAnswer]) expect(new Decimal(c.costHeader ?? 'NaN').toFixed()).toBe(u.cost);
    expect(stream.costHeader).toBeNull();
  });

  it('prices the hand-computed costs from the tokens and the per-million prices', () => {
    // the literals above, recomputed term by term, so a typo in either shows
    const [oa, an, vx, br, az] = UPSTREAMS;
    expect(oa.cost).toBe(cost([100, '0.15'], [20, '0.075'], [30, '0.6']));
    expect(an.cost).toBe(cost([20, '3'], [100, '0.3'], [40, '3.75'], [7, '15']));
    expect(vx.cost).toBe(cost([150, '0.3'], [50, '0.075'], [10, '2.5'], [20, '3.5']));
    expect(br.cost).toBe(cost([30, '0.8'], [50, '0.08'], [10, '1'], [9, '4']));
    expect(az.cost).toBe(cost([40, '2.5'], [10, '1.25'], [12, '10']));
  });

  describe('the exact request each provider received for the tool result', () => {
    const toolCallId = (u: Upstream): string => run(u).toolCall.data.choices[0].message.tool_calls![0].id;

    it('openai: the client body, model replaced by the provider id', () => {
      const u = UPSTREAMS[0];
      expect(openai.requests).toHaveLength(4);
      const req = openai.requests[3];
      expect(req.path).toBe('/v1/chat/completions');
      expect(req.headers.authorization).toBe('Bearer sk-canary-provider-7d1e0c55aa');
      expect(req.body).toEqual({
        model: 'gpt-4o-mini-2024-07-18',
        stream: false,
        max_completion_tokens: MAX_TOKENS,
        tools: [WEATHER],
        messages: [
          ...QUESTION,
          {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              { id: toolCallId(u), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            ],
          },
          { role: 'tool', tool_call_id: toolCallId(u), content: TOOL_RESULT },
        ],
      });
      expect(openai.requests[1].body.stream_options).toEqual({ include_usage: true });
    });

    it('anthropic: Messages API with max_tokens, a system prompt, tool_use and tool_result blocks', () => {
      const u = UPSTREAMS[1];
      expect(anthropic.requests).toHaveLength(4);
      const req = anthropic.requests[3];
      expect(req.path).toBe('/v1/messages');
      expect(req.headers['x-api-key']).toBe(ANTHROPIC_KEY);
      expect(req.headers['anthropic-version']).toBe('2023-06-01');
      expect(req.body).toEqual({
        model: 'claude-sonnet-4-6',
        max_tokens: MAX_TOKENS,
        system: [{ type: 'text', text: 'Be brief.' }],
        tools: [{ name: 'get_weather', description: 'Current weather of a city', input_schema: PARAMETERS }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: toolCallId(u), name: 'get_weather', input: { city: 'Paris' } }],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolCallId(u), content: TOOL_RESULT }] },
        ],
      });
      expect(anthropic.requests[1].body.stream).toBe(true);
    });

    it('vertex-ai: generateContent with maxOutputTokens, systemInstruction, functionCall and functionResponse', () => {
      expect(vertex.requests).toHaveLength(4);
      const req = vertex.requests[3];
      expect(req.path).toBe(
        '/v1/projects/canary-project-4417/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent',
      );
      expect(req.headers.authorization).toMatch(/^Bearer ya29\.canary-access-token-/);
      expect(req.body).toEqual({
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'What is the weather in Paris?' }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
          {
            role: 'user',
            parts: [{ functionResponse: { name: 'get_weather', response: { temperature_c: 21, sky: 'clear' } } }],
          },
        ],
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'Current weather of a city',
                parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
              },
            ],
          },
        ],
        generationConfig: { maxOutputTokens: MAX_TOKENS },
      });
      expect(vertex.requests[1]).toMatchObject({ method: 'streamGenerateContent', query: 'alt=sse' });
    });

    it('bedrock: Converse with inferenceConfig.maxTokens, system, toolUse and toolResult', () => {
      expect(bedrock.requests).toHaveLength(4);
      const req = bedrock.requests[3];
      expect(req).toMatchObject({ modelId: CLAUDE, operation: 'converse' });
      expect(req.body).toEqual({
        system: [{ text: 'Be brief.' }],
        messages: [
          { role: 'user', content: [{ text: 'What is the weather in Paris?' }] },
          {
            role: 'assistant',
            content: [
              { text: 'Let me check.' },
              { toolUse: { toolUseId: 'tooluse_five_1', name: 'get_weather', input: { city: 'Paris' } } },
            ],
          },
          {
            role: 'user',
            content: [{ toolResult: { toolUseId: 'tooluse_five_1', content: [{ text: TOOL_RESULT }] } }],
          },
        ],
        toolConfig: {
          tools: [
            {
              toolSpec: {
                name: 'get_weather',
                description: 'Current weather of a city',
                inputSchema: { json: PARAMETERS },
              },
            },
          ],
        },
        inferenceConfig: { maxTokens: MAX_TOKENS },
      });
      expect(bedrock.requests[1].operation).toBe('converse-stream');
    });

    it('azure-openai: the deployment path with api-version and api-key, the client body', () => {
      const u = UPSTREAMS[4];
      expect(azure.requests).toHaveLength(4);
      const req = azure.requests[3];
      expect(req.path).toBe('/openai/deployments/chat-prod/chat/completions');
      expect(req.query.get('api-version')).toBe('2024-10-21');
      expect(req.headers['api-key']).toBe(AZURE_KEY);
      expect(req.body).toEqual({
        model: 'chat-prod',
        stream: false,
        max_completion_tokens: MAX_TOKENS,
        tools: [WEATHER],
        messages: [
          ...QUESTION,
          {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              { id: toolCallId(u), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            ],
          },
          { role: 'tool', tool_call_id: toolCallId(u), content: TOOL_RESULT },
        ],
      });
      expect(azure.requests[1].body.stream_options).toEqual({ include_usage: true });
    });
  });
});
