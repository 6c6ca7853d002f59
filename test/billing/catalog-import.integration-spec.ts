import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { adminRequest, type Json, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { createKey, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

const SAMPLE = JSON.parse(readFileSync(resolve('test/fixtures/model-prices.sample.json'), 'utf8')) as Record<
  string,
  Record<string, unknown>
>;
const NAMES = Object.keys(SAMPLE);
const OPENAI_NAMES = NAMES.filter((n) =>
  ['openai', 'text-completion-openai'].includes(SAMPLE[n].litellm_provider as string),
);

/** Serves the sample catalog (and a redirect, an oversized and a non-JSON body) and counts what it was asked. */
class CatalogServer {
  hits: string[] = [];
  private server?: Server;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.hits.push(req.url ?? '');
      if (req.url === '/catalog.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(SAMPLE));
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/catalog.json' });
        res.end();
      } else if (req.url === '/huge') {
        // no content-length: the 20 MB limit must hold while streaming
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < 21 && res.write(chunk)) sent++;
          if (sent >= 21) res.end();
          else res.once('drain', pump);
        };
        res.on('error', () => undefined);
        pump();
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>not a catalog</html>');
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => this.server?.close(() => r()) ?? r());
  }
}

const chat = (api: TestApp, key: string, model: string): Promise<Response> =>
  fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('catalog import: POST /admin/models/import', () => {
  let api: TestApp;
  let permissive: TestApp;
  let tokens: RoleTokens;
  let upstream: FakeOpenAi;
  let catalog: CatalogServer;
  let db: DataSource;

  const importAs = (token: string, body: unknown, query = '', app = api): Promise<{ status: number; body: Json }> =>
    adminRequest(app, 'POST', `/admin/models/import${query}`, { token, body });
  const modelsByName = async (): Promise<Map<string, Json>> => {
    const res = await adminRequest(api, 'GET', '/admin/models?limit=500', { token: tokens.viewer });
    return new Map((res.body.data as Json[]).map((m) => [m.name, m]));
  };
  const price = (model: Json, slot: string): string | undefined =>
    (model.pricing as Json[]).find((p) => `${p.direction}/${p.modality}/${p.unit}/${p.tier}` === slot)?.price as
      string | undefined;

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    catalog = await new CatalogServer().start();
    api = await startApi();
    permissive = await startApi({ CATALOG_ALLOW_PRIVATE_URLS: 'true' });
    tokens = await loginEveryRole(api);
    db = api.get(DataSource);
  });
  afterAll(async () => {
    await permissive.close();
    await api.close();
    await catalog.stop();
    await upstream.stop();
  });
  beforeEach(async () => {
    await db.query('TRUNCATE pricing_components, model_aliases, models CASCADE');
    catalog.hits = [];
    upstream.reset();
  });

  it('imports the sample from {catalog} as price-only models with the mapped prices, which are not routable', async () => {
    const res = await importAs(tokens.editor, { catalog: SAMPLE });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      created: NAMES.length,
      updated: 0,
      skipped: 0,
      skipped_by_reason: {},
      unknown_price_keys: [],
      provider_id: null,
    });
    const rows: { n: string; with_provider: string }[] = await db.query(
      'SELECT count(*) AS n, count(provider_id) AS with_provider FROM models',
    );
    expect(rows[0]).toEqual({ n: String(NAMES.length), with_provider: '0' });

    const models = await modelsByName();
    const mini = models.get('gpt-4o-mini');
    expect(mini).toMatchObject({ provider_id: null, context_window: 128000, max_output_tokens: 16384 });
    expect(price(mini, 'input/text/token/default')).toBe('0.00000015');
    expect(price(mini, 'output/text/token/default')).toBe('0.0000006');
    expect(price(mini, 'cache_read/text/token/default')).toBe('0.000000075');
    expect(price(mini, 'input/text/token/batch')).toBe('0.000000075');
    expect(price(mini, 'output/text/token/priority')).toBe('0.000001');
    const sonnet = models.get('claude-sonnet-4-5');
    expect(price(sonnet, 'cache_write/text/token/default')).toBe('0.00000375');
    expect(price(sonnet, 'input/text/token/above_200k')).toBe('0.000006');
    expect(sonnet.metadata.litellm).toMatchObject({
      litellm_provider: 'anthropic',
      cache_creation_input_token_cost_above_1hr: 0.000006,
    });
    // every catalog price of a mapped key is stored exactly
    for (const [slot, key] of [
      ['input/text/token/default', 'input_cost_per_token'],
      ['output/text/token/default', 'output_cost_per_token'],
    ] as const) {
      for (const name of NAMES.filter((n) => typeof SAMPLE[n][key] === 'number')) {
        expect({ name, price: price(models.get(name), slot) }).toEqual({
          name,
          price: new Decimal(String(SAMPLE[name][key])).toFixed(),
        });
      }
    }

    const key = await createKey(api);
    const refused = await chat(api, key.key, 'gpt-4o-mini');
    expect(refused.status).toBe(404);
    expect(upstream.requests).toHaveLength(0);
  });

  it('takes the raw catalog as the body, skips sample_spec, and refuses viewers', async () => {
    const body = {
      sample_spec: { input_cost_per_token: 0, litellm_provider: 'one of https://docs.litellm.ai/docs/providers' },
      'gpt-4o': SAMPLE['gpt-4o'],
    };
    expect((await importAs(tokens.viewer, body)).status).toBe(403);
    const res = await importAs(tokens.editor, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 1, updated: 0, skipped: 1, skipped_by_reason: { sample_spec: 1 } });
    expect([...(await modelsByName()).keys()]).toEqual(['gpt-4o']);
  });

  it('imports only the provider type’s entries, attaches them, and re-import changes the price the proxy charges at once', async () => {
    const provider = await createProvider(api, { baseUrl: upstream.url, type: 'openai' });
    const first = await importAs(tokens.editor, { catalog: SAMPLE, provider_id: provider.id });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      created: OPENAI_NAMES.length,
      updated: 0,
      skipped: NAMES.length - OPENAI_NAMES.length,
      skipped_by_reason: { provider_mismatch: NAMES.length - OPENAI_NAMES.length },
      provider_id: provider.id,
    });
    const models = await modelsByName();
    expect([...models.keys()].sort()).toEqual([...OPENAI_NAMES].sort());
    expect([...models.values()].every((m) => m.provider_id === provider.id)).toBe(true);

    const key = await createKey(api);
    upstream.reset({ usage: { prompt_tokens: 12, completion_tokens: 5 } });
    const before = await chat(api, key.key, 'gpt-4o-mini');
    expect(before.status).toBe(200);
    // 12 × 0.00000015 + 5 × 0.0000006
    expect(before.headers.get('x-gateway-cost-usd')).toBe('0.0000048');

    const changed = structuredClone(SAMPLE);
    changed['gpt-4o-mini'].input_cost_per_token = 0.000001;
    const again = await importAs(tokens.editor, changed, `?provider_id=${provider.id}`);
    expect(again.body).toMatchObject({ created: 0, updated: OPENAI_NAMES.length });
    const after = await modelsByName();
    expect(after.get('gpt-4o-mini').id).toBe(models.get('gpt-4o-mini').id);
    expect(price(after.get('gpt-4o-mini'), 'input/text/token/default')).toBe('0.000001');
    const count: { n: string }[] = await db.query('SELECT count(*) AS n FROM models');
    expect(Number(count[0].n)).toBe(OPENAI_NAMES.length);
    // 12 × 0.000001 + 5 × 0.0000006: the cached price was dropped
    expect((await chat(api, key.key, 'gpt-4o-mini')).headers.get('x-gateway-cost-usd')).toBe('0.000015');

    const other = await createProvider(api, { baseUrl: upstream.url, type: 'openai' });
    const clash = await importAs(tokens.editor, { catalog: SAMPLE, provider_id: other.id });
    expect(clash.body).toMatchObject({
      created: 0,
      updated: 0,
      skipped_by_reason: { other_provider: OPENAI_NAMES.length },
    });
  });

  it('attaches price-only models to a provider on a later import with it', async () => {
    await importAs(tokens.editor, { catalog: { 'claude-sonnet-4-5': SAMPLE['claude-sonnet-4-5'] } });
    const anthropic = await createProvider(api, { baseUrl: upstream.url, type: 'anthropic' });
    const res = await importAs(tokens.editor, { catalog: SAMPLE, provider_id: anthropic.id });
    const anthropicCount = NAMES.filter((n) => SAMPLE[n].litellm_provider === 'anthropic').length;
    expect(res.body).toMatchObject({ created: anthropicCount - 1, updated: 1 });
    expect((await modelsByName()).get('claude-sonnet-4-5').provider_id).toBe(anthropic.id);
  });

  it('imports from a URL (following a redirect) when CATALOG_ALLOW_PRIVATE_URLS=true', async () => {
    const res = await importAs(tokens.editor, { url: `http://127.0.0.1:${catalog.port}/moved` }, '', permissive);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: NAMES.length, skipped: 0 });
    expect(catalog.hits).toEqual(['/moved', '/catalog.json']);
  });

  it.each([
    ['a loopback address', (port: number) => `http://127.0.0.1:${port}/catalog.json`],
    ['a name resolving to loopback', (port: number) => `http://localhost:${port}/catalog.json`],
    ['an IPv4-mapped IPv6 loopback', (port: number) => `http://[::ffff:127.0.0.1]:${port}/catalog.json`],
  ])('refuses %s without connecting when private URLs are not allowed', async (_what, url) => {
    const res = await importAs(tokens.editor, { url: url(catalog.port) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(String(res.body.message)).toMatch(/private address/);
    expect(catalog.hits).toEqual([]);
    expect((await modelsByName()).size).toBe(0);
  });

  it.each([
    [{ url: 'file:///etc/passwd' }, /http or https/],
    [{ url: 'ftp://example.com/catalog.json' }, /http or https/],
    [{ url: 'not a url' }, /absolute/],
    [{}, /catalog is empty/],
    [{ catalog: { 'gpt-4o': {} }, url: 'https://example.com/x.json' }, /exactly one/],
    [{ catalog: 'x' }, /catalog must be an object/],
    [{ url: 'https://example.com/x.json', extra: 1 }, /property extra should not exist/],
    [{ catalog: {}, provider_id: 'nope' }, /provider_id must be a UUID/],
    [{ catalog: {}, provider_id: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c' }, /provider_id .* does not exist/],
  ])('answers 400 in the admin shape for %j', async (body, message) => {
    const res = await importAs(tokens.editor, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(JSON.stringify(res.body.message)).toMatch(message);
  });

  it('answers 502 for a catalog of 20 MB or more and for a URL that does not answer JSON', async () => {
    const huge = await importAs(tokens.editor, { url: `http://127.0.0.1:${catalog.port}/huge` }, '', permissive);
    expect(huge.status).toBe(502);
    expect(huge.body.message).toMatch(/20 MB/);
    const html = await importAs(tokens.editor, { url: `http://127.0.0.1:${catalog.port}/page` }, '', permissive);
    expect(html.status).toBe(502);
    expect(html.body.message).toMatch(/JSON/);
    expect((await modelsByName()).size).toBe(0);
  });
});
