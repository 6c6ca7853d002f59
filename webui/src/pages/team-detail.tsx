import { useMemo, useState } from 'react';
import { cacheText } from '../lib/cache-field';
import type { Team, UsageGroup } from '../api/types';
import { useCan } from '../auth/session';
import { QueryState } from '../components/states';
import { apiKeys } from '../hooks/api-keys';
import { ALL, teams, useTeamUsage } from '../hooks/teams';
import { usePageTitle } from '../layout';
import { lastDays } from '../lib/dates';
import { formatDateTime, formatInt } from '../lib/format';
import { budgetText, thresholdsText } from '../lib/team-form';
import { Link, navigate } from '../router/router';
import { DeleteTeamButton, TeamDialog } from './teams';
import { GROUP_LABELS, UsageResult } from './usage';

export function TeamDetailPage({ params }: { params: Record<string, string> }) {
  const team = teams.useOne(params.id);
  return (
    <>
      <p>
        <Link to="/teams">← Teams</Link>
      </p>
      <QueryState query={team} what="Loading the team">
        {(t) => <TeamView team={t} />}
      </QueryState>
    </>
  );
}

function TeamView({ team }: { team: Team }) {
  usePageTitle(`Team ${team.name}`);
  const canEdit = useCan('editor');
  const [editing, setEditing] = useState(false);
  const keys = apiKeys.useList({ limit: ALL });
  const members =
    keys.data && keys.data.total <= keys.data.data.length
      ? keys.data.data.filter((k) => k.team_id === team.id)
      : undefined;
  return (
    <>
      <div className="page-head">
        <h1>
          Team {team.name}{' '}
          <span className={`badge ${team.enabled ? 'good' : 'bad'}`}>{team.enabled ? 'enabled' : 'disabled'}</span>
        </h1>
        {canEdit ? (
          <div className="actions">
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <DeleteTeamButton team={team} keys={members?.length} onDeleted={() => navigate('/teams')} />
          </div>
        ) : null}
      </div>
      <table className="facts">
        <tbody>
          <tr>
            <th scope="row">Requests per minute</th>
            <td>{team.rate_limit === null ? 'no limit' : formatInt(team.rate_limit)}</td>
          </tr>
          <tr>
            <th scope="row">Tokens per minute</th>
            <td>{team.tokens_per_minute === null ? 'no limit' : formatInt(team.tokens_per_minute)}</td>
          </tr>
          <tr>
            <th scope="row">Budget</th>
            <td>{budgetText(team.budget, team.budget_period)}</td>
          </tr>
          <tr>
            <th scope="row">Budget alerts</th>
            <td>{team.budget === null ? 'no budget' : `at ${thresholdsText(team.alert_thresholds)}`}</td>
          </tr>
          <tr>
            <th scope="row">Allowed models</th>
            <td>{team.allowed_models.length === 0 ? 'every model' : team.allowed_models.join(', ')}</td>
          </tr>
          <tr>
            <th scope="row">Response cache</th>
            <td>{cacheText(team.cache)}</td>
          </tr>
          <tr>
            <th scope="row">Tags</th>
            <td>
              {Object.keys(team.tags).length === 0
                ? 'none'
                : Object.entries(team.tags).map(([k, v]) => (
                    <span key={k} className="badge">
                      {k}={v}
                    </span>
                  ))}
            </td>
          </tr>
          <tr>
            <th scope="row">API keys</th>
            <td className="wrap">
              {keys.isPending ? (
                <span aria-busy="true">Loading</span>
              ) : members === undefined ? (
                'more keys than one page holds: see the API keys page'
              ) : members.length === 0 ? (
                'none'
              ) : (
                members.map((k, i) => (
                  <span key={k.id}>
                    {i > 0 ? ', ' : ''}
                    <Link to={`/keys/${k.id}`}>{k.name}</Link>
                  </span>
                ))
              )}
            </td>
          </tr>
          <tr>
            <th scope="row">Created</th>
            <td>{formatDateTime(team.created_at)}</td>
          </tr>
        </tbody>
      </table>
      <TeamUsage id={team.id} />
      {editing ? <TeamDialog team={team} onClose={() => setEditing(false)} /> : null}
    </>
  );
}

const VIEWS: { group: UsageGroup; label: string }[] = [
  { group: 'end_user', label: GROUP_LABELS.end_user },
  { group: 'api_key', label: GROUP_LABELS.api_key },
  { group: 'day', label: GROUP_LABELS.day },
];

/** The team's calls over the last 30 days, per end user, key or day (`GET /admin/teams/:id/usage`). */
function TeamUsage({ id }: { id: string }) {
  const range = useMemo(() => lastDays(30), []);
  const [group, setGroup] = useState<UsageGroup>('end_user');
  const usage = useTeamUsage(id, range, [group]);
  return (
    <section aria-labelledby="team-usage">
      <h2 id="team-usage">Usage, last 30 days</h2>
      <fieldset>
        <legend>Per</legend>
        {VIEWS.map((v) => (
          <label key={v.group} className="inline">
            <input
              type="radio"
              name="team-usage-group"
              checked={group === v.group}
              onChange={() => setGroup(v.group)}
            />
            {v.label}
          </label>
        ))}
      </fieldset>
      <QueryState query={usage} what="Loading usage">
        {(report) => (
          <UsageResult
            report={report}
            groups={[group]}
            {...range}
            empty="No calls by this team’s keys in the last 30 days."
          />
        )}
      </QueryState>
    </section>
  );
}
