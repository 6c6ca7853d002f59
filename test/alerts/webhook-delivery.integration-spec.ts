import { DataSource } from 'typeorm';
import { newId } from '#src/core/database/ids';
import { QueueName } from '#src/core/queue/queue.constants';
import type { AlertEvent } from '#src/modules/alerts/alert-event';
import { AlertPublisher } from '#src/modules/alerts/alert-publisher.service';
import { KeyExpiryService } from '#src/modules/alerts/key-expiry.service';
import type { WebhookFormat } from '#src/modules/alerts/webhook.entity';
import { WebhookManagementService } from '#src/modules/alerts/webhook-management.service';
import type { AlertType } from '#src/modules/alerts/alert-event';
import { RoutingState } from '#src/modules/proxy/routing-state';
import { adminRequest, createAdminUser, login } from '#test/factories/admin-fixtures';
import { createKey } from '#test/factories/gateway-fixtures';
import { startApi, startWorker, type TestApp } from '#test/utils/app';
import { waitFor } from '#test/utils/processes';
import { drainQueue, queueOf } from '#test/utils/queues';
import { resetState } from '#test/utils/reset';
import { signatureValid, WebhookReceiver } from '#test/alerts/webhook-receiver';

const SECRET_A = 'canary-hook-secret-a-51c0e9d7f2';
const SECRET_B = 'canary-hook-secret-b-0a6b3e88c4';
const DAY = 86_400_000;
/** Processors in the API process, receivers on loopback, retries 100 ms apart, no scheduled scan in the queue. */
const ENV = { CATALOG_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_BASE_DELAY: '100ms', KEY_EXPIRY_SCAN_INTERVAL: '0' };

interface DeliveryRow {
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
}

/** A POSTed event as the receiver parses it. */
interface SentEvent {
  id: string;
  type: string;
  created_at: string;
  data: { subject?: { id: string }; until: string };
}
const sent = (body: string): SentEvent => JSON.parse(body) as SentEvent;

let seq = 0;
function budgetEvent(type: 'budget.threshold' | 'budget.exceeded' = 'budget.threshold'): AlertEvent {
  const keyId = newId();
  return {
    id: `${type}:key:${keyId}:0.8:month:2026-12:${++seq}`,
    type,
    created_at: new Date().toISOString(),
    data: {
      subject: { type: 'key', id: keyId, name: 'ci' },
      threshold: type === 'budget.exceeded' ? 1 : 0.8,
      budget_usd: '10',
      spent_usd: '8.004',
      period: { kind: 'month', start: '2026-12-01T00:00:00.000Z' },
    },
  };
}

