import { useMemo, useState } from 'react';
import { cacheText } from '../lib/cache-field';
import type { ApiKey, ApiKeyCreated } from '../api/types';
import { useCan } from '../auth/session';
import { ApiKeyFormView } from '../components/api-key-form';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { SecretOnce } from '../components/secret-once';
import { Empty, QueryState } from '../components/states';
import { RangeSelect, useRangeChoice } from '../components/range-picker';
import { TrafficCharts } from '../components/traffic-charts';
import { apiKeys, keyStatus, useApiKeyUsage } from '../hooks/api-keys';
import { usePageTitle } from '../layout';
import { apiKeyFormFrom } from '../lib/api-key-form';
import { useUsageOverview } from '../hooks/usage';
import { overviewRows } from '../lib/overview';
import { formatDateTime, formatInt, formatUsd } from '../lib/format';
import { Link, navigate } from '../router/router';
import { useTeamsById } from '../hooks/teams';
import { budgetText, thresholdsText } from '../lib/team-form';
import { StatusBadge, TeamName } from './api-keys';

export function ApiKeyDetailPage({ params }: { params: Record<string, string> }) {
  const key = apiKeys.useOne(params.id);
  return (
    <>
      <p>
        <Link to="/keys">← API keys</Link>
      </p>
      <QueryState query={key} what="Loading the key">
        {(k) => <KeyView apiKey={k} />}
      </QueryState>
    </>
  );
}

function KeyView({ apiKey }: { apiKey: ApiKey }) {
  usePageTitle(apiKey.name);
  const canEdit = useCan('editor');
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<ApiKeyCreated | null>(null);
  const update = apiKeys.useUpdate();
  const revoke = apiKeys.useAction<ApiKey>('revoke');
  const regenerate = apiKeys.useAction<ApiKeyCreated>('regenerate');
  const remove = apiKeys.useRemove();
  const status = keyStatus(apiKey);
  const live = status !== 'deleted' && status !== 'revoked';
  return (
    <>
      <div className="page-head">
        <h1>
          {apiKey.name} <StatusBadge status={status} />
        </h1>
        {canEdit && live ? (
          <div className="actions">
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <ConfirmButton
              label="Regenerate"
              title={`Regenerate "${apiKey.name}"?`}
              onConfirm={() => regenerate.mutateAsync(apiKey.id).then(setSecret)}
            >
              <p>
                A new secret replaces the current one, which stops working at once. Applications must switch to the new
                one.
              </p>
            </ConfirmButton>
            <ConfirmButton
              label="Revoke"
              title={`Revoke "${apiKey.name}"?`}
              onConfirm={() => revoke.mutateAsync(apiKey.id)}
            >
              <p>The key stops working at once and for good. It stays listed with its usage.</p>
            </ConfirmButton>
            <ConfirmButton
              label="Delete"
              title={`Delete "${apiKey.name}"?`}
              onConfirm={() => remove.mutateAsync(apiKey.id).then(() => navigate('/keys'))}
            >
              <p>The key is revoked and hidden from lists. Its usage history is kept.</p>
            </ConfirmButton>
          </div>
        ) : null}
      </div>
      {secret ? (
        <SecretOnce label={`New secret for "${secret.name}"`} secret={secret.key} onDone={() => setSecret(null)} />
      ) : null}
      <KeyFacts apiKey={apiKey} />
      <KeyUsage id={apiKey.id} />
      {editing ? (
        <Dialog title={`Edit "${apiKey.name}"`} onClose={() => setEditing(false)}>
          <ApiKeyFormView
            initial={apiKeyFormFrom(apiKey)}
            submitLabel="Save changes"
            busy={update.isPending}
            error={update.error}
            onCancel={() => setEditing(false)}
            onSubmit={(body) => update.mutate({ id: apiKey.id, body }, { onSuccess: () => setEditing(false) })}
          />
        </Dialog>
      ) : null}
    </>
  );
}

function KeyFacts({ apiKey }: { apiKey: ApiKey }) {
  const tags = Object.entries(apiKey.tags);
  const teamsById = useTeamsById();
  return (
    <table className="facts">
      <tbody>
        <tr>
          <th scope="row">Key</th>
          <td>
            <code>{apiKey.key_prefix}…</code>
          </td>
        </tr>
        <tr>
          <th scope="row">Team</th>
          <td>{apiKey.team_id ? <TeamName id={apiKey.team_id} teams={teamsById} /> : 'none'}</td>
        </tr>
        <tr>
          <th scope="row">Requests per minute</th>
          <td>{apiKey.rate_limit === null ? 'no limit' : formatInt(apiKey.rate_limit)}</td>
        </tr>
        <tr>
          <th scope="row">Tokens per minute</th>
          <td>{apiKey.tokens_per_minute === null ? 'no limit' : formatInt(apiKey.tokens_per_minute)}</td>
        </tr>
        <tr>
          <th scope="row">Budget</th>
          <td>{budgetText(apiKey.budget, apiKey.budget_period)}</td>
        </tr>
        <tr>
          <th scope="row">Budget alerts</th>
          <td>{apiKey.budget === null ? 'no budget' : `at ${thresholdsText(apiKey.alert_thresholds)}`}</td>
        </tr>
        <tr>
          <th scope="row">Allowed models</th>
          <td>{apiKey.allowed_models.length === 0 ? 'every model' : apiKey.allowed_models.join(', ')}</td>
        </tr>
        <tr>
          <th scope="row">Response cache</th>
          <td>{cacheText(apiKey.cache)}</td>
        </tr>
        <tr>
          <th scope="row">Tags</th>
          <td>
            {tags.length === 0
              ? 'none'
              : tags.map(([k, v]) => (
                  <span key={k} className="badge">
                    {k}={v}
                  </span>
                ))}
          </td>
        </tr>
        <tr>
          <th scope="row">Expires</th>
          <td>{apiKey.expires_at ? formatDateTime(apiKey.expires_at) : 'never'}</td>
        </tr>
        <tr>
          <th scope="row">Created</th>
          <td>{formatDateTime(apiKey.created_at)}</td>
        </tr>
        {apiKey.revoked_at ? (
          <tr>
            <th scope="row">Revoked</th>
            <td>{formatDateTime(apiKey.revoked_at)}</td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}

/** The key's calls over a chosen range: totals with tokens from its usage report, charts per hour or day. */
function KeyUsage({ id }: { id: string }) {
  const { range, choice, choose } = useRangeChoice('30d');
  const report = useApiKeyUsage(id, { from: range.from, to: range.to }, []);
  const overview = useUsageOverview(range, id);
  const rows = useMemo(() => (overview.data ? overviewRows(overview.data) : []), [overview.data]);
  const over = range.label.toLowerCase();
  return (
    <section aria-labelledby="key-usage">
      <div className="page-head">
        <h2 id="key-usage">Usage, {over}</h2>
        <RangeSelect choice={choice} onChoose={choose} />
      </div>
      <QueryState query={report} what="Loading usage">
        {(r) =>
          r.totals.requests === 0 ? (
            <Empty>No calls in the {over}.</Empty>
          ) : (
            <>
              <p>
                {formatInt(r.totals.requests)} calls, {formatUsd(r.totals.cost_usd)},{' '}
                {formatInt(r.totals.prompt_tokens + r.totals.completion_tokens)} tokens.
              </p>
              <QueryState query={overview} what="Loading the charts">
                {() => <TrafficCharts rows={rows} range={range} />}
              </QueryState>
            </>
          )
        }
      </QueryState>
    </section>
  );
}
