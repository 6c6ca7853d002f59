import { useState } from 'react';
import { errorMessage } from '../api/errors';
import type { Webhook, WebhookDelivery } from '../api/types';
import { Pager } from '../components/pager';
import { Empty, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { useDeliveries, useResend, webhooks } from '../hooks/webhooks';
import { usePageTitle } from '../layout';
import { formatDateTime } from '../lib/format';
import { Link, navigate } from '../router/router';
import { DeleteWebhookButton, SecretBadge, WebhookDialog } from './webhooks';

const LIMIT = 50;

export function WebhookDetailPage({ params }: { params: Record<string, string> }) {
  const webhook = webhooks.useOne(params.id);
  return (
    <>
      <p>
        <Link to="/webhooks">← Webhooks</Link>
      </p>
      <QueryState query={webhook} what="Loading the webhook">
        {(w) => <WebhookView webhook={w} />}
      </QueryState>
    </>
  );
}

function WebhookView({ webhook }: { webhook: Webhook }) {
  usePageTitle('Webhook deliveries');
  const [editing, setEditing] = useState(false);
  return (
    <>
      <div className="page-head">
        <h1>Webhook deliveries</h1>
        <div className="actions">
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
          <DeleteWebhookButton webhook={webhook} onDeleted={() => navigate('/webhooks')} />
        </div>
      </div>
      <table className="facts">
        <tbody>
          <tr>
            <th scope="row">URL</th>
            <td className="wrap webhook-url">{webhook.url}</td>
          </tr>
          <tr>
            <th scope="row">Events</th>
            <td className="wrap">{webhook.events.join(', ')}</td>
          </tr>
          <tr>
            <th scope="row">Format</th>
            <td>{webhook.format}</td>
          </tr>
          <tr>
            <th scope="row">Enabled</th>
            <td>{webhook.enabled ? 'yes' : 'no'}</td>
          </tr>
          <tr>
            <th scope="row">Signing</th>
            <td>
              <SecretBadge set={webhook.secret_set} />
            </td>
          </tr>
        </tbody>
      </table>
      <Deliveries id={webhook.id} />
      {editing ? <WebhookDialog webhook={webhook} onClose={() => setEditing(false)} /> : null}
    </>
  );
}

const STATUS_CLASS: Record<WebhookDelivery['status'], string> = { delivered: 'good', failed: 'bad', pending: '' };

function Deliveries({ id }: { id: string }) {
  const [offset, setOffset] = useState(0);
  const list = useDeliveries(id, { limit: LIMIT, offset });
  const resend = useResend(id);
  return (
    <section aria-labelledby="deliveries">
      <h2 id="deliveries">Deliveries, newest first</h2>
      {resend.error ? (
        <p role="alert">
          <strong>Not re-sent. </strong>
          {errorMessage(resend.error)}
        </p>
      ) : null}
      <QueryState query={list} what="Loading deliveries">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No deliveries yet: an event this webhook listens to has not happened since it was added.</Empty>
          ) : (
            <>
              <TableWrap label="Deliveries">
                <table className="deliveries wrap-heads">
                  <thead>
                    <tr>
                      <th scope="col">Event</th>
                      <th scope="col">Status</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Last answer</th>
                      <th scope="col">Created</th>
                      <th scope="col">Delivered</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((d) => (
                      <tr key={d.id}>
                        <td className="event">
                          {d.event_type}
                          <br />
                          <small className="hint">{d.event_id}</small>
                        </td>
                        <td>
                          <span className={`badge ${STATUS_CLASS[d.status]}`}>{d.status}</span>
                        </td>
                        <td>{d.attempts}</td>
                        <td>{lastAnswer(d)}</td>
                        <td>{formatDateTime(d.created_at)}</td>
                        <td>{d.delivered_at ? formatDateTime(d.delivered_at) : '—'}</td>
                        <td>
                          <button
                            type="button"
                            className="secondary"
                            aria-busy={resend.isPending && resend.variables === d.id}
                            disabled={resend.isPending}
                            onClick={() => resend.mutate(d.id)}
                          >
                            Resend
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <Pager offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
            </>
          )
        }
      </QueryState>
    </section>
  );
}

/** "HTTP 500: HTTP 500", "timeout", "HTTP 200" or "—" before the first attempt. */
export function lastAnswer(d: Pick<WebhookDelivery, 'last_status_code' | 'last_error'>): string {
  const code = d.last_status_code === null ? '' : `HTTP ${d.last_status_code}`;
  const error = d.last_error && d.last_error !== code ? d.last_error : '';
  return [code, error].filter(Boolean).join(': ') || '—';
}
