import type { Alias, AliasRouting, AliasRoutingView, Model } from '../api/types';
import { ApiError } from '../api/errors';

export type RoutingStrategy = AliasRouting['strategy'];
export type RetryCondition = AliasRouting['retry_on'][number];

/** The strategies the gateway routes by (SPEC §11). */
export const STRATEGIES = ['weighted', 'least_busy', 'latency', 'cost'] as const satisfies readonly RoutingStrategy[];
export const STRATEGY_TEXT: Record<(typeof STRATEGIES)[number], string> = {
  weighted: 'Weighted: random by weight',
  least_busy: 'Least busy: fewest calls in flight',
  latency: 'Latency: fastest recent first byte',
  cost: 'Cost: cheapest priced target first',
};
/** How the alias list names a strategy. */
export const STRATEGY_SHORT: Record<RoutingStrategy, string> = {
  weighted: 'weighted',
  least_busy: 'least busy first',
  latency: 'fastest first',
  cost: 'cheapest first',
};
export const RETRY_CONDITIONS = ['429', '5xx', 'timeout', 'connect'] as const satisfies readonly RetryCondition[];
export const RETRY_TEXT: Record<RetryCondition, string> = {
  '429': '429 (rate limited)',
  '5xx': '5xx (provider error)',
  timeout: 'Timeout',
  connect: 'Connection failure',
};
export const MAX_TARGETS = 16;
export const MAX_RETRIES = 5;
const MAX_WEIGHT = 1_000_000;

/** One target row as typed: numbers stay text until the form is checked. */
export interface TargetRow {
  model: string;
  weight: string;
  priority: string;
}

export interface RoutingForm {
  strategy: (typeof STRATEGIES)[number];
  targets: TargetRow[];
  retries: number;
  retryOn: RetryCondition[];
  /** `attempt_timeout` as typed (`30s`, `500ms`); empty for none. */
  attemptTimeout: string;
}

export const newTarget = (model = ''): TargetRow => ({ model, weight: '1', priority: '0' });

/** The API's defaults (SPEC §11), starting from the alias's current model when it had one. */
export const newRoutingForm = (model = ''): RoutingForm => ({
  strategy: 'weighted',
  targets: [newTarget(model)],
  retries: 1,
  retryOn: [...RETRY_CONDITIONS],
  attemptTimeout: '',
});

/** An alias's routing as the form shows it; a target whose model is gone keeps an empty model to choose again. */
export function routingFormFrom(routing: AliasRoutingView, models: Model[]): RoutingForm {
  return {
    strategy: routing.strategy,
    targets: routing.targets.map((t) => ({
      model: t.model ?? models.find((m) => m.id === t.model_id)?.name ?? '',
      weight: String(t.weight),
      priority: String(t.priority),
    })),
    retries: routing.retries,
    retryOn: RETRY_CONDITIONS.filter((c) => routing.retry_on.includes(c)),
    attemptTimeout: routing.attempt_timeout ?? '',
  };
}

/** The `routing` body to send, or one message per problem ("Target 2: ..."). */
export function routingBody(form: RoutingForm): { ok: true; routing: AliasRouting } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  if (form.targets.length === 0) errors.push('Add at least one target.');
  if (form.targets.length > MAX_TARGETS) errors.push(`At most ${MAX_TARGETS} targets.`);
  const seen = new Set<string>();
  form.targets.forEach((t, i) => {
    const where = `Target ${i + 1}`;
    if (!t.model) errors.push(`${where}: choose a model.`);
    else if (seen.has(t.model)) errors.push(`${where}: ${t.model} is already a target; name each model once.`);
    seen.add(t.model);
    const weight = t.weight.trim();
    if (!/^\d+(\.\d+)?$/.test(weight) || Number(weight) <= 0 || Number(weight) > MAX_WEIGHT)
      errors.push(`${where}: the weight must be a number above 0 (up to ${MAX_WEIGHT.toLocaleString('en-US')}).`);
    const priority = t.priority.trim();
    if (!/^\d+$/.test(priority) || Number(priority) > 100)
      errors.push(`${where}: the priority must be a whole number from 0 to 100.`);
  });
  if (!Number.isInteger(form.retries) || form.retries < 0 || form.retries > MAX_RETRIES)
    errors.push(`Retries must be a whole number from 0 to ${MAX_RETRIES}.`);
  const attemptTimeout = form.attemptTimeout.trim();
  if (attemptTimeout && !/^\d+(ms|s|m)$/.test(attemptTimeout))
    errors.push('The attempt timeout must be a duration such as 30s or 500ms, or empty for none.');
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    routing: {
      strategy: form.strategy,
      targets: form.targets.map((t) => ({
        model: t.model,
        weight: Number(t.weight.trim()),
        priority: Number(t.priority.trim()),
      })),
      retries: form.retries,
      retry_on: RETRY_CONDITIONS.filter((c) => form.retryOn.includes(c)),
      attempt_timeout: attemptTimeout || null,
    },
  };
}

