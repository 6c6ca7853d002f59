import type { Model } from '../api/types';
import {
  MAX_RETRIES,
  MAX_TARGETS,
  newTarget,
  RETRY_CONDITIONS,
  RETRY_TEXT,
  type RoutingForm,
  STRATEGIES,
  STRATEGY_TEXT,
  type TargetRow,
} from '../lib/routing';
import { Field } from './field';

/** An alias's routing (SPEC §11): strategy, target rows (model, weight, priority), retries and retry_on. */
export function RoutingEditor({
  form,
  models,
  onChange,
}: {
  form: RoutingForm;
  models: Model[];
  onChange: (form: RoutingForm) => void;
}) {
  const setTarget = (i: number, patch: Partial<TargetRow>) =>
    onChange({ ...form, targets: form.targets.map((t, j) => (j === i ? { ...t, ...patch } : t)) });
  const toggleRetry = (c: (typeof RETRY_CONDITIONS)[number], on: boolean) =>
    onChange({ ...form, retryOn: on ? [...form.retryOn, c] : form.retryOn.filter((x) => x !== c) });
  return (
    <>
      <Field
        label="Strategy"
        hint="How a target is picked among those of the same priority. Least busy and latency read live figures every gateway pod shares."
      >
        {(a11y) => (
          <select
            {...a11y}
            value={form.strategy}
            onChange={(e) => onChange({ ...form, strategy: e.target.value as RoutingForm['strategy'] })}
          >
            {STRATEGIES.map((s) => (
              <option key={s} value={s}>
                {STRATEGY_TEXT[s]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <fieldset>
        <legend>Targets</legend>
        <p className="hint">
          Priority 0 is tried first; a higher number is a fallback, used when every target before it failed. Weights
          share the calls of one priority.
        </p>
        {form.targets.map((t, i) => (
          <div className="target-row" key={i} role="group" aria-label={`Target ${i + 1}`}>
            <label>
              Model
              <select value={t.model} onChange={(e) => setTarget(i, { model: e.target.value })}>
                <option value="">Choose a model</option>
                {t.model && !models.some((m) => m.name === t.model) ? <option value={t.model}>{t.model}</option> : null}
                {models.map((m) => (
                  <option key={m.id} value={m.name}>
                    {m.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Weight
              <input inputMode="decimal" value={t.weight} onChange={(e) => setTarget(i, { weight: e.target.value })} />
            </label>
            <label>
              Priority
              <input
                inputMode="numeric"
                value={t.priority}
                onChange={(e) => setTarget(i, { priority: e.target.value })}
              />
            </label>
            <button
              type="button"
              className="secondary outline"
              aria-label={`Remove target ${i + 1}`}
              disabled={form.targets.length === 1}
              onClick={() => onChange({ ...form, targets: form.targets.filter((_, j) => j !== i) })}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          className="secondary"
          disabled={form.targets.length >= MAX_TARGETS}
          onClick={() => onChange({ ...form, targets: [...form.targets, newTarget()] })}
        >
          Add a target
        </button>
      </fieldset>
      <Field label="Retries" hint="Extra attempts on other targets of the same priority before falling back.">
        {(a11y) => (
          <select
            {...a11y}
            value={form.retries}
            onChange={(e) => onChange({ ...form, retries: Number(e.target.value) })}
          >
            {Array.from({ length: MAX_RETRIES + 1 }, (_, n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="Attempt timeout"
        hint="How long an attempt waits for the provider's response headers before the next target is tried (30s, 500ms). Empty: no bound."
      >
        {(a11y) => (
          <input
            {...a11y}
            value={form.attemptTimeout}
            placeholder="none"
            onChange={(e) => onChange({ ...form, attemptTimeout: e.target.value })}
          />
        )}
      </Field>
      <fieldset>
        <legend>Retry on</legend>
        {RETRY_CONDITIONS.map((c) => (
          <label key={c} className="inline">
            <input
              type="checkbox"
              checked={form.retryOn.includes(c)}
              onChange={(e) => toggleRetry(c, e.target.checked)}
            />
            {RETRY_TEXT[c]}
          </label>
        ))}
        <small className="hint">
          Only before any byte reached the client. Other errors (a 400 from the provider, say) are answered at once.
        </small>
      </fieldset>
    </>
  );
}
