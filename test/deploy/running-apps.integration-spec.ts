import { ModelManagementService } from '#src/modules/models/model-management.service';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import OpenAI from 'openai';
import {
  groupingLabels,
  loadDashboard,
  matchers,
  metricNames,
  parseMetrics,
  queries,
  type Sample,
  TARGET_LABELS,
} from '#test/deploy/dashboard';
import { alertQueries } from '#test/deploy/alerts';
import { API, loadManifests, mainContainer, named, WORKER } from '#test/deploy/manifests';
import { createGateway, createKey, createModel } from '#test/factories/gateway-fixtures';
import { startApi, startWorker, type TestApp } from '#test/utils/app';
import { EventCapture } from '#test/utils/events';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

/** Exported by the worker role only (SPEC §9): looked for in the worker's /metrics. */
const WORKER_ONLY = ['llmgw_queue_jobs', 'llmgw_log_buffer_records'];

const scrape = async (app: TestApp): Promise<Sample[]> => {
  const res = await fetch(`${app.url}/metrics`);
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
};

/**
 * The dashboard and the manifests name metrics, labels and paths; this proves they exist on the apps the
 * Deployments run, after real traffic: a provider on FakeOpenAi, a model, keys, calls through the openai SDK
 * (one streamed, one failing upstream, one rate-limited, one over budget).
 */
