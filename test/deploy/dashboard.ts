import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '#test/utils/processes';

/** deploy/grafana/llm-gateway.json, its PromQL, and the Prometheus text format, for the dashboard specs. */

export const DASHBOARD_FILE = join(ROOT, 'deploy/grafana/llm-gateway.json');

export interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
  gridPos: { h: number; w: number; x: number; y: number };
}
export interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel, including those nested in collapsed rows. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every PromQL expression of the dashboard: panel targets and query variables (`label_values(...)`). */
export function queries(d: Dashboard): { where: string; expr: string }[] {
  const fromPanels = allPanels(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })),
  );
  const fromVariables = d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({
      where: `variable $${v.name}`,
      expr: typeof v.query === 'string' ? v.query : (v.query?.query ?? ''),
    }));
  return [...fromPanels, ...fromVariables];
}

/** Metric names an expression selects (the gateway's own and the default Node/process metrics). */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(?:llmgw|process|nodejs)_[a-z0-9_]+\b/g)].map((m) => m[0]))];
}

/** Brackets of a PromQL expression (outside string literals) open and close in order. */
export function balanced(expr: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const ch of expr.replace(/"[^"]*"/g, '""')) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0;
}

/** Label matchers per metric: `metric{a="x", b=~"y"}` → metric → [{label, op, value}]. */
export function matchers(expr: string): { metric: string; label: string; op: string; value: string }[] {
  return [...expr.matchAll(/\b((?:llmgw|process|nodejs)_[a-z0-9_]+)\s*\{([^}]*)\}/g)].flatMap((m) =>
    [...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((x) => ({
      metric: m[1],
      label: x[1],
      op: x[2],
      value: x[3],
    })),
  );
}

/** Labels named in `by (...)`, `without (...)`, `on (...)`, `ignoring (...)` and `label_values(metric, label)`. */
export function groupingLabels(expr: string): string[] {
  const lists = [...expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].map((m) => m[1]);
  const labelValues = [...expr.matchAll(/label_values\(\s*[a-z0-9_]+\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g)].map(
    (m) => m[1],
  );
  return [
    ...new Set([...lists.flatMap((l) => l.split(',').map((s) => s.trim())), ...labelValues].filter((s) => s !== '')),
  ];
}

/** Labels Prometheus itself attaches to every scraped series: they never appear in /metrics. */
export const TARGET_LABELS = ['instance', 'job'];

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format into samples (comments and blank lines skipped). */
export function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) throw new Error(`unparsed metrics line: ${line}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
      );
      return { name: m[1], labels, value: Number(m[3]) };
    });
}
