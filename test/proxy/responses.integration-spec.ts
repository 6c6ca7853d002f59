import OpenAI from 'openai';
import { DataSource } from 'typeorm';
import { JsonText } from '#src/modules/calls/json-text';
import { CANARY_PROVIDER_KEY, createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeAnthropic } from '#test/utils/fake-anthropic';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

interface UsageRow {
  endpoint: string;
  cost: string;
  prompt: number;
  completion: number;
  cache_read: number;
  status: number;
  model_name: string;
}

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

/** SPEC §12: `/v1/responses` through the official `openai` SDK, translated to chat for the model's provider. */
describe('proxy: the Responses API through the openai SDK', () => {
  let api: TestApp;
  let openai: FakeOpenAi;
  let anthropic: FakeAnthropic;
  let events: EventCapture;
  let key: { id: string; key: string };
  let client: OpenAI;

  beforeAll(async () => {
    await resetState();
    openai = await new FakeOpenAi().start();
    anthropic = await new FakeAnthropic(CANARY_PROVIDER_KEY).start();
    api = await startApi();
    events = new EventCapture(api);
    const p1 = await createProvider(api, { baseUrl: openai.url });
    // $0.15 / $0.60 per million input / output tokens, $0.075 per million cached input tokens
    await createModel(api, {
      providerId: p1.id,
      name: 'gpt-4o-mini',
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '0.15' },
        { direction: 'output', unit: '1m_tokens', price: '0.6' },
        { direction: 'cache_read', unit: '1m_tokens', price: '0.075' },
      ],
    });
    const p2 = await createProvider(api, { type: 'anthropic', baseUrl: anthropic.url });
    // $3 / $15 per million
    await createModel(api, {
      providerId: p2.id,
      name: 'claude',
      providerModelId: 'claude-sonnet-4-5',
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '3' },
        { direction: 'output', unit: '1m_tokens', price: '15' },
      ],
    });
    // the same upstream model, marked as speaking the Responses API: requests to it pass through
    await createModel(api, {
      providerId: p1.id,
      name: 'gpt-native',
      providerModelId: 'gpt-5-mini',
      capabilities: ['responses'],
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '0.15' },
        { direction: 'output', unit: '1m_tokens', price: '0.6' },
        { direction: 'cache_read', unit: '1m_tokens', price: '0.075' },
      ],
    });
    key = await createKey(api, { monthlyBudget: '10' });
    client = new OpenAI({ apiKey: key.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await api.close();
    await openai.stop();
    await anthropic.stop();
  });
  beforeEach(() => {
    openai.reset();
    anthropic.reset();
    events.clear();
  });

  const usageRow = (callId: string): Promise<UsageRow> =>
    waitFor(
      async () => {
        const rows = await api.get(DataSource).query<UsageRow[]>(
          `SELECT endpoint, cost_usd::text AS cost, prompt_tokens AS prompt, completion_tokens AS completion,
                  cache_read_tokens AS cache_read, status, model_name FROM usage_records WHERE call_id = $1`,
          [callId],
        );
        return rows[0];
      },
      30_000,
      50,
    );

  it('answers responses.create from a chat model, billed exactly, with instructions and input as chat messages', async () => {
    openai.reset({ usage: { prompt_tokens: 1200, completion_tokens: 40, cached: 1000 } });
    const { data, response } = await client.responses
      .create({
        model: 'gpt-4o-mini',
        instructions: 'Be brief.',
        input: 'Hi',
        max_output_tokens: 300,
        temperature: 0.3,
        store: false,
      })
      .withResponse();
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.model).toBe('gpt-4o-mini');
    expect(data.output_text).toBe('Hello there!');
    expect(data.usage).toMatchObject({
      input_tokens: 1200,
      input_tokens_details: { cached_tokens: 1000 },
      output_tokens: 40,
      total_tokens: 1240,
    });
    expect(openai.requests[0].path).toBe('/v1/chat/completions');
    expect(openai.requests[0].body).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_completion_tokens: 300,
      temperature: 0.3,
    });
    const callId = response.headers.get('x-gateway-call-id')!;
    // 200 × $0.15/M + 1000 × $0.075/M + 40 × $0.60/M = $0.00003 + $0.000075 + $0.000024
    expect(response.headers.get('x-gateway-cost-usd')).toBe('0.000129');
    expect(await usageRow(callId)).toMatchObject({
      endpoint: 'responses',
      cost: '0.000129',
      prompt: 1200,
      completion: 40,
      cache_read: 1000,
      status: 200,
    });
    const event = await events.forCall(callId);
    expect(event).toMatchObject({ endpoint: 'responses', admitted: true });
    // the audit record gets the client's body as the text it sent
    expect(event.requestBody).toBeInstanceOf(JsonText);
    expect(JSON.parse((event.requestBody as JsonText).text)).toMatchObject({ input: 'Hi', instructions: 'Be brief.' });
  });

  it('streams typed events that responses.stream() assembles, billed from the stream usage', async () => {
    openai.reset({ reply: 'One two three', usage: { prompt_tokens: 30, completion_tokens: 3 } });
    const stream = client.responses.stream({ model: 'gpt-4o-mini', input: 'Count to three' });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    const final = await stream.finalResponse();
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_item.added');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('One two three');
    expect(final.output_text).toBe('One two three');
    expect(final.usage).toMatchObject({ input_tokens: 30, output_tokens: 3 });
    expect(openai.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const event = await waitFor(async () => events.events.find((e) => e.stream && e.endpoint === 'responses'));
    const row = await usageRow(event.callId);
    // 30 × $0.15/M + 3 × $0.60/M
    expect(row).toMatchObject({ endpoint: 'responses', cost: '0.0000063', prompt: 30, completion: 3 });
  });

  it('runs a function-call round trip: function_call out, function_call_output back in', async () => {
    openai.reset({ toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' }, toolCallWhenOffered: true });
    const first = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'Weather in Paris?',
      tools: [WEATHER_TOOL],
    });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({
      type: 'function_call',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
      call_id: 'call_1',
    });
    expect(openai.requests[0].body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: WEATHER_TOOL.parameters,
          strict: false,
        },
      },
    ]);

    const second = await client.responses.create({
      model: 'gpt-4o-mini',
      tools: [WEATHER_TOOL],
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"temp_c":21}' },
      ],
    });
    expect(second.output_text).toBe('Hello there!');
    const messages = openai.requests[1].body.messages as Record<string, unknown>[];
    expect(messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":21}' },
    ]);
  });

  it('drops built-in tools a translated target cannot run and names them; x-gateway-strict refuses them', async () => {
    const tools = [{ type: 'web_search' as const }, WEATHER_TOOL];
    const { response } = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hi', tools }).withResponse();
    expect(response.headers.get('x-gateway-dropped-tools')).toBe('web_search');
    expect((openai.requests[0].body.tools as unknown[]).length).toBe(1);
    const event = await events.forCall(response.headers.get('x-gateway-call-id')!);
    expect(event.droppedTools).toEqual(['web_search']);

    openai.reset();
    const refused = await fetch(`${api.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'x-gateway-strict': 'true' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Hi', tools }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unsupported_parameter');
    expect(openai.requests).toHaveLength(0);
  });

  it('refuses previous_response_id and store: true on a translated target before admission, in OpenAI shape', async () => {
    for (const extra of [{ previous_response_id: 'resp_123' }, { store: true }, { background: true }]) {
      const res = await fetch(`${api.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Hi', ...extra }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; param: string; type: string } };
      expect(body.error).toMatchObject({ code: 'unsupported_parameter', type: 'invalid_request_error' });
      expect(body.error.param).toBe(Object.keys(extra)[0]);
      const event = await events.forCall(res.headers.get('x-gateway-call-id')!);
      expect(event).toMatchObject({ admitted: false, status: 400, endpoint: 'responses' });
    }
    expect(openai.requests).toHaveLength(0);
  });

  it('answers from an Anthropic model (Responses → chat → Messages and back), JSON and stream, billed exactly', async () => {
    anthropic.reset({ reply: 'Bonjour', usage: { input_tokens: 100, output_tokens: 10 } });
    const { data, response } = await client.responses
      .create({ model: 'claude', instructions: 'Answer in French.', input: 'Hello' })
      .withResponse();
    expect(data.output_text).toBe('Bonjour');
    expect(anthropic.requests[0].body).toMatchObject({
      model: 'claude-sonnet-4-5',
      system: [{ type: 'text', text: 'Answer in French.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    });
    // 100 × $3/M + 10 × $15/M
    expect(await usageRow(response.headers.get('x-gateway-call-id')!)).toMatchObject({
      endpoint: 'responses',
      cost: '0.00045',
      model_name: 'claude',
    });

    anthropic.reset({ reply: 'Un deux trois', usage: { input_tokens: 50, output_tokens: 6 } });
    const stream = client.responses.stream({ model: 'claude', input: 'Count' });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Un deux trois');
    expect(final.usage).toMatchObject({ input_tokens: 50, output_tokens: 6 });
  });

  it('returns the provider’s reasoning_content as a reasoning summary when asked, JSON and stream', async () => {
    openai.reset({ reasoning: 'The user greets me; answer briefly.', reply: 'Hi!' });
    const answer = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'Hello',
      reasoning: { effort: 'low', summary: 'auto' },
    });
    expect(answer.output[0]).toMatchObject({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: 'The user greets me; answer briefly.' }],
    });
    expect(answer.output_text).toBe('Hi!');
    expect(openai.requests[0].body).toMatchObject({ reasoning_effort: 'low' });

    const stream = client.responses.stream({
      model: 'gpt-4o-mini',
      input: 'Hello',
      reasoning: { effort: 'low', summary: 'auto' },
    });
    const summary: string[] = [];
    stream.on('response.reasoning_summary_text.delta', (e) => summary.push(e.delta));
    const final = await stream.finalResponse();
    expect(summary.join('')).toBe('The user greets me; answer briefly.');
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(final.output_text).toBe('Hi!');

    // without reasoning.summary, as OpenAI does, no reasoning item
    const plain = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hello' });
    expect(plain.output.map((o) => o.type)).toEqual(['message']);
  });

  it('refuses a key whose budget is spent with insufficient_quota, before any upstream call', async () => {
    const broke = await createKey(api, { monthlyBudget: '0' });
    const res = await fetch(`${api.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${broke.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Hi' }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('insufficient_quota');
    expect(openai.requests).toHaveLength(0);
  });

  describe('pass-through (a model with the responses capability)', () => {
    it('sends the request as it is, returns the answer unchanged and bills the Responses usage exactly', async () => {
      openai.reset({ responsesUsage: { input_tokens: 1000, output_tokens: 50, cached: 800, reasoning: 20 } });
      const request = {
        model: 'gpt-native',
        input: [{ role: 'user' as const, content: 'Hi' }],
        tools: [{ type: 'web_search' as const }],
        reasoning: { effort: 'low' as const },
        include: ['reasoning.encrypted_content' as const],
        store: true,
      };
      const { data, response } = await client.responses.create(request).withResponse();
      expect(data.id).toMatch(/^resp_fake_/);
      expect(data.output_text).toBe('Hello from Responses!');
      expect(response.headers.get('x-gateway-dropped-tools')).toBeNull();
      expect(openai.requests[0].path).toBe('/v1/responses');
      // as it is, but for the provider's model id and the output limit the budget reserved (BUDGET_DEFAULT_OUTPUT_TOKENS)
      expect(openai.requests[0].body).toEqual({
        ...request,
        model: 'gpt-5-mini',
        stream: false,
        max_output_tokens: 4096,
      });
      // 200 × $0.15/M + 800 × $0.075/M + 50 × $0.60/M
      expect(await usageRow(response.headers.get('x-gateway-call-id')!)).toMatchObject({
        endpoint: 'responses',
        cost: '0.00012',
        prompt: 1000,
        cache_read: 800,
        completion: 50,
      });
    });

    it('continues from previous_response_id and reaches stored responses only with the key that created them', async () => {
      const first = await client.responses.create({ model: 'gpt-native', input: 'Remember 42' });
      const second = await client.responses.create({
        model: 'gpt-native',
        input: 'What number?',
        previous_response_id: first.id,
      });
      expect(openai.requests[1].body.previous_response_id).toBe(first.id);
      expect(second.previous_response_id).toBe(first.id);
      expect((await client.responses.retrieve(first.id)).id).toBe(first.id);

      const other = new OpenAI({ apiKey: (await createKey(api)).key, baseURL: `${api.url}/v1`, maxRetries: 0 });
      openai.reset();
      await expect(
        other.responses.create({ model: 'gpt-native', input: 'Steal', previous_response_id: first.id }),
      ).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
      await expect(other.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
      await expect(other.responses.delete(first.id)).rejects.toMatchObject({ status: 404 });
      expect(openai.requests).toHaveLength(0);

      await client.responses.delete(first.id);
      expect(openai.responsesApi.stored.has(first.id)).toBe(false);
    });

    it('relays the provider stream event by event and bills the usage of response.completed', async () => {
      openai.reset({ reply: 'Native stream ok', responsesUsage: { input_tokens: 40, output_tokens: 4 } });
      const stream = client.responses.stream({ model: 'gpt-native', input: 'Stream' });
      const final = await stream.finalResponse();
      expect(final.output_text).toBe('Native stream ok');
      expect(openai.requests[0].body).toMatchObject({ stream: true, model: 'gpt-5-mini' });
      const event = await waitFor(async () => events.events.find((e) => e.stream && e.model?.name === 'gpt-native'));
      // 40 × $0.15/M + 4 × $0.60/M
      expect(await usageRow(event.callId)).toMatchObject({ cost: '0.0000084', prompt: 40, completion: 4 });
      expect((await client.responses.retrieve(final.id)).id).toBe(final.id);
    });
  });
});
