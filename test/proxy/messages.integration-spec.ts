import Anthropic from '@anthropic-ai/sdk';
import { DataSource } from 'typeorm';
import { toAuditRecord } from '#src/modules/audit/audit-record';
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
  cache_write: number;
  status: number;
}

/** The beta flags and headers Claude Code sends with every request. */
const CLAUDE_CODE_BETAS = 'claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14';
const SESSION_ID = '0f3c2a4e-6b1d-4c7a-9a51-2f8e3d9b7c10';

const BASH_TOOL = {
  name: 'Bash',
  description: 'Run a shell command',
  input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
};

/** SPEC §12: `/v1/messages` through the official `@anthropic-ai/sdk`, native for Anthropic, translated otherwise. */
describe('proxy: the Anthropic Messages API', () => {
  let api: TestApp;
  let anthropic: FakeAnthropic;
  let openai: FakeOpenAi;
  let events: EventCapture;
  let key: { id: string; key: string };
  let client: Anthropic;

  beforeAll(async () => {
    await resetState();
    anthropic = await new FakeAnthropic(CANARY_PROVIDER_KEY).start();
    openai = await new FakeOpenAi().start();
    api = await startApi();
    events = new EventCapture(api);
    const p1 = await createProvider(api, { type: 'anthropic', baseUrl: anthropic.url });
    // $3 / $15 per million input / output, $0.30 cache read, $3.75 cache write
    await createModel(api, {
      providerId: p1.id,
      name: 'claude-sonnet',
      providerModelId: 'claude-sonnet-4-5-20250929',
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '3' },
        { direction: 'output', unit: '1m_tokens', price: '15' },
        { direction: 'cache_read', unit: '1m_tokens', price: '0.3' },
        { direction: 'cache_write', unit: '1m_tokens', price: '3.75' },
      ],
    });
    const p2 = await createProvider(api, { baseUrl: openai.url });
    await createModel(api, {
      providerId: p2.id,
      name: 'gpt-4o-mini',
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '0.15' },
        { direction: 'output', unit: '1m_tokens', price: '0.6' },
        { direction: 'cache_read', unit: '1m_tokens', price: '0.075' },
      ],
    });
    key = await createKey(api, { monthlyBudget: '10' });
    client = new Anthropic({ apiKey: key.key, baseURL: api.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await api.close();
    await anthropic.stop();
    await openai.stop();
  });
  beforeEach(() => {
    anthropic.reset();
    openai.reset();
    events.clear();
  });

  const usageRow = (callId: string): Promise<UsageRow> =>
    waitFor(
      async () => {
        const rows = await api.get(DataSource).query<UsageRow[]>(
          `SELECT endpoint, cost_usd::text AS cost, prompt_tokens AS prompt, completion_tokens AS completion,
                  cache_read_tokens AS cache_read, cache_write_tokens AS cache_write, status
             FROM usage_records WHERE call_id = $1`,
          [callId],
        );
        return rows[0];
      },
      30_000,
      50,
    );

  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        'x-api-key': key.key,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        ...headers,
      },
      body: JSON.stringify(body),
    });

  describe('native (an Anthropic provider)', () => {
    it('passes messages.create through unchanged and bills the usage exactly', async () => {
      const { data, response } = await client.messages
        .create({
          model: 'claude-sonnet',
          max_tokens: 1024,
          system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
          messages: [{ role: 'user', content: 'Hello, Claude' }],
          metadata: { user_id: 'u-1' },
        })
        .withResponse();
      expect(data.content).toEqual([{ type: 'text', text: 'Hello!' }]);
      expect(data.id).toBe('msg_013Zva2CMHLNnXjNJJKqJ2EF');
      const sent = anthropic.requests[0];
      expect(sent.path).toBe('/v1/messages');
      // the client's body as it is: blocks with cache_control, metadata; only the model is the provider's id
      expect(sent.body).toEqual({
        model: 'claude-sonnet-4-5-20250929',
        max_tokens: 1024,
        system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hello, Claude' }],
        metadata: { user_id: 'u-1' },
      });
      expect(sent.headers['x-api-key']).toBe(CANARY_PROVIDER_KEY);
      // the fake's documented usage: 2095 in, 503 out → 2095 × $3/M + 503 × $15/M
      const callId = response.headers.get('x-gateway-call-id')!;
      expect(response.headers.get('x-gateway-cost-usd')).toBe('0.01383');
      expect(await usageRow(callId)).toMatchObject({
        endpoint: 'messages',
        cost: '0.01383',
        prompt: 2095,
        completion: 503,
      });
    });

    it('relays a stream event by event and bills 10,000 cache-read tokens at the cache-read price, counted once', async () => {
      anthropic.reset({
        reply: 'Streaming works fine',
        usage: {
          input_tokens: 100,
          output_tokens: 20,
          cache_read_input_tokens: 10_000,
          cache_creation_input_tokens: 0,
        },
      });
      const stream = client.messages.stream({
        model: 'claude-sonnet',
        max_tokens: 512,
        messages: [{ role: 'user', content: 'Stream please' }],
      });
      const types: string[] = [];
      stream.on('streamEvent', (e) => types.push(e.type));
      const message = await stream.finalMessage();
      expect(message.content).toHaveLength(1);
      expect(message.content[0]).toMatchObject({ type: 'text', text: 'Streaming works fine' });
      expect(types).toEqual(
        expect.arrayContaining(['message_start', 'content_block_delta', 'message_delta', 'message_stop']),
      );
      expect(anthropic.requests[0].body).toMatchObject({ stream: true, model: 'claude-sonnet-4-5-20250929' });
      const event = await waitFor(async () => events.events.find((e) => e.stream && e.endpoint === 'messages'));
      // 100 × $3/M + 10,000 × $0.30/M + 20 × $15/M = 0.0003 + 0.003 + 0.0003
      expect(await usageRow(event.callId)).toMatchObject({
        endpoint: 'messages',
        prompt: 10_100,
        cache_read: 10_000,
        completion: 20,
        cost: '0.0036',
      });
    });

    it('serves a Claude Code-shaped session: its headers, a tool-use loop over turns, the session id audited', async () => {
      anthropic.reset({ toolUse: { input: { command: 'ls' } }, toolCallWhenOffered: true, reply: 'Two files.' });
      const headers = {
        authorization: `Bearer ${key.key}`,
        'anthropic-beta': CLAUDE_CODE_BETAS,
        'x-claude-code-session-id': SESSION_ID,
        'x-app': 'cli',
      };
      const turn1 = await fetch(`${api.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
        body: JSON.stringify({
          model: 'claude-sonnet',
          max_tokens: 32000,
          stream: true,
          system: [
            { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
            { type: 'text', text: 'Long instructions', cache_control: { type: 'ephemeral' } },
          ],
          tools: [BASH_TOOL],
          messages: [{ role: 'user', content: [{ type: 'text', text: 'List the files' }] }],
        }),
      });
      expect(turn1.status).toBe(200);
      expect(turn1.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const sse = await turn1.text();
      expect(sse).toContain('event: content_block_start');
      expect(sse).toContain('"type":"tool_use"');
      const sent = anthropic.requests[0];
      expect(sent.headers['anthropic-beta']).toBe(CLAUDE_CODE_BETAS);
      expect(sent.headers['anthropic-version']).toBe('2023-06-01');
      expect(sent.headers.authorization).toBeUndefined();

      const turn2 = await client.messages.create(
        {
          model: 'claude-sonnet',
          max_tokens: 4096,
          tools: [BASH_TOOL] as Anthropic.Tool[],
          messages: [
            { role: 'user', content: 'List the files' },
            {
              role: 'assistant',
              content: [
                { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'Bash', input: { command: 'ls' } },
              ],
            },
            {
              role: 'user',
              content: [
                { type: 'tool_result', tool_use_id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', content: 'a.txt\nb.txt' },
              ],
            },
          ],
        },
        { headers: { 'anthropic-beta': CLAUDE_CODE_BETAS, 'x-claude-code-session-id': SESSION_ID } },
      );
      expect(turn2.content).toEqual([{ type: 'text', text: 'Two files.' }]);
      expect(anthropic.requests).toHaveLength(2);

      const first = await events.forCall(turn1.headers.get('x-gateway-call-id')!);
      expect(first).toMatchObject({ endpoint: 'messages', sessionId: SESSION_ID, stream: true, status: 200 });
      const record = toAuditRecord(first, { pod: 'p', logBodies: false, bodyMaxBytes: 1000 });
      expect(record).toMatchObject({ api: 'messages', session_id: SESSION_ID });
    });

    it('returns an upstream 529 unmodified, JSON and stream', async () => {
      const overloaded = {
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
        request_id: 'req_x',
      };
      anthropic.reset({ error: { status: 529, body: overloaded } });
      for (const stream of [false, true]) {
        const res = await post('/v1/messages', {
          model: 'claude-sonnet',
          max_tokens: 100,
          stream,
          messages: [{ role: 'user', content: 'Hi' }],
        });
        expect(res.status).toBe(529);
        expect(await res.json()).toEqual(overloaded);
        const event = await events.forCall(res.headers.get('x-gateway-call-id')!);
        expect(event).toMatchObject({ status: 529, errorCode: 'overloaded_error', admitted: true, costUsd: '0' });
      }
    });

    it('relays an error event in the middle of a stream and records the call as failed with its status', async () => {
      anthropic.reset({ reply: 'one two three four', streamError: { afterEvents: 5 } });
      const res = await post('/v1/messages', {
        model: 'claude-sonnet',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('event: content_block_delta');
      expect(text).toContain('event: error\ndata: {"type":"error","error":{"type":"overloaded_error"');
      expect(text).not.toContain('message_stop');
      const event = await events.forCall(res.headers.get('x-gateway-call-id')!);
      expect(event).toMatchObject({ status: 529, errorCode: 'overloaded_error', admitted: true, stream: true });
    });

    it('counts tokens through the provider, not billed', async () => {
      anthropic.reset({ countTokens: 1234 });
      const counted = await client.messages.countTokens({
        model: 'claude-sonnet',
        messages: [{ role: 'user', content: 'How many tokens?' }],
      });
      expect(counted).toEqual({ input_tokens: 1234 });
      expect(anthropic.requests[0].path).toBe('/v1/messages/count_tokens');
      expect(anthropic.requests[0].body.model).toBe('claude-sonnet-4-5-20250929');
    });
  });

  describe('translated (an OpenAI-compatible model)', () => {
    it('answers messages.create from chat, with Anthropic usage semantics (input excludes cached tokens)', async () => {
      openai.reset({ reply: 'Hi from GPT', usage: { prompt_tokens: 1200, completion_tokens: 40, cached: 1000 } });
      const { data, response } = await client.messages
        .create({
          model: 'gpt-4o-mini',
          max_tokens: 300,
          system: 'Be brief.',
          messages: [{ role: 'user', content: 'Hi' }],
          stop_sequences: ['END'],
        })
        .withResponse();
      expect(data.content[0]).toMatchObject({ type: 'text', text: 'Hi from GPT' });
      expect(data.usage).toMatchObject({ input_tokens: 200, cache_read_input_tokens: 1000, output_tokens: 40 });
      expect(openai.requests[0].body).toMatchObject({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
        max_completion_tokens: 300,
        stop: ['END'],
      });
      // 200 × $0.15/M + 1000 × $0.075/M + 40 × $0.60/M
      expect(await usageRow(response.headers.get('x-gateway-call-id')!)).toMatchObject({
        endpoint: 'messages',
        cost: '0.000129',
        prompt: 1200,
        cache_read: 1000,
      });
    });

    it('streams Anthropic events that the SDK assembles, tool use included', async () => {
      openai.reset({ toolCall: { name: 'Bash', arguments: '{"command":"ls"}' } });
      const stream = client.messages.stream({
        model: 'gpt-4o-mini',
        max_tokens: 300,
        tools: [BASH_TOOL] as Anthropic.Tool[],
        messages: [{ role: 'user', content: 'List files' }],
      });
      const message = await stream.finalMessage();
      expect(message.stop_reason).toBe('tool_use');
      expect(message.content).toEqual([
        expect.objectContaining({ type: 'tool_use', id: 'call_1', name: 'Bash', input: { command: 'ls' } }),
      ]);
      expect(openai.requests[0].body.tools).toEqual([
        {
          type: 'function',
          function: { name: 'Bash', description: 'Run a shell command', parameters: BASH_TOOL.input_schema },
        },
      ]);
    });

    it('counts tokens itself for a model without a native count', async () => {
      const counted = await client.messages.countTokens({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hello there' }],
      });
      expect(counted.input_tokens).toBeGreaterThan(0);
      expect(openai.requests).toHaveLength(0);
    });
  });

  describe("errors in Anthropic's shape", () => {
    it.each([
      [
        'an unknown key',
        { 'x-api-key': 'sk-gw-nope' },
        { model: 'claude-sonnet', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        401,
        'authentication_error',
      ],
      [
        'an unknown model',
        {},
        { model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        404,
        'not_found_error',
      ],
      [
        'a missing max_tokens',
        {},
        { model: 'claude-sonnet', messages: [{ role: 'user', content: 'x' }] },
        400,
        'invalid_request_error',
      ],
    ])('answers %s with its Anthropic error type', async (_name, headers, body, status, type) => {
      const res = await post('/v1/messages', body, headers);
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type, message: expect.any(String) } });
      expect(anthropic.requests).toHaveLength(0);
    });

    it('refuses a spent budget with rate_limit_error and x-should-retry: false, so Claude Code stops at once', async () => {
      const broke = await createKey(api, { monthlyBudget: '0' });
      const res = await post(
        '/v1/messages',
        { model: 'claude-sonnet', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] },
        { 'x-api-key': broke.key },
      );
      expect(res.status).toBe(429);
      expect(res.headers.get('x-should-retry')).toBe('false');
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      expect(anthropic.requests).toHaveLength(0);
    });
  });

  it("lists models in Anthropic's shape when the request carries anthropic-version", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual(['claude-sonnet', 'gpt-4o-mini']);
    expect(page.data[0]).toMatchObject({
      type: 'model',
      display_name: expect.any(String),
      created_at: expect.any(String),
    });
    const openaiShape = await fetch(`${api.url}/v1/models`, { headers: { authorization: `Bearer ${key.key}` } });
    expect(((await openaiShape.json()) as { object: string }).object).toBe('list');
  });
});
