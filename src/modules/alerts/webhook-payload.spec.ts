import type { AlertEvent } from '#src/modules/alerts/alert-event';
import { slackText, webhookBody } from '#src/modules/alerts/webhook-payload';

const budget = (type: 'budget.threshold' | 'budget.exceeded', threshold: number, name = 'ci'): AlertEvent => ({
  id: `${type}:x`,
  type,
  created_at: '2026-12-20T10:00:00.000Z',
  data: {
    subject: { type: 'key', id: 'k1', name },
    threshold,
    budget_usd: '10',
    spent_usd: 8,
    period: { kind: 'month', start: '2026-12-01T00:00:00.000Z' },
  },
});

describe('webhook payloads', () => {
  it.each<[AlertEvent, string]>([
    [budget('budget.threshold', 0.8), "Budget 80% reached: key 'ci' spent $8.00 of $10.00 (month from 2026-12-01)"],
    [budget('budget.exceeded', 1), "Budget exceeded: key 'ci' spent $8.00 of $10.00 (month from 2026-12-01)"],
    [
      budget('budget.threshold', 0.5, '<!channel> & co'),
      "Budget 50% reached: key '&lt;!channel&gt; &amp; co' spent $8.00 of $10.00 (month from 2026-12-01)",
    ],
    [
      {
        id: 'k',
        type: 'key.expiring',
        created_at: '2026-12-01T00:00:00.000Z',
        data: { subject: { type: 'key', id: 'k1', name: 'ci' }, expires_at: '2026-12-08T00:00:00.000Z' },
      },
      "API key 'ci' expires at 2026-12-08T00:00:00.000Z",
    ],
    [
      {
        id: 'r',
        type: 'routing.cooldown',
        created_at: '2026-12-01T00:00:00.000Z',
        data: { model: 'gpt-4o', provider_id: 'p1', until: '2026-12-01T00:00:30.000Z' },
      },
      "Routing: model 'gpt-4o' (provider p1) is cooling down until 2026-12-01T00:00:30.000Z",
    ],
  ])('summarises %j for Slack', (event, text) => {
    expect(slackText(event)).toBe(text);
    expect(JSON.parse(webhookBody(event, 'slack'))).toEqual({ text });
  });

  it('sends exactly {id, type, created_at, data} as json', () => {
    const event = budget('budget.threshold', 0.8);
    expect(JSON.parse(webhookBody(Object.assign({ extra: 1 }, event), 'json'))).toEqual(event);
  });
});
