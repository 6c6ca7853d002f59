import { type AlertRule, loadAlertRules } from '#test/deploy/alerts';
import { balanced, metricNames } from '#test/deploy/dashboard';

/** Prometheus durations as a rule's `for` takes them (`5m`, `1h30m`). */
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const SEVERITIES = ['critical', 'warning', 'info'];
/** Redis-wide gauges: every worker reports the same value, so summing them would count each job once per worker. */
const WORKER_GAUGES = ['llmgw_queue_jobs', 'llmgw_log_buffer_records'];

/**
 * The alert rules of deploy/prometheus. test/deploy/running-apps.integration-spec.ts checks their metrics,
 * labels and matched values on running apps; this checks the file itself and that the dead letters are alerted on.
 */
describe('Prometheus alert rules (deploy/prometheus/llm-gateway-alerts.yaml)', () => {
  let rules: AlertRule[];

  beforeAll(() => {
    rules = loadAlertRules().map((r) => r.rule);
  });

  it('gives every rule a unique name, a severity, a summary and well-formed PromQL over gateway metrics', () => {
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const r of rules) {
      const where = r.alert;
      expect({ where, name: /^[A-Z][A-Za-z0-9]+$/.test(r.alert) }).toEqual({ where, name: true });
      expect({ where, balanced: balanced(r.expr) }).toEqual({ where, balanced: true });
      expect({ where, metrics: metricNames(r.expr).length > 0 }).toEqual({ where, metrics: true });
      expect({ where, for: r.for === undefined || DURATION.test(r.for) }).toEqual({ where, for: true });
      expect({ where, severity: SEVERITIES.includes(r.labels?.severity ?? '') }).toEqual({ where, severity: true });
      expect({ where, summary: (r.annotations?.summary ?? '').length > 0 }).toEqual({ where, summary: true });
      expect(Object.keys(r).filter((k) => !['alert', 'expr', 'for', 'labels', 'annotations'].includes(k))).toEqual([]);
      for (const gauge of WORKER_GAUGES.filter((g) => r.expr.includes(g)))
        expect({ where, gauge, max: !/\bsum\b/.test(r.expr) && /\bmax\b/.test(r.expr) }).toEqual({
          where,
          gauge,
          max: true,
        });
    }
  });

  it('alerts on kept failed billing jobs after 5 minutes, and on failing audit flushes', () => {
    const billing = rules.find((r) => r.alert === 'LlmGatewayBillingJobsFailed');
    expect(billing).toMatchObject({
      expr: 'max(llmgw_queue_jobs{queue="billing", state="failed"}) > 0',
      for: '5m',
      labels: { severity: 'critical' },
    });
    expect(billing?.annotations?.description).toMatch(/billing-failed replay/);
    const audit = rules.find((r) => r.alert === 'LlmGatewayAuditFlushJobsFailing');
    expect(audit?.expr).toMatch(/llmgw_queue_jobs\{queue="log-flush", state="failed"\}/);
    expect(audit?.for).toBe('5m');
  });
});
