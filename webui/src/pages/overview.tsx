import { useMemo } from 'react';
import { TableWrap } from '../components/table-wrap';
import type { ApiKey, OverviewTop, UsageReport } from '../api/types';
import { ChartView } from '../components/chart';
import { TrafficCharts } from '../components/traffic-charts';
import { CustomRangeForm, RangeSelect, useRangeChoice } from '../components/range-picker';
import { Empty, ErrorNote, Loading } from '../components/states';
import { apiKeys } from '../hooks/api-keys';
import { useUsage, useUsageOverview } from '../hooks/usage';
import { usePageTitle } from '../layout';
import { currentMonth } from '../lib/dates';
import { formatInt, formatUsd } from '../lib/format';
import { errorRate, formatMs, formatPercent, overviewRows } from '../lib/overview';
import { Link } from '../router/router';

const TOP = 10;

function Card({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <article>
      <small>{label}</small>
      <span className="value">{value}</span>
      {detail ? <small>{detail}</small> : null}
    </article>
  );
}

/** Keys with a monthly budget: spend so far this month against it, most used share first. */
export function budgetRows(byKey: UsageReport, keys: ApiKey[]) {
  const spent = new Map(byKey.data.map((r) => [r.api_key_id, Number(r.cost_usd)]));
  return keys
    .filter((k) => k.monthly_budget !== null && !k.deleted_at) // monthly budgets: the chart shows this month's spend
    .map((k) => ({ name: k.name, spent: spent.get(k.id) ?? 0, budget: Number(k.monthly_budget) }))
    .sort((a, b) => b.spent / (b.budget || 1e-9) - a.spent / (a.budget || 1e-9))
    .slice(0, TOP);
}

export function OverviewPage() {
  usePageTitle('Overview');
  return (
    <>
      <h1>Overview</h1>
      <MonthSection />
      <TrafficSection />
    </>
  );
}

/** This calendar month: the period budgets are counted over. */
function MonthSection() {
  const month = useMemo(() => currentMonth(), []);
  const byKey = useUsage({ ...month, group_by: ['api_key'] });
  const keys = apiKeys.useList({ limit: 500 });
  const budgets = useMemo(
    () => (byKey.data && keys.data ? budgetRows(byKey.data, keys.data.data) : []),
    [byKey.data, keys.data],
  );
  const error = byKey.error ?? keys.error;
  if (error) return <ErrorNote error={error} title="Could not load this month's usage." />;
  if (!byKey.data || !keys.data) return <Loading what="Loading this month's usage" />;
  const t = byKey.data.totals;
  return (
    <section aria-label="This month">
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
      ) : null}
      <div className="charts">
        <article>
          <h2>Spend against budgets</h2>
          {budgets.length === 0 ? (
            <Empty>No key has a monthly budget.</Empty>
          ) : (
            <>
              <ChartView
                type="bar"
                horizontal
                label="Spend this month and monthly budget per key"
                labels={budgets.map((b) => b.name)}
                series={[
                  { label: 'Spent (USD)', data: budgets.map((b) => b.spent) },
                  { label: 'Budget (USD)', data: budgets.map((b) => b.budget) },
                ]}
                height={Math.max(140, 40 * budgets.length)}
              />
              <TableWrap label="Spend against budgets, per key">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Key</th>
                      <th scope="col">Spent</th>
                      <th scope="col">Budget</th>
                      <th scope="col">Used</th>
                    </tr>
                  </thead>
                  <tbody>
                    {budgets.map((b) => (
                      <tr key={b.name}>
                        <td>{b.name}</td>
                        <td>{formatUsd(b.spent)}</td>
                        <td>{formatUsd(b.budget)}</td>
                        <td>{b.budget > 0 ? `${Math.round((b.spent / b.budget) * 100)} %` : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </>
          )}
        </article>
      </div>
    </section>
  );
}

/** Calls, errors, latency and cost over the chosen range, and its top keys, models and teams. */
function TrafficSection() {
  const { range, choice, choose, apply } = useRangeChoice('24h');
  const overview = useUsageOverview(range);
  const rows = useMemo(() => (overview.data ? overviewRows(overview.data) : []), [overview.data]);
  const totals = overview.data?.totals;
  const over = range.label.toLowerCase();
  return (
    <section aria-labelledby="traffic-heading">
      <div className="page-head">
        <h2 id="traffic-heading">Traffic</h2>
        <RangeSelect choice={choice} onChoose={choose} custom />
      </div>
      {choice === 'custom' ? <CustomRangeForm range={range} onApply={apply} /> : null}
      {overview.error ? (
        <ErrorNote error={overview.error} title="Could not load the overview." />
      ) : !overview.data || !totals ? (
        <Loading what="Loading calls, errors and latency" />
      ) : (
        <div aria-busy={overview.isPlaceholderData}>
          <p className="hint">
            {range.label}, per {range.bucket} (UTC). Errors are calls answered with a status of 400 or more, refusals by
            the gateway included.
          </p>
          <div className="cards">
            <Card label={`Calls, ${over}`} value={formatInt(totals.requests)} />
            <Card
              label="Error rate"
              value={formatPercent(errorRate(totals.errors, totals.requests))}
              detail={`${formatInt(totals.errors)} ${totals.errors === 1 ? 'error' : 'errors'}`}
            />
            <Card label="p50 latency" value={formatMs(totals.p50_latency_ms)} />
            <Card label="p95 latency" value={formatMs(totals.p95_latency_ms)} />
            <Card label={`Cost, ${over}`} value={formatUsd(totals.cost_usd)} />
          </div>
          {totals.requests === 0 ? (
            <Empty>No calls in this range.</Empty>
          ) : (
            <>
              <TrafficCharts rows={rows} range={range} />
              <div className="charts">
                <TopList
                  title="Top keys by cost"
                  rows={overview.data.top_keys}
                  link={{ path: '/keys', deleted: 'a deleted key' }}
                />
                <TopList title="Top models by cost" rows={overview.data.top_models} />
                <TopList
                  title="Top teams by cost"
                  rows={overview.data.top_teams}
                  link={{ path: '/teams', deleted: 'a deleted team' }}
                />
              </div>
            </>
          )}
        </div>
      )}
    </section>
  );
}

function TopList({
  title,
  rows,
  link,
}: {
  title: string;
  rows: OverviewTop[];
  /** Rows with an id link to its page: keys or teams. */
  link?: { path: string; deleted: string };
}) {
  const label = (r: OverviewTop) => r.name ?? link?.deleted ?? 'unknown';
  return (
    <article>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <Empty>None in this range.</Empty>
      ) : (
        <>
          <ChartView
            type="bar"
            horizontal
            label={title}
            labels={rows.map(label)}
            series={[{ label: 'Cost (USD)', data: rows.map((r) => Number(r.cost_usd)) }]}
            height={Math.max(140, 32 * rows.length)}
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
              {rows.map((r, i) => (
                <tr key={r.id ?? r.name ?? i}>
                  <td>{link && r.id && r.name ? <Link to={`${link.path}/${r.id}`}>{r.name}</Link> : label(r)}</td>
                  <td>{formatInt(r.requests)}</td>
                  <td>{formatUsd(r.cost_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </article>
  );
}
