import { useMemo } from 'react';
import { formatInt, formatUsd } from '../lib/format';
import { formatMs, formatPercent, type OverviewRange, overviewCharts, type OverviewRow } from '../lib/overview';
import { ChartView } from './chart';
import { TableWrap } from './table-wrap';

/**
 * Calls and error rate, p50/p95 latency and cost per bucket of a range, and the same numbers in a table: the overview
 * charts every call this way, a key's page its own calls.
 */
export function TrafficCharts({ rows, range }: { rows: OverviewRow[]; range: OverviewRange }) {
  const charts = useMemo(() => overviewCharts(rows), [rows]);
  const per = range.bucket === 'hour' ? 'hour' : 'day';
  const over = range.label.toLowerCase();
  return (
    <>
      <div className="charts">
        <article>
          <h3>Calls and error rate</h3>
          <ChartView
            type="bar"
            label={`Calls and error rate per ${per}, ${over}`}
            labels={charts.labels}
            series={charts.calls}
          />
        </article>
        <article>
          <h3>Latency (p50 and p95)</h3>
          <ChartView
            type="line"
            label={`p50 and p95 latency per ${per} in milliseconds, ${over}`}
            labels={charts.labels}
            series={charts.latency}
          />
        </article>
        <article>
          <h3>Cost</h3>
          <ChartView type="bar" label={`Cost per ${per} in USD, ${over}`} labels={charts.labels} series={charts.cost} />
        </article>
      </div>
      <SeriesTable rows={rows} per={per} />
    </>
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
