import { type CacheForm, cacheFormFrom, parseCache } from './cache-field';
import type { ApiKey, ApiKeyCreate, Team } from '../api/types';

export type BudgetPeriod = ApiKeyCreate['budget_period'];
export const BUDGET_PERIODS: { value: BudgetPeriod; label: string }[] = [
  { value: 'day', label: 'Day (UTC)' },
  { value: 'week', label: 'Week (from Monday, UTC)' },
  { value: 'month', label: 'Month (UTC)' },
];
import { isoToLocalInput, localInputToIso } from './dates';
import { formatTags, formatThresholds, parseAmount, parseLimit, parseList, parseTags, parseThresholds } from './fields';

/** The API key form as the inputs hold it (text), before validation. */
export interface ApiKeyForm {
  name: string;
  enabled: boolean;
  allowedModels: string;
  rateLimit: string;
  tokensPerMinute: string;
  budget: string;
  budgetPeriod: BudgetPeriod;
  alertThresholds: string;
  /** '' = no team. */
  teamId: string;
  expiresAt: string;
  tags: string;
  cache: CacheForm;
}

export const emptyApiKeyForm = (): ApiKeyForm => ({
  name: '',
  enabled: true,
  allowedModels: '',
  rateLimit: '',
  tokensPerMinute: '',
  budget: '',
  budgetPeriod: 'month',
  alertThresholds: '',
  teamId: '',
  expiresAt: '',
  tags: '',
  cache: cacheFormFrom(null),
});

export const apiKeyFormFrom = (key: ApiKey): ApiKeyForm => ({
  name: key.name,
  enabled: key.enabled,
  allowedModels: key.allowed_models.join(', '),
  rateLimit: key.rate_limit === null ? '' : String(key.rate_limit),
  tokensPerMinute: key.tokens_per_minute === null ? '' : String(key.tokens_per_minute),
  budget: key.budget ?? '',
  budgetPeriod: key.budget_period,
  alertThresholds: formatThresholds(key.alert_thresholds),
  teamId: key.team_id ?? '',
  expiresAt: isoToLocalInput(key.expires_at),
  tags: formatTags(key.tags),
  cache: cacheFormFrom(key.cache),
});

export type FormErrors<F> = Partial<Record<keyof F, string>>;

/**
 * The gateway's rule for a key in a team (SPEC §13): when the team lists models, the key must list models too, all
 * of them in the team's list. Checked here so the form can say so next to the field; the API checks it again.
 */
export function allowlistProblem(models: string[], team: Pick<Team, 'name' | 'allowed_models'> | undefined) {
  if (!team || team.allowed_models.length === 0) return undefined;
  if (models.length === 0)
    return `Team "${team.name}" allows only ${team.allowed_models.join(', ')}: list the models this key may use, within those.`;
  const outside = models.filter((m) => !team.allowed_models.includes(m));
  if (outside.length === 0) return undefined;
  return `Team "${team.name}" does not allow ${outside.join(', ')}. Its models: ${team.allowed_models.join(', ')}.`;
}

/**
 * The create/PATCH body, or the problems per field. Every field is sent, so clearing an input clears the
 * setting (null = no limit, no budget, no expiry, no team, the default alerts; empty models = all models).
 * `team` is the selected team, when known, to check the allowlist against it.
 */
export function apiKeyBody(
  form: ApiKeyForm,
  now = Date.now(),
  team?: Pick<Team, 'name' | 'allowed_models'>,
): { ok: true; body: ApiKeyCreate } | { ok: false; errors: FormErrors<ApiKeyForm> } {
  const errors: FormErrors<ApiKeyForm> = {};
  const name = form.name.trim();
  if (!name) errors.name = 'Give the key a name, such as the application that uses it.';
  else if (name.length > 256) errors.name = 'The name is longer than 256 characters.';
  const rate = parseLimit(form.rateLimit, 'Requests per minute');
  if (!rate.ok) errors.rateLimit = rate.error;
  const tpm = parseLimit(form.tokensPerMinute, 'Tokens per minute');
  if (!tpm.ok) errors.tokensPerMinute = tpm.error;
  const budget = parseAmount(form.budget, 'The budget');
  if (!budget.ok) errors.budget = budget.error;
  const thresholds = parseThresholds(form.alertThresholds);
  if (!thresholds.ok) errors.alertThresholds = thresholds.error;
  const tags = parseTags(form.tags);
  if (!tags.ok) errors.tags = tags.error;
  const cache = parseCache(form.cache);
  if (!cache.ok) errors.cache = cache.error;
  const models = parseList(form.allowedModels);
  const outside = allowlistProblem(models, form.teamId ? team : undefined);
  if (outside) errors.allowedModels = outside;
  const expires = localInputToIso(form.expiresAt);
  if (form.expiresAt && !expires) errors.expiresAt = 'The expiry is not a valid date and time.';
  else if (expires && Date.parse(expires) <= now) errors.expiresAt = 'The expiry must be in the future.';
  if (Object.keys(errors).length > 0 || !rate.ok || !tpm.ok || !budget.ok || !tags.ok || !thresholds.ok || !cache.ok)
    return { ok: false, errors };
  return {
    ok: true,
    body: {
      name,
      enabled: form.enabled,
      allowed_models: models,
      rate_limit: rate.value,
      tokens_per_minute: tpm.value,
      budget: budget.value,
      budget_period: form.budgetPeriod,
      alert_thresholds: thresholds.value,
      team_id: form.teamId || null,
      expires_at: expires || null,
      tags: tags.value,
      cache: cache.value,
    },
  };
}
