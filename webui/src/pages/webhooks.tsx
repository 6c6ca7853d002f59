import { type FormEvent, useState } from 'react';
import type { AlertType, Webhook, WebhookCreate, WebhookFormat } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { Checkbox, Field, TextField } from '../components/field';
import { Empty, ErrorNote, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { webhooks } from '../hooks/webhooks';
import { usePageTitle } from '../layout';
import type { FormErrors } from '../lib/api-key-form';
import {
  ALERT_EVENTS,
  emptyWebhookForm,
  type SecretMode,
  WEBHOOK_FORMATS,
  type WebhookForm,
  webhookBody,
  webhookFormFrom,
} from '../lib/webhook-form';
import { Link } from '../router/router';

export function SecretBadge({ set }: { set: boolean }) {
  return <span className={`badge ${set ? 'good' : ''}`}>{set ? 'secret set' : 'no secret (unsigned)'}</span>;
}

export function WebhooksPage() {
  usePageTitle('Webhooks');
  const list = webhooks.useList({ limit: 500 });
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="page-head">
        <h1>Webhooks</h1>
        <button type="button" onClick={() => setCreating(true)}>
          Add webhook
        </button>
      </div>
      <p className="hint">
        The gateway POSTs budget, key-expiry and routing alerts to these URLs, signed with the secret when one is set,
        and retries failed deliveries for 24 hours. Open a webhook to see its deliveries, edit or delete it.
      </p>
      <QueryState query={list} what="Loading webhooks">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No webhooks yet: alerts are recorded but sent nowhere.</Empty>
          ) : (
            <TableWrap label="Webhooks">
              <table>
                <thead>
                  <tr>
                    <th scope="col">URL</th>
                    <th scope="col">Events</th>
                    <th scope="col">Format</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Signing</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((w) => (
                    <WebhookRow key={w.id} webhook={w} />
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </QueryState>
      {creating ? <WebhookDialog webhook={null} onClose={() => setCreating(false)} /> : null}
    </>
  );
}

function WebhookRow({ webhook }: { webhook: Webhook }) {
  return (
    <tr>
      <td className="wrap webhook-url">
        <Link to={`/webhooks/${webhook.id}`}>{webhook.url}</Link>
      </td>
      <td className="wrap">{webhook.events.join(', ')}</td>
      <td>{webhook.format}</td>
      <td>
        <span className={`badge ${webhook.enabled ? 'good' : 'bad'}`}>{webhook.enabled ? 'enabled' : 'disabled'}</span>
      </td>
      <td>
        <SecretBadge set={webhook.secret_set} />
      </td>
    </tr>
  );
}

export function DeleteWebhookButton({ webhook, onDeleted }: { webhook: Webhook; onDeleted?: () => void }) {
  const remove = webhooks.useRemove();
  return (
    <ConfirmButton
      label="Delete"
      title="Delete this webhook?"
      onConfirm={() => remove.mutateAsync(webhook.id).then(onDeleted)}
    >
      <p>
        Alerts stop going to <code className="webhook-url">{webhook.url}</code>, and its delivery history is deleted
        with it.
      </p>
    </ConfirmButton>
  );
}

/** The choices for the write-only secret on an edit, worded for whether one is stored. */
const secretModes = (isSet: boolean): { value: SecretMode; label: string }[] =>
  isSet
    ? [
        { value: 'keep', label: 'Keep the stored secret' },
        { value: 'replace', label: 'Replace it' },
        { value: 'remove', label: 'Remove it (deliveries unsigned)' },
      ]
    : [
        { value: 'keep', label: 'Keep deliveries unsigned' },
        { value: 'replace', label: 'Set a secret' },
      ];

export function WebhookDialog({ webhook, onClose }: { webhook: Webhook | null; onClose: () => void }) {
  const create = webhooks.useCreate();
  const update = webhooks.useUpdate();
  const mutation = webhook ? update : create;
  const [form, setForm] = useState<WebhookForm>(webhook ? webhookFormFrom(webhook) : emptyWebhookForm());
  const [errors, setErrors] = useState<FormErrors<WebhookForm>>({});
  const set =
    <K extends keyof WebhookForm>(key: K) =>
    (value: WebhookForm[K]) =>
      setForm((f) => ({ ...f, [key]: value }));
  const toggle = (event: AlertType) =>
    set('events')(form.events.includes(event) ? form.events.filter((e) => e !== event) : [...form.events, event]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = webhookBody(form, !webhook);
    if (!result.ok) return setErrors(result.errors);
    setErrors({});
    if (webhook) update.mutate({ id: webhook.id, body: result.body }, { onSuccess: onClose });
    else create.mutate(result.body as WebhookCreate, { onSuccess: onClose });
  };
  const askSecret = !webhook || form.secretMode === 'replace';
  return (
    <Dialog title={webhook ? 'Edit webhook' : 'Add a webhook'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField
          label="URL"
          type="url"
          value={form.url}
          onChange={set('url')}
          error={errors.url}
          required
          hint="http(s). Private and loopback addresses need CATALOG_ALLOW_PRIVATE_URLS=true on the gateway."
        />
        <fieldset>
          <legend>Signing secret</legend>
          {webhook ? (
            <>
              <p>
                Stored now: <SecretBadge set={webhook.secret_set} />
              </p>
              {secretModes(webhook.secret_set).map((m) => (
                <label key={m.value}>
                  <input
                    type="radio"
                    name="secret-mode"
                    checked={form.secretMode === m.value}
                    onChange={() => set('secretMode')(m.value)}
                  />
                  {m.label}
                </label>
              ))}
            </>
          ) : null}
          {askSecret ? (
            <TextField
              label={webhook ? 'New secret' : 'Secret'}
              type="password"
              autoComplete="new-password"
              value={form.secret}
              onChange={set('secret')}
              error={errors.secret}
              hint={`Write-only: 8 to 512 characters, used to sign each POST (x-gateway-signature).${
                webhook ? '' : ' Empty: deliveries are unsigned.'
              }`}
            />
          ) : null}
        </fieldset>
        <fieldset aria-describedby={errors.events ? 'webhook-events-error' : undefined}>
          <legend>Events</legend>
          {ALERT_EVENTS.map((ev) => (
            <label key={ev.value}>
              <input type="checkbox" checked={form.events.includes(ev.value)} onChange={() => toggle(ev.value)} />
              {ev.label}
            </label>
          ))}
          {errors.events ? (
            <small id="webhook-events-error" role="alert">
              {errors.events}
            </small>
          ) : null}
        </fieldset>
        <Field label="Format">
          {(a11y) => (
            <select {...a11y} value={form.format} onChange={(e) => set('format')(e.target.value as WebhookFormat)}>
              {WEBHOOK_FORMATS.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Checkbox label="Enabled" checked={form.enabled} onChange={set('enabled')} />
        <ErrorNote error={mutation.error} title="Not saved." />
        <div className="actions">
          <button type="submit" aria-busy={mutation.isPending} disabled={mutation.isPending}>
            {webhook ? 'Save changes' : 'Add webhook'}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
