import type { AlertEvent } from '#src/modules/alerts/alert-event';
import type { WebhookFormat } from '#src/modules/alerts/webhook.entity';

/** The POST body: the event itself (`json`) or a Slack incoming-webhook message (`slack`). */
export function webhookBody(event: AlertEvent, format: WebhookFormat): string {
  const { id, type, created_at, data } = event;
  return JSON.stringify(format === 'slack' ? { text: slackText(event) } : { id, type, created_at, data });
}

/** One line a person reads in a Slack channel. */
export function slackText(event: AlertEvent): string {
  switch (event.type) {
    case 'budget.threshold':
    case 'budget.exceeded': {
      const { subject, threshold, budget_usd, spent_usd, period } = event.data;
      const what = event.type === 'budget.exceeded' ? 'Budget exceeded' : `Budget ${percent(threshold)} reached`;
      return (
        `${what}: ${subject.type} '${escape(subject.name)}' spent ${usd(spent_usd)} of ${usd(budget_usd)} ` +
        `(${period.kind} from ${period.start.slice(0, 10)})`
      );
    }
    case 'key.expiring':
      return `API key '${escape(event.data.subject.name)}' expires at ${event.data.expires_at}`;
    case 'routing.cooldown':
      return (
        `Routing: model '${escape(event.data.model)}' (provider ${event.data.provider_id}) is cooling down ` +
        `until ${event.data.until}`
      );
  }
}

const percent = (fraction: number): string => `${Number((fraction * 100).toFixed(1))}%`;

function usd(amount: string | number): string {
  const n = Number(amount);
  return Number.isFinite(n) ? `$${n.toFixed(2)}` : `$${String(amount)}`;
}

/** Slack's mrkdwn control characters, so a name cannot turn into a link or a mention. */
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
