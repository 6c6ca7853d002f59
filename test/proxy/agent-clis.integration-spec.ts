import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { CANARY_PROVIDER_KEY, createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { CLAUDE_CODE_CLI, CODEX_CLI, NetworkTrap, runNodeCli, tempDir, type CliRun } from '#test/utils/agent-cli';
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
  model_name: string;
}

const RUN_TIMEOUT_MS = 60_000;

/** The beta flags @anthropic-ai/claude-code 1.0.128 sends with every request (seen on the wire). */
const CLAUDE_CODE_BETAS = 'claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14';

/**
 * The real Claude Code (1.0.x) and Codex CLIs against the gateway, offline: each runs as a child process with only
 * the variables the README tells a user to set, plus the switches that keep it off the internet, which a trap proxy
 * proves (anything not meant for loopback would land there).
 */
describe('proxy: the Claude Code and Codex CLIs against the gateway', () => {
  let api: TestApp;
  let anthropic: FakeAnthropic;
  let openai: FakeOpenAi;
  let trap: NetworkTrap;
  let events: EventCapture;
  let key: { id: string; key: string };

  beforeAll(async () => {
    await resetState();
    anthropic = await new FakeAnthropic(CANARY_PROVIDER_KEY).start();
    openai = await new FakeOpenAi().start();
    trap = await new NetworkTrap().start();
    api = await startApi();
    events = new EventCapture(api);
    const claude = await createProvider(api, { type: 'anthropic', baseUrl: anthropic.url });
    // $3 / $15 per million input / output, $0.30 cache read, $3.75 cache write
    await createModel(api, {
      providerId: claude.id,
      name: 'claude-sonnet',
      providerModelId: 'claude-sonnet-4-5-20250929',
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '3' },
        { direction: 'output', unit: '1m_tokens', price: '15' },
        { direction: 'cache_read', unit: '1m_tokens', price: '0.3' },
        { direction: 'cache_write', unit: '1m_tokens', price: '3.75' },
      ],
    });
    const gpt = await createProvider(api, { baseUrl: openai.url });
    // $1.25 / $10 per million input / output, $0.125 cached input; speaks the Responses API (pass-through)
    await createModel(api, {
      providerId: gpt.id,
      name: 'gpt-native',
      providerModelId: 'gpt-5-codex',
      capabilities: ['responses'],
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '1.25' },
        { direction: 'output', unit: '1m_tokens', price: '10' },
        { direction: 'cache_read', unit: '1m_tokens', price: '0.125' },
      ],
    });
    // $0.15 / $0.60 per million, $0.075 cached: a chat model, served to Codex by translation
    await createModel(api, {
      providerId: gpt.id,
      name: 'gpt-4o-mini',
      pricing: [
        { direction: 'input', unit: '1m_tokens', price: '0.15' },
        { direction: 'output', unit: '1m_tokens', price: '0.6' },
        { direction: 'cache_read', unit: '1m_tokens', price: '0.075' },
      ],
    });
    key = await createKey(api, { monthlyBudget: '10' });
  });
  afterAll(async () => {
    await api.close();
    await anthropic.stop();
    await openai.stop();
    await trap.stop();
  });
  beforeEach(() => {
    anthropic.reset();
    openai.reset();
    events.clear();
    trap.attempts.length = 0;
  });

  const usageRow = (callId: string): Promise<UsageRow> =>
    waitFor(
      async () => {
        const rows = await api.get(DataSource).query<UsageRow[]>(
          `SELECT endpoint, cost_usd::text AS cost, prompt_tokens AS prompt, completion_tokens AS completion,
                  cache_read_tokens AS cache_read, cache_write_tokens AS cache_write, status, model_name
             FROM usage_records WHERE call_id = $1`,
          [callId],
        );
        return rows[0];
      },
      30_000,
      50,
    );

  /** The CLI's output, for a failing expectation to show what it said. */
  const shown = (run: CliRun): string =>
    `exit ${run.code} after ${run.ms} ms${run.timedOut ? ' (killed: timeout)' : ''}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

  describe('Claude Code', () => {
    /** `claude -p` in a throwaway HOME with only the gateway's variables and the switches that keep it offline. */
    const claude = async (auth: Record<string, string>, prompt: string): Promise<CliRun> => {
      const home = await tempDir('claude-home');
      try {
        return await runNodeCli(CLAUDE_CODE_CLI, ['-p', prompt, '--output-format', 'json'], {
          cwd: home.path,
          timeoutMs: RUN_TIMEOUT_MS,
          env: {
            HOME: home.path,
            CLAUDE_CONFIG_DIR: join(home.path, '.claude'),
            ANTHROPIC_BASE_URL: api.url,
            ...auth,
            // a gateway model name; without it Claude Code asks for claude-sonnet-4-20250514
            ANTHROPIC_MODEL: 'claude-sonnet',
            // print mode made no call with the small model here, but a background one (a title, a quota check)
            // would ask for claude-3-5-haiku: name a model the key may use (1.0.x reads this variable)
            ANTHROPIC_SMALL_FAST_MODEL: 'claude-sonnet',
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
            DISABLE_AUTOUPDATER: '1',
            DISABLE_TELEMETRY: '1',
            DISABLE_ERROR_REPORTING: '1',
            ...trap.env(),
          },
        });
      } finally {
        await home.remove();
      }
    };

    it('answers `claude -p` (ANTHROPIC_AUTH_TOKEN) natively, with its beta headers and session, billed exactly', async () => {
      anthropic.reset({
        reply: 'Pong from the fake Anthropic.',
        usage: {
          input_tokens: 1200,
          output_tokens: 30,
          cache_read_input_tokens: 5000,
          cache_creation_input_tokens: 800,
        },
      });
      const run = await claude({ ANTHROPIC_AUTH_TOKEN: key.key }, 'Say pong');
      expect({ code: run.code, out: shown(run) }).toMatchObject({ code: 0 });
      const result = JSON.parse(run.stdout) as { result: string; is_error: boolean; session_id: string };
      expect(result).toMatchObject({ is_error: false, result: 'Pong from the fake Anthropic.' });
      expect(trap.attempts).toEqual([]);

      // print mode makes one call: the agent's turn, streamed, with Claude Code's tools and system blocks
      expect(anthropic.requests).toHaveLength(1);
      const sent = anthropic.requests[0];
      expect(sent.path).toBe('/v1/messages');
      expect(sent.headers['anthropic-version']).toBe('2023-06-01');
      expect(sent.headers['anthropic-beta']).toBe(CLAUDE_CODE_BETAS);
      expect(sent.headers['x-api-key']).toBe(CANARY_PROVIDER_KEY);
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.body).toMatchObject({ model: 'claude-sonnet-4-5-20250929', stream: true, max_tokens: 32000 });
      expect((sent.body.tools as { name: string }[]).map((t) => t.name)).toEqual(
        expect.arrayContaining(['Bash', 'Read', 'Edit']),
      );
      expect(sent.body.system).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'text', cache_control: { type: 'ephemeral' } })]),
      );
      expect(JSON.stringify(sent.body.messages)).toContain('Say pong');
      expect((sent.body.metadata as { user_id: string }).user_id).toMatch(new RegExp(`_session_${result.session_id}$`));

      const event = await waitFor(async () => events.events.find((e) => e.endpoint === 'messages'));
      expect(event).toMatchObject({ status: 200, stream: true, sessionId: result.session_id });
      expect(event.userAgent).toMatch(/^claude-cli\/1\.0\.128 /);
      // 1200 × $3/M + 5000 × $0.30/M + 800 × $3.75/M + 30 × $15/M = 0.0036 + 0.0015 + 0.003 + 0.00045
      expect(await usageRow(event.callId)).toMatchObject({
        endpoint: 'messages',
        model_name: 'claude-sonnet',
        prompt: 7000,
        cache_read: 5000,
        cache_write: 800,
        completion: 30,
        cost: '0.00855',
        status: 200,
      });
    });

    it('answers with the key in ANTHROPIC_API_KEY, though Claude Code then also calls api.anthropic.com', async () => {
      anthropic.reset({ reply: 'Pong via x-api-key.', usage: { input_tokens: 100, output_tokens: 10 } });
      const run = await claude({ ANTHROPIC_API_KEY: key.key }, 'Say pong');
      expect({ code: run.code, out: shown(run) }).toMatchObject({ code: 0 });
      expect(JSON.parse(run.stdout)).toMatchObject({ is_error: false, result: 'Pong via x-api-key.' });
      // 1.0.x asks api.anthropic.com/api/claude_code/organizations/metrics_enabled with the key in x-api-key,
      // whatever ANTHROPIC_BASE_URL says, and no variable turns that off: ANTHROPIC_AUTH_TOKEN does not do it
      expect(new Set(trap.attempts)).toEqual(new Set(['CONNECT api.anthropic.com:443']));
      const event = await waitFor(async () => events.events.find((e) => e.endpoint === 'messages'));
      expect(event).toMatchObject({ status: 200, apiKey: { id: key.id } });
      // 100 × $3/M + 10 × $15/M
      expect(await usageRow(event.callId)).toMatchObject({ cost: '0.00045', prompt: 100, completion: 10 });
    });

    it('stops at once when the key’s budget is spent: no retries, the budget named, exit code 1', async () => {
      const broke = await createKey(api, { monthlyBudget: '0' });
      const run = await claude({ ANTHROPIC_AUTH_TOKEN: broke.key }, 'Say pong');
      expect({ code: run.code, out: shown(run) }).toMatchObject({ code: 1 });
      expect(run.ms).toBeLessThan(10_000);
      const result = JSON.parse(run.stdout) as { result: string; is_error: boolean };
      expect(result.is_error).toBe(true);
      expect(result.result).toMatch(
        /^API Error: 429 .*rate_limit_error.*Monthly budget of \$0 for this API key is used up/,
      );
      expect(anthropic.requests).toHaveLength(0);
      // two refused calls and no more: the stream, then Claude Code's non-streaming fallback (x-should-retry: false
      // stops the SDK's own retries of each)
      const refused = await events.count(2);
      expect(refused.map((e) => [e.stream, e.status, e.errorCode, e.admitted])).toEqual([
        [true, 429, 'budget_exceeded', false],
        [false, 429, 'budget_exceeded', false],
      ]);
      expect(trap.attempts).toEqual([]);
    });
  });

  describe('Codex', () => {
    /**
     * `codex exec` with a throwaway CODEX_HOME whose config.toml names the gateway as the model provider and turns
     * off what would reach the internet: the update check, analytics (OTLP metrics to ab.chatgpt.com) and the
     * curated plugin sync (github.com, chatgpt.com).
     */
    const codex = async (model: string, gatewayKey: string, prompt: string): Promise<CliRun> => {
      const home = await tempDir('codex-home');
      try {
        const codexHome = join(home.path, 'codex');
        const work = join(home.path, 'work');
        await mkdir(codexHome);
        await mkdir(work);
        await writeFile(
          join(codexHome, 'config.toml'),
          [
            `model = "${model}"`,
            'model_provider = "gw"',
            'check_for_update_on_startup = false',
            '',
            '[analytics]',
            'enabled = false',
            '',
            '[features]',
            'plugins = false',
            '',
            '[model_providers.gw]',
            'name = "LLM gateway"',
            `base_url = "${api.url}/v1"`,
            'env_key = "GW_KEY"',
            'wire_api = "responses"',
            '',
          ].join('\n'),
        );
        const args = ['exec', '--strict-config', '--skip-git-repo-check', '--sandbox', 'read-only', '--color', 'never'];
        return await runNodeCli(CODEX_CLI, [...args, prompt], {
          cwd: work,
          timeoutMs: RUN_TIMEOUT_MS,
          env: { HOME: home.path, CODEX_HOME: codexHome, GW_KEY: gatewayKey, ...trap.env() },
        });
      } finally {
        await home.remove();
      }
    };

    it('answers `codex exec` through a Responses pass-through model, billed to the nano-dollar', async () => {
      openai.reset({
        reply: 'Pong from the fake Responses API.',
        responsesUsage: { input_tokens: 9000, output_tokens: 120, cached: 6000, reasoning: 64 },
      });
      const run = await codex('gpt-native', key.key, 'Say pong');
      expect({ code: run.code, out: shown(run) }).toMatchObject({ code: 0 });
      expect(run.stdout.trim()).toBe('Pong from the fake Responses API.');
      expect(trap.attempts).toEqual([]);

      expect(openai.requests).toHaveLength(1);
      const sent = openai.requests[0];
      expect(sent.path).toBe('/v1/responses');
      expect(sent.headers.authorization).toBe(`Bearer ${CANARY_PROVIDER_KEY}`);
      // Codex's request as it sent it: stateless (store: false, encrypted reasoning), its tools, built-in ones too
      expect(sent.body).toMatchObject({
        model: 'gpt-5-codex',
        stream: true,
        store: false,
        include: ['reasoning.encrypted_content'],
      });
      const tools = sent.body.tools as { type: string; name?: string }[];
      expect(tools).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'function', name: 'exec_command' })]),
      );
      expect(tools.map((t) => t.type)).toContain('web_search');

      const event = await waitFor(async () => events.events.find((e) => e.endpoint === 'responses'));
      expect(event).toMatchObject({ status: 200, stream: true, model: { name: 'gpt-native' } });
      // (9000 − 6000) × $1.25/M + 6000 × $0.125/M + 120 × $10/M = 0.00375 + 0.00075 + 0.0012
      expect(await usageRow(event.callId)).toMatchObject({
        endpoint: 'responses',
        model_name: 'gpt-native',
        prompt: 9000,
        cache_read: 6000,
        completion: 120,
        cost: '0.0057',
        status: 200,
      });
    });

    it('answers `codex exec` through a chat model by translation, its built-in tools dropped, billed exactly', async () => {
      openai.reset({
        reply: 'Pong from the fake chat API.',
        usage: { prompt_tokens: 3000, completion_tokens: 12, cached: 1000 },
      });
      const run = await codex('gpt-4o-mini', key.key, 'Say pong');
      expect({ code: run.code, out: shown(run) }).toMatchObject({ code: 0 });
      expect(run.stdout.trim()).toBe('Pong from the fake chat API.');
      expect(trap.attempts).toEqual([]);

      expect(openai.requests).toHaveLength(1);
      const sent = openai.requests[0];
      expect(sent.path).toBe('/v1/chat/completions');
      expect(sent.body).toMatchObject({ model: 'gpt-4o-mini-2024-07-18', stream: true });
      expect(JSON.stringify(sent.body.messages)).toContain('Say pong');
      const tools = sent.body.tools as { type: string; function: { name: string } }[];
      expect(tools.every((t) => t.type === 'function')).toBe(true);
      expect(tools.map((t) => t.function.name)).toContain('exec_command');

      const event = await waitFor(async () => events.events.find((e) => e.endpoint === 'responses'));
      expect(event).toMatchObject({ status: 200, stream: true, model: { name: 'gpt-4o-mini' } });
      expect(event.droppedTools).toEqual(expect.arrayContaining(['web_search']));
      // 2000 × $0.15/M + 1000 × $0.075/M + 12 × $0.60/M = 0.0003 + 0.000075 + 0.0000072
      expect(await usageRow(event.callId)).toMatchObject({
        endpoint: 'responses',
        prompt: 3000,
        cache_read: 1000,
        completion: 12,
        cost: '0.0003822',
      });
    });

    it('stops at once when the key’s budget is spent: insufficient_quota is "Quota exceeded", exit code 1', async () => {
      const broke = await createKey(api, { monthlyBudget: '0' });
      const run = await codex('gpt-native', broke.key, 'Say pong');
      expect({ code: run.code, out: shown(run) }).toMatchObject({ code: 1 });
      expect(run.ms).toBeLessThan(10_000);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('ERROR: Quota exceeded. Check your plan and billing details.');
      expect(openai.requests).toHaveLength(0);
      const [refused] = await events.count(1);
      expect(refused).toMatchObject({
        endpoint: 'responses',
        status: 429,
        errorCode: 'budget_exceeded',
        admitted: false,
      });
      // Codex does not retry a quota error: one call, and nothing after it
      await new Promise((r) => setTimeout(r, 200));
      expect(events.events).toHaveLength(1);
      expect(trap.attempts).toEqual([]);
    });
  });
});
