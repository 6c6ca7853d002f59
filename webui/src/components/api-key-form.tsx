import { type FormEvent, useState } from 'react';
import type { ApiKeyCreate } from '../api/types';
import { type ApiKeyForm, apiKeyBody, BUDGET_PERIODS, type BudgetPeriod, type FormErrors } from '../lib/api-key-form';
import { ALL, teams } from '../hooks/teams';
import { budgetText } from '../lib/team-form';
import { CacheFields } from './cache-fields';
import { Checkbox, Field, TextField } from './field';
import { ErrorNote } from './states';

/** Create or edit an API key: name, team, limits, budget and its alerts, model allowlist, tags, expiry. */
export function ApiKeyFormView({
  initial,
  submitLabel,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  initial: ApiKeyForm;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit: (body: ApiKeyCreate) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<FormErrors<ApiKeyForm>>({});
  const teamList = teams.useList({ limit: ALL });
  const team = teamList.data?.data.find((t) => t.id === form.teamId);
  const set =
    <K extends keyof ApiKeyForm>(key: K) =>
    (value: ApiKeyForm[K]) =>
      setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = apiKeyBody(form, undefined, team);
    if (!result.ok) return setErrors(result.errors);
    setErrors({});
    onSubmit(result.body);
  };
  return (
    <form onSubmit={submit} noValidate>
      <TextField label="Name" value={form.name} onChange={set('name')} error={errors.name} required maxLength={256} />
      <Field
        label="Team"
        hint={
          teamList.error
            ? 'The teams could not be loaded.'
            : team
              ? `The team's limits apply too: budget ${budgetText(team.budget, team.budget_period)}, models ${
                  team.allowed_models.length ? team.allowed_models.join(', ') : 'all'
                }.`
              : 'A team shares its limits, budget and model allowlist with its keys.'
        }
        error={errors.teamId}
      >
        {(a11y) => (
          <select
            {...a11y}
            value={form.teamId}
            aria-busy={teamList.isPending}
            onChange={(e) => set('teamId')(e.target.value)}
          >
            <option value="">No team</option>
            {(teamList.data?.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
                {t.enabled ? '' : ' (disabled)'}
              </option>
            ))}
            {form.teamId && teamList.data && !team ? <option value={form.teamId}>(unknown team)</option> : null}
          </select>
        )}
      </Field>
      <div className="grid">
        <TextField
          label="Requests per minute"
          inputMode="numeric"
          value={form.rateLimit}
          onChange={set('rateLimit')}
          error={errors.rateLimit}
          hint="Empty: no limit."
        />
        <TextField
          label="Tokens per minute"
          inputMode="numeric"
          value={form.tokensPerMinute}
          onChange={set('tokensPerMinute')}
          error={errors.tokensPerMinute}
          hint="Empty: no limit."
        />
        <TextField
          label="Budget (USD)"
          inputMode="decimal"
          value={form.budget}
          onChange={set('budget')}
          error={errors.budget}
          hint="Per budget period. Empty: no budget; 0 refuses every call."
        />
        <Field label="Budget period" hint="Calendar periods in UTC.">
          {(a11y) => (
            <select
              {...a11y}
              value={form.budgetPeriod}
              onChange={(e) => set('budgetPeriod')(e.target.value as BudgetPeriod)}
            >
              {BUDGET_PERIODS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <TextField
        label="Budget alerts (% of the budget)"
        value={form.alertThresholds}
        onChange={set('alertThresholds')}
        error={errors.alertThresholds}
        hint="Percentages separated by commas, e.g. 50, 80, 100: each sends a webhook alert once per period. Empty: 80, 100."
      />
      <TextField
        label="Allowed models"
        value={form.allowedModels}
        onChange={set('allowedModels')}
        error={errors.allowedModels}
        hint="Model or alias names, separated by commas. Empty: every model."
      />
      <CacheFields form={form.cache} onChange={set('cache')} error={errors.cache} />
      <Field label="Tags" hint="One key=value per line, e.g. team=search." error={errors.tags}>
        {(a11y) => <textarea {...a11y} rows={3} value={form.tags} onChange={(e) => set('tags')(e.target.value)} />}
      </Field>
      <TextField
        label="Expires"
        type="datetime-local"
        value={form.expiresAt}
        onChange={set('expiresAt')}
        error={errors.expiresAt}
        hint="Your local time. Empty: never expires."
      />
      <Checkbox label="Enabled" checked={form.enabled} onChange={set('enabled')} />
      <ErrorNote error={error} title="Not saved." />
      <div className="actions">
        <button type="submit" aria-busy={busy} disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
