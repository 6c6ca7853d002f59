import { useMemo } from 'react';
import type { ApiKey, UsageReport } from '../api/types';
import { ChartView } from '../components/chart';
import { Empty, ErrorNote, Loading } from '../components/states';
import { DailyUsageChart } from '../components/usage-chart';
import { apiKeys } from '../hooks/api-keys';
import { useUsage } from '../hooks/usage';
import { usePageTitle } from '../layout';
import { currentMonth, lastDays } from '../lib/dates';
import { formatInt, formatUsd } from '../lib/format';
import { groupLabel } from '../lib/usage-table';
import { Link } from '../router/router';

const TOP = 10;

function Card({ label, value }: { label: string; value: string }) {
  return (
    <article>
      <small>{label}</small>
      <span className="value">{value}</span>
    </article>
  );
}

/** Keys with a monthly budget: spend so far this month against it, most used share first. */
export function budgetRows(byKey: UsageReport, keys: ApiKey[]) {
  const spent = new Map(byKey.data.map((r) => [r.api_key_id, Number(r.cost_usd)]));
  return keys
    .filter((k) => k.monthly_budget !== null && !k.deleted_at)
    .map((k) => ({ name: k.name, spent: spent.get(k.id) ?? 0, budget: Number(k.monthly_budget) }))
    .sort((a, b) => b.spent / (b.budget || 1e-9) - a.spent / (a.budget || 1e-9))
    .slice(0, TOP);
}

export function OverviewPage() {
  usePageTitle('Overview');
  const month = useMemo(() => currentMonth(), []);
  // the daily chart stops at today: the rest of the month has no calls yet
  const soFar = useMemo(() => ({ from: month.from, to: lastDays(1).to }), [month]);
  const byDay = useUsage({ ...month, group_by: ['day'] });
  const byKey = useUsage({ ...month, group_by: ['api_key'] });
  const byModel = useUsage({ ...month, group_by: ['model'] });
  const keys = apiKeys.useList({ limit: 500 });
  const budgets = useMemo(
    () => (byKey.data && keys.data ? budgetRows(byKey.data, keys.data.data) : []),
    [byKey.data, keys.data],
  );
  const topBy = (report: UsageReport | undefined, group: 'api_key' | 'model') =>
    [...(report?.data ?? [])]
      .sort((a, b) => Number(b.cost_usd) - Number(a.cost_usd) || b.requests - a.requests)
      .slice(0, TOP)
      .map((r) => ({ label: groupLabel(r, [group]), cost: Number(r.cost_usd), calls: r.requests }));
  const topKeys = useMemo(() => topBy(byKey.data, 'api_key'), [byKey.data]);
  const topModels = useMemo(() => topBy(byModel.data, 'model'), [byModel.data]);
  const error = byDay.error ?? byKey.error ?? byModel.error;
  if (error)
    return (
      <>
        <h1>Overview</h1>
        <ErrorNote error={error} title="Could not load usage." />
      </>
    );
  if (!byDay.data)
    return (
      <>
        <h1>Overview</h1>
        <Loading what="Loading this month's usage" />
      </>
    );
  const t = byDay.data.totals;
  return (
    <>
      <h1>Overview</h1>
      <p className="hint">This calendar month (UTC), {month.from} until today.</p>
      <div className="cards">
        <Card label="Calls" value={formatInt(t.requests)} />
        <Card label="Spend" value={formatUsd(t.cost_usd)} />
        <Card label="Tokens" value={formatInt(t.prompt_tokens + t.completion_tokens)} />
        <Card label="Calls with estimated usage" value={formatInt(t.estimated_requests)} />
      </div>
      {t.requests === 0 ? (
        <Empty>
          No calls this month yet. Create an <Link to="/keys">API key</Link> and send a request through the gateway.
        </Empty>
      ) : (
        <div className="charts">
          <article>
            <h2>Calls and cost per day</h2>
            <DailyUsageChart rows={byDay.data.data} {...soFar} label="Calls and cost per day this month" />
          </article>
          <article>
            <h2>Spend against budgets</h2>
            {budgets.length === 0 ? (
              <Empty>No key has a monthly budget.</Empty>
            ) : (
              <ChartView
                type="bar"
                horizontal
                label="Spend this month and monthly budget per key"
                labels={budgets.map((b) => b.name)}
                series={[
                  { label: 'Spent (USD)', data: budgets.map((b) => b.spent) },
                  { label: 'Budget (USD)', data: budgets.map((b) => b.budget) },
                ]}
              />
            )}
          </article>
          <TopList title="Top keys by cost" rows={topKeys} />
          <TopList title="Top models by cost" rows={topModels} />
        </div>
      )}
    </>
  );
}

function TopList({ title, rows }: { title: string; rows: { label: string; cost: number; calls: number }[] }) {
  return (
    <article>
      <h2>{title}</h2>
      <ChartView
        type="bar"
        horizontal
        label={title}
        labels={rows.map((r) => r.label)}
        series={[{ label: 'Cost (USD)', data: rows.map((r) => r.cost) }]}
        height={Math.max(140, 26 * rows.length)}
      />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Calls</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.label}>
              <td>{r.label}</td>
              <td>{formatInt(r.calls)}</td>
              <td>{formatUsd(r.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
