import type { ApiKey, ApiKeyCreate } from '../api/types';

export type BudgetPeriod = ApiKeyCreate['budget_period'];
export const BUDGET_PERIODS: { value: BudgetPeriod; label: string }[] = [
  { value: 'day', label: 'Day (UTC)' },
  { value: 'week', label: 'Week (from Monday, UTC)' },
  { value: 'month', label: 'Month (UTC)' },
];
import { isoToLocalInput, localInputToIso } from './dates';
import { formatTags, parseAmount, parseLimit, parseList, parseTags } from './fields';

/** The API key form as the inputs hold it (text), before validation. */
export interface ApiKeyForm {
  name: string;
  enabled: boolean;
  allowedModels: string;
  rateLimit: string;
  tokensPerMinute: string;
  budget: string;
  budgetPeriod: BudgetPeriod;
  expiresAt: string;
  tags: string;
}

export const emptyApiKeyForm = (): ApiKeyForm => ({
  name: '',
  enabled: true,
  allowedModels: '',
  rateLimit: '',
  tokensPerMinute: '',
  budget: '',
  budgetPeriod: 'month',
  expiresAt: '',
  tags: '',
});

export const apiKeyFormFrom = (key: ApiKey): ApiKeyForm => ({
  name: key.name,
  enabled: key.enabled,
  allowedModels: key.allowed_models.join(', '),
  rateLimit: key.rate_limit === null ? '' : String(key.rate_limit),
  tokensPerMinute: key.tokens_per_minute === null ? '' : String(key.tokens_per_minute),
  budget: key.budget ?? '',
  budgetPeriod: key.budget_period,
  expiresAt: isoToLocalInput(key.expires_at),
  tags: formatTags(key.tags),
});

export type FormErrors<F> = Partial<Record<keyof F, string>>;

/**
 * The create/PATCH body, or the problems per field. Every field is sent, so clearing an input clears the
 * setting (null = no limit, no budget, no expiry; empty models = all models).
 */
export function apiKeyBody(
  form: ApiKeyForm,
  now = Date.now(),
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
  const tags = parseTags(form.tags);
  if (!tags.ok) errors.tags = tags.error;
  const expires = localInputToIso(form.expiresAt);
  if (form.expiresAt && !expires) errors.expiresAt = 'The expiry is not a valid date and time.';
  else if (expires && Date.parse(expires) <= now) errors.expiresAt = 'The expiry must be in the future.';
  if (Object.keys(errors).length > 0 || !rate.ok || !tpm.ok || !budget.ok || !tags.ok) return { ok: false, errors };
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
      expires_at: expires || null,
      tags: tags.value,
    },
  };
}
