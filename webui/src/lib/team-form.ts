import type { Team, TeamCreate } from '../api/types';
import { type BudgetPeriod, type FormErrors } from './api-key-form';
import { type CacheForm, cacheFormFrom, parseCache } from './cache-field';
import { formatTags, formatThresholds, parseAmount, parseLimit, parseList, parseTags, parseThresholds } from './fields';
import { formatUsd } from './format';

/** The team form as the inputs hold it (text), before validation. */
export interface TeamForm {
  name: string;
  enabled: boolean;
  allowedModels: string;
  rateLimit: string;
  tokensPerMinute: string;
  budget: string;
  budgetPeriod: BudgetPeriod;
  alertThresholds: string;
  tags: string;
  cache: CacheForm;
}

export const emptyTeamForm = (): TeamForm => ({
  name: '',
  enabled: true,
  allowedModels: '',
  rateLimit: '',
  tokensPerMinute: '',
  budget: '',
  budgetPeriod: 'month',
  alertThresholds: '',
  tags: '',
  cache: cacheFormFrom(null),
});

export const teamFormFrom = (team: Team): TeamForm => ({
  name: team.name,
  enabled: team.enabled,
  allowedModels: team.allowed_models.join(', '),
  rateLimit: team.rate_limit === null ? '' : String(team.rate_limit),
  tokensPerMinute: team.tokens_per_minute === null ? '' : String(team.tokens_per_minute),
  budget: team.budget ?? '',
  budgetPeriod: team.budget_period,
  alertThresholds: formatThresholds(team.alert_thresholds),
  tags: formatTags(team.tags),
  cache: cacheFormFrom(team.cache),
});

/**
 * The create/PATCH body, or the problems per field. Every field is sent, so clearing an input clears the setting
 * (null = no limit, no budget, the default alerts; empty models = all models).
 */
export function teamBody(form: TeamForm): { ok: true; body: TeamCreate } | { ok: false; errors: FormErrors<TeamForm> } {
  const errors: FormErrors<TeamForm> = {};
  const name = form.name.trim();
  if (!name) errors.name = 'Give the team a name, such as the group or product it stands for.';
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
  if (!rate.ok || !tpm.ok || !budget.ok || !thresholds.ok || !tags.ok || !cache.ok || errors.name)
    return { ok: false, errors };
  return {
    ok: true,
    body: {
      name,
      enabled: form.enabled,
      allowed_models: parseList(form.allowedModels),
      rate_limit: rate.value,
      tokens_per_minute: tpm.value,
      budget: budget.value,
      budget_period: form.budgetPeriod,
      alert_thresholds: thresholds.value,
      tags: tags.value,
      cache: cache.value,
    },
  };
}

/** "$200 / week", or "none". */
export const budgetText = (budget: string | null, period: BudgetPeriod): string =>
  budget === null ? 'none' : `${formatUsd(budget)} / ${period}`;

/** [0.8, 1] → "80 %, 100 %". */
export const thresholdsText = (fractions: readonly number[]): string =>
  formatThresholds(fractions)
    .split(', ')
    .filter(Boolean)
    .map((p) => `${p} %`)
    .join(', ');
