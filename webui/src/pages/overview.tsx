import { useMemo, useState } from 'react';
import { TableWrap } from '../components/table-wrap';
import type { ApiKey, OverviewTop, UsageReport } from '../api/types';
import { ChartView } from '../components/chart';
import { Field } from '../components/field';
import { Empty, ErrorNote, Loading } from '../components/states';
import { apiKeys } from '../hooks/api-keys';
import { useUsage, useUsageOverview } from '../hooks/usage';
import { usePageTitle } from '../layout';
import { currentMonth } from '../lib/dates';
import { formatInt, formatUsd } from '../lib/format';
import {
  errorRate,
  formatMs,
  formatPercent,
  OVERVIEW_RANGES,
  overviewCharts,
  overviewRange,
  type OverviewRangeId,
  type OverviewRow,
  overviewRows,
} from '../lib/overview';
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

/** Calls, errors, latency and cost over the chosen range, and its top keys and models. */
function TrafficSection() {
  const [rangeId, setRangeId] = useState<OverviewRangeId>('24h');
  // computed when the choice changes; the end is a whole hour, so the query is stable within the hour
  const range = useMemo(() => overviewRange(rangeId), [rangeId]);
  const overview = useUsageOverview(range);
  const rows = useMemo(() => (overview.data ? overviewRows(overview.data) : []), [overview.data]);
  const charts = useMemo(() => overviewCharts(rows), [rows]);
  const per = range.bucket === 'hour' ? 'hour' : 'day';
  const totals = overview.data?.totals;
  return (
    <section aria-labelledby="traffic-heading">
      <div className="page-head">
        <h2 id="traffic-heading">Traffic</h2>
        <Field label="Range">
          {(a11y) => (
            <select {...a11y} value={rangeId} onChange={(e) => setRangeId(e.target.value as OverviewRangeId)}>
              {OVERVIEW_RANGES.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {overview.error ? (
        <ErrorNote error={overview.error} title="Could not load the overview." />
      ) : !overview.data || !totals ? (
        <Loading what="Loading calls, errors and latency" />
      ) : (
        <div aria-busy={overview.isPlaceholderData}>
          <p className="hint">
            {range.label}, per {per} (UTC). Errors are calls answered with a status of 400 or more, refusals by the
            gateway included.
          </p>
          <div className="cards">
            <Card label={`Calls, ${range.label.toLowerCase()}`} value={formatInt(totals.requests)} />
            <Card
              label="Error rate"
              value={formatPercent(errorRate(totals.errors, totals.requests))}
              detail={`${formatInt(totals.errors)} ${totals.errors === 1 ? 'error' : 'errors'}`}
            />
            <Card label="p50 latency" value={formatMs(totals.p50_latency_ms)} />
            <Card label="p95 latency" value={formatMs(totals.p95_latency_ms)} />
            <Card label={`Cost, ${range.label.toLowerCase()}`} value={formatUsd(totals.cost_usd)} />
          </div>
          {totals.requests === 0 ? (
            <Empty>No calls in this range.</Empty>
          ) : (
            <>
              <div className="charts">
                <article>
                  <h2>Calls and error rate</h2>
                  <ChartView
                    type="bar"
                    label={`Calls and error rate per ${per}, ${range.label.toLowerCase()}`}
                    labels={charts.labels}
                    series={charts.calls}
                  />
                </article>
                <article>
                  <h2>Latency (p50 and p95)</h2>
                  <ChartView
                    type="line"
                    label={`p50 and p95 latency per ${per} in milliseconds, ${range.label.toLowerCase()}`}
                    labels={charts.labels}
                    series={charts.latency}
                  />
                </article>
                <article>
                  <h2>Cost</h2>
                  <ChartView
                    type="bar"
                    label={`Cost per ${per} in USD, ${range.label.toLowerCase()}`}
                    labels={charts.labels}
                    series={charts.cost}
                  />
                </article>
              </div>
              <SeriesTable rows={rows} per={per} />
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

/** The numbers of the three charts, one row per bucket (collapsed: a week has 168 hours). */
function SeriesTable({ rows, per }: { rows: OverviewRow[]; per: string }) {
  return (
    <details>
      <summary>Table: calls, errors, latency and cost per {per}</summary>
      <TableWrap label={`Calls, errors, latency and cost per ${per}`}>
        <table>
          <thead>
            <tr>
              <th scope="col">{per === 'hour' ? 'Hour (UTC)' : 'Day (UTC)'}</th>
              <th scope="col">Calls</th>
              <th scope="col">Errors</th>
              <th scope="col">Error rate</th>
              <th scope="col">p50 latency</th>
              <th scope="col">p95 latency</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.t}>
                <th scope="row">{r.label}</th>
                <td>{formatInt(r.requests)}</td>
                <td>{formatInt(r.errors)}</td>
                <td>{formatPercent(r.errorRate)}</td>
                <td>{formatMs(r.p50)}</td>
                <td>{formatMs(r.p95)}</td>
                <td>{formatUsd(r.cost)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </details>
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
