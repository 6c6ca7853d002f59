import { QueueName } from '#src/core/queue/queue.constants';
import { periodId } from '#src/modules/billing/budget-period';
import { WebhookManagementService } from '#src/modules/alerts/webhook-management.service';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { freePort, spawnBuilt, type Spawned, waitFor } from '#test/utils/processes';
import { drainQueue } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';
import { baseTestEnv } from '#test/utils/test-env';
import { BudgetUpstream } from '#test/limits/budget-upstream';
import { type BudgetModel, MESSAGES, createBudgetModel } from '#test/limits/budget-helpers';
import { signatureValid, WebhookReceiver } from '#test/alerts/webhook-receiver';

// The second gateway runs the built code (dist/): refresh it with `npm run build` after changes.

const SECRET = 'canary-budget-hook-secret-3f9a1c';
const ENV = { CATALOG_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_BASE_DELAY: '100ms', KEY_EXPIRY_SCAN_INTERVAL: '0' };

interface BudgetEvent {
  id: string;
  type: string;
  data: {
    subject: { type: string; id: string; name: string };
    threshold: number;
    budget_usd: string;
    spent_usd: string;
    period: { kind: string; start: string };
  };
}

describe('budget alerts end to end (SPEC §13): thresholds to signed webhooks, once across processes', () => {
  let api: TestApp;
  let upstream: BudgetUpstream;
  let receiver: WebhookReceiver;
  let m: BudgetModel;
  let other: { proc: Spawned; url: string };

  beforeAll(async () => {
    await resetState();
    upstream = await new BudgetUpstream().start();
    receiver = await new WebhookReceiver().start();
    api = await startApi(ENV);
    m = await createBudgetModel(api, upstream.url, 'alert-model');
    const port = await freePort();
    other = {
      proc: spawnBuilt('main', [], { ...baseTestEnv(), ...ENV, GATEWAY_HTTP_PORT: String(port) }),
      url: `http://127.0.0.1:${port}`,
    };
    await waitFor(async () => ((await fetch(`${other.url}/health/ready`)).status === 200 ? true : undefined), 30_000);
  });
  afterAll(async () => {
    other.proc.child.kill('SIGTERM');
    await other.proc.exited;
    await api.close();
    await receiver.stop();
    await upstream.stop();
  });

  it('done when: crossing 0.8 then 1.0 sends exactly two signed events, with 60 concurrent calls over two processes', async () => {
    await api.get(WebhookManagementService).create({
      url: `${receiver.url}/budget`,
      secret: SECRET,
      events: ['budget.threshold', 'budget.exceeded'],
      format: 'json',
      enabled: true,
    });
    const key = await createKey(api, { name: 'ci', budget: '1', budgetPeriod: 'week' });
    const chat = (url: string): Promise<number> =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: m.model, messages: MESSAGES, max_tokens: 200 }),
      }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => chat(i % 2 === 0 ? api.url : other.url)));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    // a few more calls after both thresholds, from both processes: nothing more is sent
    await Promise.all([chat(api.url), chat(other.url)]);

    await waitFor(async () => (receiver.at('/budget').length >= 2 ? true : undefined), 15_000);
    await drainQueue(api, QueueName.Alerts);
    await new Promise((r) => setTimeout(r, 500));
    await drainQueue(api, QueueName.Alerts);
    const posts = receiver.at('/budget');
    expect(posts).toHaveLength(2);
    for (const p of posts) {
      expect(signatureValid(p.headers['x-gateway-signature'], p.body, SECRET)).toBe(true);
      expect(signatureValid(p.headers['x-gateway-signature'], p.body, 'another-secret')).toBe(false);
    }
    const events = posts
      .map((p) => JSON.parse(p.body) as BudgetEvent)
      .sort((a, b) => a.data.threshold - b.data.threshold);
    expect(events.map((e) => [e.type, e.data.threshold])).toEqual([
      ['budget.threshold', 0.8],
      ['budget.exceeded', 1],
    ]);
    const week = periodId('week', new Date());
    for (const e of events) {
      expect(e.data).toMatchObject({
        subject: { type: 'key', id: key.id, name: 'ci' },
        budget_usd: '1',
        period: { kind: 'week', start: week.slice(5) },
      });
      expect(e.id).toBe(`${e.type}:key:${key.id}:${e.data.threshold}:${week}`);
    }
    expect(Number(events[0].data.spent_usd)).toBeGreaterThanOrEqual(0.8);
    expect(Number(events[0].data.spent_usd)).toBeLessThanOrEqual(1);
  });
});