describe('the dashboard and the manifests against running apps', () => {
  let api: TestApp;
  let worker: TestApp;
  let upstream: FakeOpenAi;
  let apiSamples: Sample[];
  let workerSamples: Sample[];

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    // as deployed: processors in the worker, not in the API
    // one failure cools a routing target, so the routed call below counts a cooldown too
    api = await startApi({ RUN_PROCESSORS: 'false', ROUTING_COOLDOWN_FAILURES: '1' });
    worker = await startWorker();
    const events = new EventCapture(api);
    const gw = await createGateway(api, upstream.url);
    const client = new OpenAI({ apiKey: gw.key, baseURL: `${api.url}/v1`, maxRetries: 0 });

    await client.chat.completions.create({ model: gw.model, messages: [{ role: 'user', content: 'hi' }] });
    const stream = await client.chat.completions.create({
      model: gw.model,
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
    });
    for await (const _chunk of stream);
    upstream.reset({ error: { status: 500, body: { error: { message: 'boom', type: 'server_error' } } } });
    await expect(
      client.chat.completions.create({ model: gw.model, messages: [{ role: 'user', content: 'fail' }] }),
    ).rejects.toMatchObject({ status: 502 });
    upstream.reset();

    const limited = new OpenAI({
      apiKey: (await createKey(api, { rateLimit: 1 })).key,
      baseURL: `${api.url}/v1`,
      maxRetries: 0,
    });
    await limited.chat.completions.create({ model: gw.model, messages: [{ role: 'user', content: 'one' }] });
    await expect(
      limited.chat.completions.create({ model: gw.model, messages: [{ role: 'user', content: 'two' }] }),
    ).rejects.toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    const broke = new OpenAI({
      apiKey: (await createKey(api, { monthlyBudget: 0 })).key,
      baseURL: `${api.url}/v1`,
      maxRetries: 0,
    });
    await expect(
      broke.chat.completions.create({ model: gw.model, messages: [{ role: 'user', content: 'no budget' }] }),
    ).rejects.toMatchObject({ status: 429, code: 'budget_exceeded' });

    // a routed alias: the first target fails (500, then cools down), the fallback answers
    await createModel(api, { providerId: gw.providerId, name: 'fallback-model' });
    await api.get(ModelManagementService).createAlias({
      name: 'routed',
      modelId: null,
      routing: {
        strategy: 'weighted',
        targets: [
          { model: gw.model, weight: 1, priority: 0 },
          { model: 'fallback-model', weight: 1, priority: 1 },
        ],
        retries: 0,
        retryOn: ['5xx'],
      },
    });
    upstream.reset({
      error: { status: 500, body: { error: { message: 'boom', type: 'server_error' } } },
      errorEvery: 2,
    });
    await client.chat.completions.create({ model: 'routed', messages: [{ role: 'user', content: 'route me' }] });
    upstream.reset();

    // a cached alias: a miss, then the same call again until it is a hit (the store is off the response path)
    await api.get(ModelManagementService).createAlias({
      name: 'cached',
      modelId: gw.modelId,
      cache: { ttl: '1h', scope: 'key' },
    });
    const cached = () =>
      client.chat.completions
        .create({ model: 'cached', messages: [{ role: 'user', content: 'again' }] })
        .withResponse();
    let calls = 0;
    const hit = await waitFor(async () => {
      calls++;
      return (await cached()).response.headers.get('x-gateway-cache') === 'hit' ? true : undefined;
    });
    expect(hit).toBe(true);

    // metrics are recorded from the call events, published after each response
    await events.count(7 + calls);
    apiSamples = await scrape(api);
    workerSamples = await scrape(worker);
  });

  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await upstream?.stop();
  });

  /** The PromQL of the dashboard and of the alert rules (deploy/prometheus). */
  const allQueries = (): { where: string; expr: string }[] => [...queries(loadDashboard()), ...alertQueries()];

  it('serves every metric the dashboard and the alerts query: from the API after traffic, the worker gauges from the worker', () => {
    const missing = allQueries().flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => {
          const samples = WORKER_ONLY.some((w) => name.startsWith(w)) ? workerSamples : apiSamples;
          return !samples.some((s) => s.name === name);
        })
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('carries on those metrics every label the dashboard and the alerts group or filter by, with the values they match exactly', () => {
    const problems: string[] = [];
    for (const { where, expr } of allQueries()) {
      for (const name of metricNames(expr)) {
        const samples = [...apiSamples, ...workerSamples].filter((s) => s.name === name);
        if (samples.length === 0) continue; // reported by the test above
        const has = (label: string): boolean => samples.some((s) => label in s.labels);
        for (const label of groupingLabels(expr).filter((l) => !TARGET_LABELS.includes(l))) {
          if (!has(label)) problems.push(`${where}: ${name} has no label "${label}"`);
        }
        for (const m of matchers(expr).filter((x) => x.metric === name)) {
          if (!has(m.label)) problems.push(`${where}: ${name} has no label "${m.label}"`);
          else if (m.op === '=' && !samples.some((s) => s.labels[m.label] === m.value))
            problems.push(`${where}: no ${name} sample with ${m.label}="${m.value}"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('labels the call metrics with the resolved model, provider and status of the calls made', () => {
    const requests = apiSamples.filter((s) => s.name === 'llmgw_requests_total');
    const statuses = new Set(requests.map((s) => s.labels.status));
    expect([...statuses].sort()).toEqual(expect.arrayContaining(['200', '429', '502']));
    // the model that answered (the routed call's fallback), never the alias
    expect(
      requests.every(
        (s) => ['gpt-4o-mini', 'fallback-model'].includes(s.labels.model) && s.labels.provider !== undefined,
      ),
    ).toBe(true);
    expect(requests.some((s) => s.labels.model === 'fallback-model')).toBe(true);
  });

  it('answers the probe and scrape paths of each Deployment on the process that Deployment runs', async () => {
    const manifests = loadManifests();
    const cases = [
      { deployment: named<IDeployment>(manifests, 'Deployment', API), app: api, entry: 'dist/src/main.js' },
      { deployment: named<IDeployment>(manifests, 'Deployment', WORKER), app: worker, entry: 'dist/src/worker.js' },
    ];
    for (const { deployment, app, entry } of cases) {
      const container = mainContainer(deployment);
      expect(container.command).toContain(entry);
      const paths = [container.startupProbe, container.livenessProbe, container.readinessProbe]
        .map((p) => p?.httpGet?.path)
        .filter((p): p is string => p !== undefined);
      for (const path of paths) {
        const res = await fetch(`${app.url}${path}`);
        expect({ entry, path, status: res.status }).toEqual({ entry, path, status: 200 });
      }
      const scrapePath = deployment.spec!.template.metadata!.annotations!['prometheus.io/path'];
      const res = await fetch(`${app.url}${scrapePath}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
    }
    // the worker is not the API: no proxy routes on its port
    expect((await fetch(`${worker.url}/v1/models`)).status).toBe(404);
  });
});
