import { useMemo, useState } from 'react';
import { USAGE_GROUPS, type UsageGroup, type UsageReport } from '../api/types';
import { ChartView } from '../components/chart';
import { Empty, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { DailyUsageChart } from '../components/usage-chart';
import { apiKeys } from '../hooks/api-keys';
import { ALL, teams } from '../hooks/teams';
import { useUsage } from '../hooks/usage';
import { usePageTitle } from '../layout';
import { downloadText } from '../lib/csv';
import { lastDays, utcDay } from '../lib/dates';
import { formatInt, formatUsd } from '../lib/format';
import { groupLabel, usageCsv } from '../lib/usage-table';

export const GROUP_LABELS: Record<UsageGroup, string> = {
  api_key: 'API key',
  team: 'Team',
  end_user: 'End user',
  model: 'Model',
  provider: 'Provider',
  day: 'Day',
};
const addDay = (day: string) => utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000));

export function UsagePage() {
  usePageTitle('Usage');
  const initial = useMemo(() => lastDays(30), []);
  const [from, setFrom] = useState(initial.from);
  // the inputs show the last day included; the API's `to` is exclusive
  const [until, setUntil] = useState(utcDay(new Date(Date.parse(`${initial.to}T00:00:00Z`) - 86_400_000)));
  const [apiKeyId, setApiKeyId] = useState('');
  const [teamId, setTeamId] = useState('');
  const [model, setModel] = useState('');
  const [groups, setGroups] = useState<UsageGroup[]>(['model']);
  const keys = apiKeys.useList({ limit: ALL, include_deleted: true });
  const teamList = teams.useList({ limit: ALL });
  const rangeOk = Boolean(from && until && from <= until);
  const filter = {
    from,
    to: rangeOk ? addDay(until) : from,
    api_key_id: apiKeyId || undefined,
    team_id: teamId || undefined,
    model: model.trim() || undefined,
    group_by: groups,
  };
  const usage = useUsage(filter, rangeOk);
  const toggle = (g: UsageGroup) =>
    setGroups((gs) =>
      gs.includes(g) ? gs.filter((x) => x !== g) : USAGE_GROUPS.filter((x) => x === g || gs.includes(x)),
    );
  return (
    <>
      <div className="page-head">
        <h1>Usage</h1>
        <button
          type="button"
          className="secondary"
          disabled={!usage.data || usage.data.data.length === 0}
          onClick={() => usage.data && downloadText(`usage-${from}-to-${until}.csv`, usageCsv(usage.data.data, groups))}
        >
          Download CSV
        </button>
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          From (UTC day)
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          Until, included (UTC day)
          <input
            type="date"
            value={until}
            onChange={(e) => setUntil(e.target.value)}
            aria-invalid={rangeOk ? undefined : true}
          />
        </label>
        <label>
          API key
          <select value={apiKeyId} onChange={(e) => setApiKeyId(e.target.value)}>
            <option value="">All keys</option>
            {(keys.data?.data ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                {k.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Team
          <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
            <option value="">All teams</option>
            {(teamList.data?.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model
          <input value={model} onChange={(e) => setModel(e.target.value)} placeholder="All models" />
        </label>
        <fieldset>
          <legend>Group by</legend>
          {USAGE_GROUPS.map((g) => (
            <label key={g}>
              <input type="checkbox" checked={groups.includes(g)} onChange={() => toggle(g)} />
              {GROUP_LABELS[g]}
            </label>
          ))}
        </fieldset>
      </form>
      {!rangeOk ? (
        <p role="alert">The start must be on or before the end.</p>
      ) : (
        <QueryState query={usage} what="Loading usage">
          {(report) => <UsageResult report={report} groups={groups} from={filter.from} to={filter.to} />}
        </QueryState>
      )}
    </>
  );
}

/** Totals, a chart (per day, or cost per group) and the table of a usage report; also on a team's page. */
export function UsageResult({
  report,
  groups,
  from,
  to,
  empty = 'No calls match these filters.',
}: {
  report: UsageReport;
  groups: UsageGroup[];
  from: string;
  to: string;
  empty?: string;
}) {
  const top = useMemo(
    () => [...report.data].sort((a, b) => Number(b.cost_usd) - Number(a.cost_usd)).slice(0, 15),
    [report],
  );
  const series = useMemo(() => [{ label: 'Cost (USD)', data: top.map((r) => Number(r.cost_usd)) }], [top]);
  const labels = useMemo(() => top.map((r) => groupLabel(r, groups)), [top, groups]);
  if (report.totals.requests === 0) return <Empty>{empty}</Empty>;
  const t = report.totals;
  return (
    <>
      <p>
        {formatInt(t.requests)} calls · {formatUsd(t.cost_usd)} · {formatInt(t.prompt_tokens)} prompt and{' '}
        {formatInt(t.completion_tokens)} completion tokens
        {t.estimated_requests ? ` · ${formatInt(t.estimated_requests)} with estimated usage` : ''}
        {t.unpriced_requests ? ` · ${formatInt(t.unpriced_requests)} of unpriced models` : ''}
      </p>
      {groups.length === 1 && groups[0] === 'day' ? (
        <DailyUsageChart rows={report.data} from={from} to={to} label="Calls and cost per day" />
      ) : groups.length > 0 ? (
        <ChartView
          type="bar"
          horizontal
          labels={labels}
          series={series}
          label="Cost per group, highest first"
          height={Math.max(160, 28 * top.length)}
        />
      ) : null}
      <TableWrap label="Usage table">
        <table>
          <thead>
            <tr>
              {groups.length ? <th scope="col">{groups.map((g) => GROUP_LABELS[g]).join(' · ')}</th> : null}
              <th scope="col">Calls</th>
              <th scope="col">Prompt tokens</th>
              <th scope="col">Completion tokens</th>
              <th scope="col">Cached tokens read</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {report.data.map((r, i) => (
              <tr key={i}>
                {groups.length ? <td>{groupLabel(r, groups)}</td> : null}
                <td>{formatInt(r.requests)}</td>
                <td>{formatInt(r.prompt_tokens)}</td>
                <td>{formatInt(r.completion_tokens)}</td>
                <td>{formatInt(r.cache_read_tokens)}</td>
                <td>{formatUsd(r.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}