describe('alert webhooks: delivery (SPEC §13)', () => {
  let api: TestApp;
  let receiver: WebhookReceiver;

  const webhook = async (
    path: string,
    events: AlertType[],
    opts: { secret?: string | null; format?: WebhookFormat; enabled?: boolean } = {},
  ): Promise<string> =>
    (
      await api.get(WebhookManagementService).create({
        url: `${receiver.url}${path}`,
        secret: opts.secret === undefined ? SECRET_A : opts.secret,
        events,
        format: opts.format ?? 'json',
        enabled: opts.enabled ?? true,
      })
    ).id;

  /** Every alerts job done (retries included), twice over a short pause so a late duplicate would show. */
  const settle = async (app: TestApp = api): Promise<void> => {
    await drainQueue(app, QueueName.Alerts);
    await new Promise((r) => setTimeout(r, 300));
    await drainQueue(app, QueueName.Alerts);
  };

  const deliveryRows = async (webhookId: string): Promise<DeliveryRow[]> =>
    api
      .get(DataSource)
      .query<DeliveryRow[]>('SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at', [webhookId]);

  beforeAll(async () => {
    await resetState();
    receiver = await new WebhookReceiver().start();
    api = await startApi(ENV);
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.stop();
  });

  it('delivers one signed POST of {id, type, created_at, data} to each enabled webhook subscribed to the event', async () => {
    await webhook('/a', ['budget.threshold']);
    await webhook('/b', ['budget.threshold', 'budget.exceeded'], { secret: SECRET_B });
    await webhook('/c', ['key.expiring']);
    await webhook('/d', ['budget.threshold'], { enabled: false });
    const event = budgetEvent();

    await api.get(AlertPublisher).publish(event);
    await settle();

    expect(['/a', '/b', '/c', '/d'].map((p) => receiver.at(p).length)).toEqual([1, 1, 0, 0]);
    const [a] = receiver.at('/a');
    const [b] = receiver.at('/b');
    expect(JSON.parse(a.body)).toEqual(event);
    expect(Object.keys(JSON.parse(a.body))).toEqual(['id', 'type', 'created_at', 'data']);
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['x-gateway-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(signatureValid(a.headers['x-gateway-signature'], a.body, SECRET_A)).toBe(true);
    expect(signatureValid(a.headers['x-gateway-signature'], a.body, SECRET_B)).toBe(false);
    expect(signatureValid(a.headers['x-gateway-signature'], a.body.replace('8.004', '0.004'), SECRET_A)).toBe(false);
    expect(signatureValid(b.headers['x-gateway-signature'], b.body, SECRET_B)).toBe(true);
    expect(signatureValid(b.headers['x-gateway-signature'], b.body, SECRET_A)).toBe(false);
  });

  it('sends an event once per webhook however often, and from however many publishers, it is published', async () => {
    const one = await webhook('/once-1', ['budget.exceeded']);
    const two = await webhook('/once-2', ['budget.exceeded'], { secret: null });
    const worker = await startWorker(ENV);
    try {
      const event = budgetEvent('budget.exceeded');
      const publishers = [api.get(AlertPublisher), worker.get(AlertPublisher)];
      await Promise.all(Array.from({ length: 50 }, (_, i) => publishers[i % 2].publish(event)));
      await settle();
      await api.get(AlertPublisher).publish(event);
      await worker.get(AlertPublisher).publish(event);
      await settle();
      // past the fan-out job's lifetime its job id no longer dedupes: the (webhook, event) rows still do
      await queueOf(api, QueueName.Alerts).clean(0, 10_000, 'completed');
      await Promise.all(publishers.map((p) => p.publish(event)));
      await settle();
      await settle(worker);
    } finally {
      await worker.close();
    }
    expect(receiver.at('/once-1')).toHaveLength(1);
    expect(receiver.at('/once-2')).toHaveLength(1);
    expect(receiver.at('/once-2')[0].headers['x-gateway-signature']).toBeUndefined();
    expect(await deliveryRows(one)).toHaveLength(1);
    expect(await deliveryRows(two)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
  });

  it('retries a receiver that answers 500: the fourth POST delivers and the row shows 4 attempts', async () => {
    const id = await webhook('/flaky', ['budget.threshold']);
    receiver.failFirst('/flaky', 3);
    await api.get(AlertPublisher).publish(budgetEvent());
    const row = await waitFor(async () => {
      const [d] = await deliveryRows(id);
      return d?.status === 'delivered' ? d : undefined;
    });
    expect(receiver.at('/flaky')).toHaveLength(4);
    expect(row).toMatchObject({ status: 'delivered', attempts: 4, last_status_code: 200, last_error: null });
    expect(row.delivered_at).toBeInstanceOf(Date);
    const bodies = new Set(receiver.at('/flaky').map((r) => r.body));
    expect(bodies.size).toBe(1);
  });

  it('lists deliveries newest first, paginated, and resends one on demand', async () => {
    const admin = await createAdminUser(api, {
      email: 'hooks@example.com',
      password: 'canary-hooks-pw-7c1d',
      roles: ['admin'],
    });
    const token = await login(api, admin.email, admin.password);
    const id = await webhook('/listed', ['budget.threshold']);
    receiver.failFirst('/listed', 1);
    const first = budgetEvent();
    const second = budgetEvent();
    await api.get(AlertPublisher).publish(first);
    await settle();
    await api.get(AlertPublisher).publish(second);
    await settle();

    const page1 = await adminRequest(api, 'GET', `/admin/webhooks/${id}/deliveries?limit=1`, { token });
    expect(page1.status).toBe(200);
    expect(page1.body.total).toBe(2);
    expect(page1.body.data).toEqual([
      expect.objectContaining({ webhook_id: id, event_id: second.id, event_type: 'budget.threshold', payload: second }),
    ]);
    const page2 = await adminRequest(api, 'GET', `/admin/webhooks/${id}/deliveries?limit=1&offset=1`, { token });
    const older = page2.body.data[0];
    expect(older).toMatchObject({
      event_id: first.id,
      status: 'delivered',
      attempts: 2,
      last_status_code: 200,
      last_error: null,
    });

    const resent = await adminRequest(api, 'POST', `/admin/webhooks/${id}/deliveries/${older.id}/resend`, { token });
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ id: older.id, status: 'pending', delivered_at: null });
    await settle();
    expect(receiver.at('/listed').filter((r) => JSON.parse(r.body).id === first.id)).toHaveLength(3);
    const after = await adminRequest(api, 'GET', `/admin/webhooks/${id}/deliveries?limit=1&offset=1`, { token });
    expect(after.body.data[0]).toMatchObject({ id: older.id, status: 'delivered', attempts: 3 });

    const missing = await adminRequest(api, 'POST', `/admin/webhooks/${id}/deliveries/${newId()}/resend`, { token });
    expect(missing.status).toBe(404);
    const otherHook = await webhook('/other', ['key.expiring']);
    const wrongHook = await adminRequest(api, 'POST', `/admin/webhooks/${otherHook}/deliveries/${older.id}/resend`, {
      token,
    });
    expect(wrongHook.status).toBe(404);
    const audit = await adminRequest(api, 'GET', '/admin/audit?resource=webhook', { token });
    expect(audit.body.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'resend', resource_id: id })]),
    );
  });

  it('posts a Slack message for format slack, still signed', async () => {
    await webhook('/slack', ['budget.threshold'], { format: 'slack' });
    await api.get(AlertPublisher).publish(budgetEvent());
    await settle();
    const [slack] = receiver.at('/slack');
    expect(JSON.parse(slack.body)).toEqual({
      text: "Budget 80% reached: key 'ci' spent $8.00 of $10.00 (month from 2026-12-01)",
    });
    expect(signatureValid(slack.headers['x-gateway-signature'], slack.body, SECRET_A)).toBe(true);
  });

  it('key.expiring: a key expiring in 2 days gets the 7-day event once, however often the scan runs', async () => {
    await webhook('/expiring', ['key.expiring']);
    const now = Date.now();
    const inTwoDays = new Date(now + 2 * DAY);
    const soon = await createKey(api, { name: 'two-days', expiresAt: inTwoDays });
    const tomorrow = await createKey(api, { name: 'half-day', expiresAt: new Date(now + DAY / 2) });
    await createKey(api, { name: 'later', expiresAt: new Date(now + 10 * DAY) });
    await createKey(api, { name: 'disabled', expiresAt: inTwoDays, enabled: false });
    await createKey(api, { name: 'expired', expiresAt: new Date(now - DAY) });

    await api.get(KeyExpiryService).scan();
    await api.get(KeyExpiryService).scan();
    await settle();
    await api.get(KeyExpiryService).scan();
    await settle();

    const events = receiver.at('/expiring').map((r) => sent(r.body));
    expect(events.map((e) => e.id).sort()).toEqual(
      [`key.expiring:${soon.id}:7d:${inTwoDays.getTime()}`, `key.expiring:${tomorrow.id}:1d:${now + DAY / 2}`].sort(),
    );
    expect(events.find((e) => e.data.subject?.id === soon.id)).toMatchObject({
      type: 'key.expiring',
      data: { subject: { type: 'key', id: soon.id, name: 'two-days' }, expires_at: inTwoDays.toISOString() },
    });
  });

  it('routing.cooldown: a target entering cooldown sends {model, provider_id, until}', async () => {
    await webhook('/cooldown', ['routing.cooldown']);
    const model = { id: newId(), name: 'gpt-cooling', providerId: newId() };
    await api.get(RoutingState).failed(model, 30);
    await settle();
    const [received] = receiver.at('/cooldown');
    const event = sent(received.body);
    const until = Date.parse(event.data.until);
    expect(event).toEqual({
      id: `routing.cooldown:${model.id}:${until}`,
      type: 'routing.cooldown',
      created_at: expect.any(String),
      data: { model: 'gpt-cooling', provider_id: model.providerId, until: event.data.until },
    });
    expect(until - Date.now()).toBeGreaterThan(25_000);
  });
});
