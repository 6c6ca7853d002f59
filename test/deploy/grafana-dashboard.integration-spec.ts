import {
  allPanels,
  balanced,
  type Dashboard,
  groupingLabels,
  loadDashboard,
  metricNames,
  queries,
} from '#test/deploy/dashboard';

/** The metrics of SPEC §9 the dashboard must show (histograms through their `_bucket` series). */
const SPEC_METRICS = [
  'llmgw_requests_total',
  'llmgw_request_duration_seconds_bucket',
  'llmgw_overhead_seconds_bucket',
  'llmgw_upstream_duration_seconds_bucket',
  'llmgw_time_to_first_token_seconds_bucket',
  'llmgw_tokens_total',
  'llmgw_cost_usd_total',
  'llmgw_rate_limited_total',
  'llmgw_budget_exceeded_total',
  'llmgw_queue_jobs',
  'llmgw_log_buffer_records',
  'llmgw_log_records_dropped_total',
  'llmgw_unmetered_calls_total',
];

describe('Grafana dashboard (deploy/grafana/llm-gateway.json)', () => {
  let dashboard: Dashboard;

  beforeAll(() => {
    dashboard = loadDashboard();
  });

  it('is a dashboard with a fixed uid and a Prometheus data-source variable every panel and query uses', () => {
    expect(dashboard.uid).toBe('llm-gateway');
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const panel of allPanels(dashboard).filter((p) => p.type !== 'row')) {
      expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) expect(t.datasource?.uid).toBe('${datasource}');
    }
  });

  it('gives panels unique ids and non-overlapping places on the 24-column grid', () => {
    const panels = allPanels(dashboard);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const owner = new Map<string, string>();
    const overlaps: string[] = [];
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const other = owner.get(`${x},${y}`);
          if (other) overlaps.push(`${p.title} overlaps ${other}`);
          owner.set(`${x},${y}`, p.title);
        }
    }
    expect([...new Set(overlaps)]).toEqual([]);
  });

  it('queries every metric of SPEC §9', () => {
    const used = new Set(queries(dashboard).flatMap((q) => metricNames(q.expr)));
    expect(SPEC_METRICS.filter((m) => !used.has(m))).toEqual([]);
  });

  it('has a routing row and a response-cache row on their metrics (SPEC §11, §14)', () => {
    const used = new Set(queries(dashboard).flatMap((q) => metricNames(q.expr)));
    const wanted = [
      'llmgw_attempts_total',
      'llmgw_fallbacks_total',
      'llmgw_target_cooldowns_total',
      'llmgw_cache_hits_total',
      'llmgw_cache_misses_total',
      'llmgw_cache_saved_usd_total',
    ];
    expect(wanted.filter((m) => !used.has(m))).toEqual([]);
    const rows = allPanels(dashboard)
      .filter((p) => p.type === 'row')
      .map((p) => p.title);
    expect(rows).toEqual(expect.arrayContaining(['Routing', 'Response cache']));
  });

  it('writes well-formed PromQL: balanced brackets, a metric in each query, quantiles over buckets by le', () => {
    for (const { where, expr } of queries(dashboard)) {
      expect({ where, balanced: balanced(expr) }).toEqual({ where, balanced: true });
      expect({ where, metrics: metricNames(expr).length > 0 }).toEqual({ where, metrics: true });
      if (expr.includes('histogram_quantile')) {
        expect({ where, buckets: metricNames(expr).every((m) => m.endsWith('_bucket')) }).toEqual({
          where,
          buckets: true,
        });
        expect({ where, le: groupingLabels(expr).includes('le') }).toEqual({ where, le: true });
      }
    }
  });

  it('aggregates the Redis-wide worker gauges with max, since every worker reports the same value', () => {
    for (const { where, expr } of queries(dashboard)) {
      for (const gauge of ['llmgw_queue_jobs', 'llmgw_log_buffer_records']) {
        if (!expr.includes(gauge)) continue;
        expect({ where, expr: expr.trim() }).toEqual({ where, expr: expect.stringMatching(/^max\b/) });
      }
    }
  });
});
