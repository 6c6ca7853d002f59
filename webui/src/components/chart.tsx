import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'react';

// only what the console draws, so the bundle carries no other chart types
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
);

export interface Series {
  label: string;
  /** null: no value for that label (a line leaves a gap). */
  data: (number | null)[];
  /** A second y axis on the right (e.g. cost next to calls). */
  right?: boolean;
  kind?: 'bar' | 'line';
}

const PALETTE = ['#0172ad', '#d93526', '#2a9d8f', '#e9a23b', '#8e44ad', '#5c7cfa'];

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/**
 * A Chart.js chart. `label` names it for screen readers; every page also shows the numbers in a table, the
 * accessible form of the same data.
 */
export function ChartView({
  type,
  labels,
  series,
  label,
  height = 260,
  horizontal = false,
}: {
  type: 'bar' | 'line';
  labels: string[];
  series: Series[];
  label: string;
  height?: number;
  horizontal?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  // redraw when the numbers change, not whenever a parent re-renders with equal but new arrays
  const data = JSON.stringify({ labels, series });
  useEffect(() => {
    if (!canvas.current) return;
    const { labels, series } = JSON.parse(data) as { labels: string[]; series: Series[] };
    const text = cssVar('--pico-muted-color', '#777');
    const grid = cssVar('--pico-muted-border-color', '#ddd');
    const hasRight = series.some((s) => s.right);
    const datasets = series.map((s, i): ChartDataset<'bar' | 'line'> => {
      const color = PALETTE[i % PALETTE.length];
      const dataset: ChartDataset<'bar' | 'line'> = {
        type: s.kind ?? type,
        label: s.label,
        data: s.data,
        backgroundColor: color,
        borderColor: color,
        yAxisID: s.right ? 'y1' : 'y',
        pointRadius: 2,
        tension: 0.2,
      };
      return dataset;
    });
    const chart = new Chart(canvas.current, {
      type,
      data: { labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? 'y' : 'x',
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { display: series.length > 1, labels: { color: text } } },
        scales: {
          x: { ticks: { color: text }, grid: { color: grid } },
          y: { beginAtZero: true, ticks: { color: text }, grid: { color: grid } },
          ...(hasRight
            ? { y1: { position: 'right', beginAtZero: true, ticks: { color: text }, grid: { display: false } } }
            : {}),
        },
      },
    });
    return () => chart.destroy();
  }, [type, data, horizontal]);
  return (
    <div className="chart" style={{ position: 'relative', height }}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
