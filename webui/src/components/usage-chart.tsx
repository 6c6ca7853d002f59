import { useMemo } from 'react';
import type { UsageRow } from '../api/types';
import { daysBetween } from '../lib/dates';
import { ChartView } from './chart';

/** Calls (bars) and cost (line, right axis) per UTC day over `[from, to)`, days without calls as zero. */
export function DailyUsageChart({
  rows,
  from,
  to,
  label,
}: {
  rows: UsageRow[];
  from: string;
  to: string;
  label: string;
}) {
  const { labels, series } = useMemo(() => {
    const days = daysBetween(from, to);
    const byDay = new Map(rows.map((r) => [r.day, r]));
    return {
      labels: days.map((d) => d.slice(5)),
      series: [
        { label: 'Calls', data: days.map((d) => byDay.get(d)?.requests ?? 0), kind: 'bar' as const },
        {
          label: 'Cost (USD)',
          data: days.map((d) => Number(byDay.get(d)?.cost_usd ?? 0)),
          kind: 'line' as const,
          right: true,
        },
      ],
    };
  }, [rows, from, to]);
  return <ChartView type="bar" labels={labels} series={series} label={label} />;
}
