import { type FormEvent, useState } from 'react';
import type { TeamCreate } from '../api/types';
import { BUDGET_PERIODS, type BudgetPeriod, type FormErrors } from '../lib/api-key-form';
import { type TeamForm, teamBody } from '../lib/team-form';
import { CacheFields } from './cache-fields';
import { Checkbox, Field, TextField } from './field';
import { ErrorNote } from './states';

/** Create or edit a team: name, shared limits, budget with its period and alerts, model allowlist, tags. */
export function TeamFormView({
  initial,
  submitLabel,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  initial: TeamForm;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit: (body: TeamCreate) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<FormErrors<TeamForm>>({});
  const set =
    <K extends keyof TeamForm>(key: K) =>
    (value: TeamForm[K]) =>
      setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = teamBody(form);
    if (!result.ok) return setErrors(result.errors);
    setErrors({});
    onSubmit(result.body);
  };
  return (
    <form onSubmit={submit} noValidate>
      <TextField label="Name" value={form.name} onChange={set('name')} error={errors.name} required maxLength={256} />
      <p className="hint">The team&apos;s limits are shared by all its keys, on top of each key&apos;s own.</p>
      <div className="grid">
        <TextField
          label="Requests per minute"
          inputMode="numeric"
          value={form.rateLimit}
          onChange={set('rateLimit')}
          error={errors.rateLimit}
          hint="Over all the team's keys. Empty: no limit."
        />
        <TextField
          label="Tokens per minute"
          inputMode="numeric"
          value={form.tokensPerMinute}
          onChange={set('tokensPerMinute')}
          error={errors.tokensPerMinute}
          hint="Over all the team's keys. Empty: no limit."
        />
      </div>
      <div className="grid">
        <TextField
          label="Budget (USD)"
          inputMode="decimal"
          value={form.budget}
          onChange={set('budget')}
          error={errors.budget}
          hint="Per budget period, for all the team's keys. Empty: no budget; 0 refuses every call."
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
        hint="Model or alias names, separated by commas. Empty: every model. Each key's own list must be within it."
      />
      <CacheFields form={form.cache} onChange={set('cache')} error={errors.cache} />
      <Field label="Tags" hint="One key=value per line, e.g. cost_center=cc-42." error={errors.tags}>
        {(a11y) => <textarea {...a11y} rows={2} value={form.tags} onChange={(e) => set('tags')(e.target.value)} />}
      </Field>
      <Checkbox label="Enabled" checked={form.enabled} onChange={set('enabled')} />
      <p className="hint">Disabling a team refuses every call of its keys at once.</p>
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
