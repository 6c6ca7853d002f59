import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml } from '#test/deploy/manifests';
import { ROOT } from '#test/utils/processes';

export const ALERTS_FILE = join(ROOT, 'deploy/prometheus/llm-gateway-alerts.yaml');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The alerting rules of deploy/prometheus, parsed strictly (one document: `groups` of `rules`). */
export function loadAlertRules(): { group: string; rule: AlertRule }[] {
  const docs = parseYaml(ALERTS_FILE, readFileSync(ALERTS_FILE, 'utf8')) as {
    groups: { name: string; rules: AlertRule[] }[];
  }[];
  if (docs.length !== 1) throw new Error(`${ALERTS_FILE}: expected one YAML document, got ${docs.length}`);
  return docs[0].groups.flatMap((g) => g.rules.map((rule) => ({ group: g.name, rule })));
}

/** Each rule's PromQL, named like the dashboard's queries so the same checks run on both. */
export function alertQueries(): { where: string; expr: string }[] {
  return loadAlertRules().map(({ rule }) => ({ where: `alert ${rule.alert}`, expr: rule.expr }));
}
