import type { AlertType, Webhook, WebhookCreate, WebhookFormat, WebhookUpdate } from '../api/types';
import type { FormErrors } from './api-key-form';

export const ALERT_EVENTS: { value: AlertType; label: string }[] = [
  { value: 'budget.threshold', label: 'budget.threshold: spend crossed an alert threshold below 100 %' },
  { value: 'budget.exceeded', label: 'budget.exceeded: the budget is used up' },
  { value: 'key.expiring', label: 'key.expiring: a key expires in 7 days, then in 1 day' },
  { value: 'routing.cooldown', label: 'routing.cooldown: a routing target went into cooldown' },
];
export const WEBHOOK_FORMATS: { value: WebhookFormat; label: string }[] = [
  { value: 'json', label: 'JSON event ({id, type, created_at, data})' },
  { value: 'slack', label: 'Slack incoming-webhook message ({text})' },
];

/** What to do with the stored signing secret: it is write-only, so an edit keeps, replaces or removes it. */
export type SecretMode = 'keep' | 'replace' | 'remove';

/** The webhook form as the inputs hold it. */
export interface WebhookForm {
  url: string;
  secretMode: SecretMode;
  secret: string;
  events: AlertType[];
  format: WebhookFormat;
  enabled: boolean;
}

export const emptyWebhookForm = (): WebhookForm => ({
  url: '',
  secretMode: 'replace',
  secret: '',
  events: ['budget.threshold', 'budget.exceeded'],
  format: 'json',
  enabled: true,
});

export const webhookFormFrom = (w: Webhook): WebhookForm => ({
  url: w.url,
  secretMode: 'keep',
  secret: '',
  events: [...w.events],
  format: w.format,
  enabled: w.enabled,
});

/** A PATCH body that is also a create body when `secret` is not null (a new webhook never sends null). */
export type WebhookBody = WebhookUpdate & Pick<WebhookCreate, 'url' | 'events'>;

/**
 * The create body (isNew) or the PATCH body, or the problems per field. A new webhook's empty secret means unsigned
 * deliveries; on an edit the secret is sent only to replace it, or as null to remove it.
 */
export function webhookBody(
  form: WebhookForm,
  isNew: boolean,
): { ok: true; body: WebhookBody } | { ok: false; errors: FormErrors<WebhookForm> } {
  const errors: FormErrors<WebhookForm> = {};
  const url = form.url.trim();
  if (!url) errors.url = 'Enter the URL the gateway should POST alerts to.';
  else if (!/^https?:\/\/[^\s/]+\S*$/i.test(url)) errors.url = 'The URL must start with https:// (or http://).';
  else if (url.length > 2048) errors.url = 'The URL is longer than 2048 characters.';
  const mode: SecretMode = isNew ? (form.secret ? 'replace' : 'keep') : form.secretMode;
  if (mode === 'replace' && (form.secret.length < 8 || form.secret.length > 512))
    errors.secret = isNew
      ? 'A signing secret needs 8 to 512 characters (or leave it empty for unsigned deliveries).'
      : 'The new secret needs 8 to 512 characters.';
  if (form.events.length === 0) errors.events = 'Choose at least one event.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  // the events in a stable order, whatever order they were ticked in
  const events = ALERT_EVENTS.map((e) => e.value).filter((e) => form.events.includes(e));
  const body: WebhookBody = { url, events, format: form.format, enabled: form.enabled };
  if (mode === 'replace') body.secret = form.secret;
  if (mode === 'remove') body.secret = null;
  return { ok: true, body };
}
