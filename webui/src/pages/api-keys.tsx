import { useState } from 'react';
import type { ApiKeyCreated, Team } from '../api/types';
import { useCan } from '../auth/session';
import { ApiKeyFormView } from '../components/api-key-form';
import { Dialog } from '../components/dialog';
import { Pager } from '../components/pager';
import { SecretOnce } from '../components/secret-once';
import { Empty, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { apiKeys, keyStatus } from '../hooks/api-keys';
import { useTeamsById } from '../hooks/teams';
import { usePageTitle } from '../layout';
import { emptyApiKeyForm } from '../lib/api-key-form';
import { formatDate, formatInt, formatUsd } from '../lib/format';
import { Link } from '../router/router';

const LIMIT = 50;

export function StatusBadge({ status }: { status: ReturnType<typeof keyStatus> }) {
  return <span className={`badge ${status === 'active' ? 'good' : 'bad'}`}>{status}</span>;
}

/** A key's team as a link to the team's page; "—" without one. */
export function TeamName({ id, teams }: { id: string | null; teams: Map<string, Team> | undefined }) {
  if (!id) return <>—</>;
  const team = teams?.get(id);
  return <Link to={`/teams/${id}`}>{team ? team.name : teams ? '(unknown team)' : '…'}</Link>;
}

export function ApiKeysPage() {
  usePageTitle('API keys');
  const canEdit = useCan('editor');
  const [name, setName] = useState('');
  const [showDeleted, setShowDeleted] = useState(false);
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const list = apiKeys.useList({
    name: name.trim() || undefined,
    include_deleted: showDeleted || undefined,
    limit: LIMIT,
    offset,
  });
  const create = apiKeys.useCreate();
  const teamsById = useTeamsById();
  return (
    <>
      <div className="page-head">
        <h1>API keys</h1>
        {canEdit ? (
          <button type="button" onClick={() => setCreating(true)}>
            Create API key
          </button>
        ) : null}
      </div>
      {created ? (
        <SecretOnce label={`New key "${created.name}"`} secret={created.key} onDone={() => setCreated(null)} />
      ) : null}
      <div className="filters" role="search">
        <label>
          Search by name
          <input
            type="search"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setOffset(0);
            }}
          />
        </label>
        <label>
          <input type="checkbox" checked={showDeleted} onChange={(e) => setShowDeleted(e.target.checked)} />
          Show deleted keys
        </label>
      </div>
      <QueryState query={list} what="Loading API keys">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>{name ? 'No key matches this name.' : 'No API keys yet.'}</Empty>
          ) : (
            <>
              <TableWrap label="API keys">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Key</th>
                      <th scope="col">Status</th>
                      <th scope="col">Team</th>
                      <th scope="col">Requests/min</th>
                      <th scope="col">Budget</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((key) => (
                      <tr key={key.id}>
                        <td>
                          <Link to={`/keys/${key.id}`}>{key.name}</Link>
                        </td>
                        <td>
                          <code>{key.key_prefix}…</code>
                        </td>
                        <td>
                          <StatusBadge status={keyStatus(key)} />
                        </td>
                        <td>
                          <TeamName id={key.team_id} teams={teamsById} />
                        </td>
                        <td>{key.rate_limit === null ? 'no limit' : formatInt(key.rate_limit)}</td>
                        <td>{key.budget === null ? 'none' : `${formatUsd(key.budget)} / ${key.budget_period}`}</td>
                        <td>{key.expires_at ? formatDate(key.expires_at) : 'never'}</td>
                        <td>{formatDate(key.created_at)}</td>
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
      {creating ? (
        <Dialog title="Create an API key" onClose={() => setCreating(false)}>
          <ApiKeyFormView
            initial={emptyApiKeyForm()}
            submitLabel="Create key"
            busy={create.isPending}
            error={create.error}
            onCancel={() => setCreating(false)}
            onSubmit={(body) =>
              create.mutate(body, {
                onSuccess: (key) => {
                  setCreating(false);
                  setCreated(key);
                },
              })
            }
          />
        </Dialog>
      ) : null}
    </>
  );
}