export interface TargetGroup {
  priority: number;
  targets: { model: string; weight: number; share: number | null }[];
}

/**
 * The targets by priority group, first tried first, with each target's share of its group's calls under
 * `weighted` (null under `cost`, where weights do not decide, and for a target alone in its group).
 */
export function targetGroups(routing: AliasRoutingView): TargetGroup[] {
  const priorities = [...new Set(routing.targets.map((t) => t.priority))].sort((a, b) => a - b);
  return priorities.map((priority) => {
    const members = routing.targets.filter((t) => t.priority === priority);
    const total = members.reduce((sum, t) => sum + t.weight, 0);
    return {
      priority,
      targets: members
        .map((t) => ({
          model: t.model ?? `deleted model ${t.model_id}`,
          weight: t.weight,
          share:
            routing.strategy === 'weighted' && members.length > 1 && total > 0
              ? Math.round((t.weight / total) * 100)
              : null,
        }))
        .sort((a, b) => b.weight - a.weight),
    };
  });
}

/** "weighted, 1 retry on 429, 5xx, timeout, connect" for the list. */
export function describeRetries(routing: AliasRoutingView): string {
  const retries = `${routing.retries} ${routing.retries === 1 ? 'retry' : 'retries'}`;
  const on = routing.retry_on.length ? `on ${routing.retry_on.join(', ')}` : 'on no failure (none retried)';
  const bound = routing.attempt_timeout ? `; each attempt waits at most ${routing.attempt_timeout} for headers` : '';
  return `${retries} per group ${on}${bound}`;
}

/** The alias form's mode: it stands for one model, or routes over several. */
export const aliasMode = (alias: Alias | null): 'model' | 'routing' => (alias?.routing ? 'routing' : 'model');

const REWRITES: [RegExp, (...m: string[]) => string][] = [
  [/^routing\.targets names '(.+)' twice$/, (_, m) => `${m} is a target twice; name each model once.`],
  [/^routing\.targets: '(.+)' is an alias; targets are models$/, (_, m) => `${m} is an alias; targets must be models.`],
  [
    /^routing\.targets: model '(.+)' does not exist$/,
    (_, m) => `There is no model named ${m} (it may have been renamed or deleted meanwhile).`,
  ],
  [/^model_id or routing is required$/, () => 'Choose a model, or route over at least one target.'],
  [
    /^routing\.targets\.(\d+)\.weight must not be (less|greater) than .+$/,
    (_, i) => `Target ${Number(i) + 1}: the weight must be above 0 and at most 1,000,000.`,
  ],
  [
    /^routing\.targets\.(\d+)\.priority must not be (less|greater) than .+$/,
    (_, i) => `Target ${Number(i) + 1}: the priority must be from 0 to 100.`,
  ],
];

/** The API's refusal of an alias in words: its routing messages reworded, anything else as the API said it. */
export function aliasErrorText(error: unknown): unknown {
  if (!(error instanceof ApiError) || error.details.length === 0) return error;
  const said = error.details.map((d) => {
    for (const [re, words] of REWRITES) {
      const m = re.exec(d.trim());
      if (m) return words(...m);
    }
    const t = d.trim();
    const first = t ? t[0].toUpperCase() + t.slice(1) : t;
    return /[.!?]$/.test(first) ? first : `${first}.`;
  });
  return new ApiError(error.kind, said.join(' '), error.status, error.details, error.code);
}

/** What an alias stands for, as the body's `model_id` and `routing`: one model, or routing (model_id then null). */
export function aliasTarget(
  mode: 'model' | 'routing',
  modelId: string,
  form: RoutingForm,
): { ok: true; fields: { model_id?: string; routing: AliasRouting | null } } | { ok: false; errors: string[] } {
  if (mode === 'model')
    return modelId
      ? { ok: true, fields: { model_id: modelId, routing: null } }
      : { ok: false, errors: ['Choose the model it stands for.'] };
  const routing = routingBody(form);
  return routing.ok ? { ok: true, fields: { routing: routing.routing } } : routing;
}
