import { useState } from 'react';
import { isApiError } from '../api/client';
import type { Team } from '../api/types';
import { useCan } from '../auth/session';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { Empty, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { TeamFormView } from '../components/team-form';
import { ALL, teams, useKeyCounts } from '../hooks/teams';
import { usePageTitle } from '../layout';
import { formatInt } from '../lib/format';
import { budgetText, emptyTeamForm, teamFormFrom } from '../lib/team-form';
import { Link } from '../router/router';

export function TeamsPage() {
  usePageTitle('Teams');
  const canEdit = useCan('editor');
  const list = teams.useList({ limit: ALL });
  const keyCounts = useKeyCounts();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="page-head">
        <h1>Teams</h1>
        {canEdit ? (
          <button type="button" onClick={() => setCreating(true)}>
            Create team
          </button>
        ) : null}
      </div>
      <p className="hint">
        A team&apos;s limits, budget and model allowlist apply to all its keys together, on top of each key&apos;s own.
        Open a team to see its usage{canEdit ? ', edit or delete it' : ''}.
      </p>
      <QueryState query={list} what="Loading teams">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No teams yet.{canEdit ? ' Create one, then choose it in an API key’s form.' : ''}</Empty>
          ) : (
            <TableWrap label="Teams">
              <table className="wrap-heads">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Requests per minute</th>
                    <th scope="col">Tokens per minute</th>
                    <th scope="col">Budget</th>
                    <th scope="col">Allowed models</th>
                    {keyCounts ? <th scope="col">Keys</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((t) => (
                    <tr key={t.id}>
                      <td>
                        <Link to={`/teams/${t.id}`}>{t.name}</Link>
                      </td>
                      <td>
                        <span className={`badge ${t.enabled ? 'good' : 'bad'}`}>
                          {t.enabled ? 'enabled' : 'disabled'}
                        </span>
                      </td>
                      <td>{t.rate_limit === null ? 'no limit' : formatInt(t.rate_limit)}</td>
                      <td>{t.tokens_per_minute === null ? 'no limit' : formatInt(t.tokens_per_minute)}</td>
                      <td>{budgetText(t.budget, t.budget_period)}</td>
                      <td className="wrap">{t.allowed_models.length ? t.allowed_models.join(', ') : 'every model'}</td>
                      {keyCounts ? <td>{formatInt(keyCounts.get(t.id) ?? 0)}</td> : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </QueryState>
      {creating ? <TeamDialog team={null} onClose={() => setCreating(false)} /> : null}
    </>
  );
}

/** Create a team (`team` null) or edit one. */
export function TeamDialog({ team, onClose }: { team: Team | null; onClose: () => void }) {
  const create = teams.useCreate();
  const update = teams.useUpdate();
  const mutation = team ? update : create;
  return (
    <Dialog title={team ? `Edit team "${team.name}"` : 'Create a team'} onClose={onClose}>
      <TeamFormView
        initial={team ? teamFormFrom(team) : emptyTeamForm()}
        submitLabel={team ? 'Save changes' : 'Create team'}
        busy={mutation.isPending}
        error={mutation.error}
        onCancel={onClose}
        onSubmit={(body) =>
          team
            ? update.mutate({ id: team.id, body }, { onSuccess: onClose })
            : create.mutate(body, { onSuccess: onClose })
        }
      />
    </Dialog>
  );
}

/** The refusal of deleting a team that still has keys (409), in words that say what to do. */
export function teamDeleteRefusal(name: string, keys: number | undefined): string {
  const held = keys ? `${keys} API key${keys === 1 ? '' : 's'}` : 'API keys';
  return `Team "${name}" still has ${held}, so it cannot be deleted. Move those keys to another team (or to no team) or delete them first, then delete the team.`;
}

export function DeleteTeamButton({ team, keys, onDeleted }: { team: Team; keys?: number; onDeleted?: () => void }) {
  const remove = teams.useRemove();
  return (
    <ConfirmButton
      label="Delete"
      title={`Delete team "${team.name}"?`}
      onConfirm={() =>
        remove.mutateAsync(team.id).then(onDeleted, (err: unknown) => {
          throw isApiError(err, 'conflict') ? new Error(teamDeleteRefusal(team.name, keys)) : err;
        })
      }
    >
      <p>
        The team and its limits go away; its usage history is kept. The gateway refuses while the team still has API
        keys.
      </p>
    </ConfirmButton>
  );
}
