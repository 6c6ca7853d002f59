import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { BillingJob, QueueName } from '#src/core/queue/queue.constants';
import { createGateway, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { spawnBuilt, waitFor } from '#test/utils/processes';
import { drainQueue, queueOf } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';
import { baseTestEnv } from '#test/utils/test-env';

/** These tests start dist/src/cli.js: run `npx tsc -p tsconfig.build.json` first. */
const SAMPLE_PATH = resolve('test/fixtures/model-prices.sample.json');
const SAMPLE = JSON.parse(readFileSync(SAMPLE_PATH, 'utf8')) as Record<string, { litellm_provider: string }>;
const NAMES = Object.keys(SAMPLE);
const OPENAI = NAMES.filter((n) => ['openai', 'text-completion-openai'].includes(SAMPLE[n].litellm_provider));

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const p = spawnBuilt('cli', args, { ...baseTestEnv(), LOG_LEVEL: 'warn', ...env });
  const code = await p.exited;
  // the process's own log lines (JSON, warn and above) are not part of what the command prints
  const out = p
    .output()
    .split('\n')
    .filter((l) => !l.startsWith('{"level"'))
    .join('\n');
  return { code, out };
}

describe('CLI: import-catalog and billing-failed', () => {
  let api: TestApp;
  let db: DataSource;
  let upstream: FakeOpenAi;
  let server: Server;
  let catalogUrl: string;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    api = await startApi();
    db = api.get(DataSource);
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(SAMPLE));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    catalogUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/catalog.json`;
  });
  afterAll(async () => {
    await db.query('ALTER TABLE usage_records DROP CONSTRAINT IF EXISTS test_prompt_cap');
    await api.close();
    await upstream.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  describe('import-catalog', () => {
    const models = async (): Promise<{ name: string; provider_id: string | null }[]> =>
      db.query('SELECT name, provider_id FROM models ORDER BY name');

    it('imports a catalog file as price-only models', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'llmgw-catalog-'));
      const file = join(dir, 'catalog.json');
      writeFileSync(file, JSON.stringify({ sample_spec: {}, ...SAMPLE }));
      const { code, out } = await cli(['import-catalog', file]);
      expect({ code, out }).toEqual({
        code: 0,
        out: `catalog imported: created ${NAMES.length}, updated 0, skipped 1 (sample_spec: 1)\n`,
      });
      const rows = await models();
      expect(rows).toHaveLength(NAMES.length);
      expect(rows.every((r) => r.provider_id === null)).toBe(true);
    });

    it('imports from a URL for a provider named on the command line, updating the models in place', async () => {
      const provider = await createProvider(api, { name: 'openai-main', baseUrl: upstream.url, type: 'openai' });
      const { code, out } = await cli(['import-catalog', catalogUrl, '--provider', 'openai-main'], {
        CATALOG_ALLOW_PRIVATE_URLS: 'true',
      });
      const mismatched = NAMES.length - OPENAI.length;
      expect({ code, out }).toEqual({
        code: 0,
        out: `catalog imported: created 0, updated ${OPENAI.length}, skipped ${mismatched} (provider_mismatch: ${mismatched})\n`,
      });
      const rows = await models();
      expect(rows.filter((r) => r.provider_id === provider.id).map((r) => r.name)).toEqual([...OPENAI].sort());
      expect(rows).toHaveLength(NAMES.length);
    });

    it('refuses a loopback URL unless CATALOG_ALLOW_PRIVATE_URLS=true, and an unknown provider', async () => {
      const refused = await cli(['import-catalog', catalogUrl]);
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/import-catalog failed: url resolves to a loopback or private address/);
      const unknown = await cli(['import-catalog', SAMPLE_PATH, '--provider', 'nope']);
      expect(unknown.code).toBe(2);
      expect(unknown.out).toMatch(/no provider 'nope'/);
    });
  });

  describe('billing-failed', () => {
    beforeAll(() => db.query('TRUNCATE pricing_components, model_aliases, models CASCADE'));

    it('lists a billing job that kept failing, replays it once fixed, and bills it exactly once', async () => {
      const gw = await createGateway(api, upstream.url, { name: 'cli-key' });
      const events = new EventCapture(api);
      const queue = queueOf(api, QueueName.Billing);
      // a real failure: PostgreSQL refuses the usage row until the constraint is dropped
      await db.query('ALTER TABLE usage_records ADD CONSTRAINT test_prompt_cap CHECK (prompt_tokens < 1000)');
      upstream.reset({ usage: { prompt_tokens: 5000, completion_tokens: 7 } });
      const res = await fetch(`${api.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: gw.model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      const [event] = await events.count(1);
      const callId = event.callId;
      // every retry of the billing options (21 attempts, capped exponential backoff), without waiting out the backoff
      const failed = await waitFor(
        async () => {
          const job = await queue.getJob(callId);
          const state = await job?.getState();
          if (state === 'delayed') await job!.promote();
          return state === 'failed' ? job : undefined;
        },
        30_000,
        50,
      );

      const listed = await cli(['billing-failed', 'list']);
      expect(listed.code).toBe(0);
      expect(listed.out).toMatch(
        new RegExp(
          `^${callId}\\tcall=${callId}\\tattempts=21\\treason=.*violates check constraint "test_prompt_cap"`,
          'm',
        ),
      );
      expect(await db.query('SELECT 1 FROM usage_records WHERE call_id = $1', [callId])).toHaveLength(0);

      await db.query('ALTER TABLE usage_records DROP CONSTRAINT test_prompt_cap');
      const replayed = await cli(['billing-failed', 'replay', '--all', '--wait']);
      expect({ code: replayed.code, out: replayed.out }).toEqual({
        code: 0,
        out: `replayed ${callId}\n${callId}: completed\n`,
      });
      const rows: { prompt_tokens: number; api_key_id: string }[] = await db.query(
        'SELECT prompt_tokens, api_key_id FROM usage_records WHERE call_id = $1',
        [callId],
      );
      expect(rows).toEqual([{ prompt_tokens: 5000, api_key_id: gw.keyId }]);
      expect(await cli(['billing-failed', 'list'])).toEqual({ code: 0, out: 'no failed billing jobs\n' });

      // replaying it again is refused; the same event delivered again bills nothing more
      const again = await cli(['billing-failed', 'replay', callId]);
      expect(again).toEqual({ code: 1, out: `${callId}: not in the failed set\n` });
      await queue.add(BillingJob.RecordUsage, failed.data, { jobId: `${callId}-redelivered` });
      await drainQueue(api, QueueName.Billing);
      expect((await queue.getJob(`${callId}-redelivered`))?.returnvalue).toBe(false);
      const daily: { requests: string; prompt_tokens: string }[] = await db.query(
        'SELECT requests, prompt_tokens FROM usage_daily WHERE api_key_id = $1',
        [gw.keyId],
      );
      expect(daily).toEqual([{ requests: '1', prompt_tokens: '5000' }]);
    });

    it('tells how to call it', async () => {
      const bare = await cli(['billing-failed', 'replay']);
      expect(bare.code).toBe(2);
      expect(bare.out).toMatch(/give --all or one or more job ids/);
      expect((await cli(['billing-failed', 'replay', 'no-such-job'])).out).toBe('no-such-job: no such job\n');
    });
  });
});
