import { CACHE_SCOPES, type CacheForm, type CacheScope } from '../lib/cache-field';
import { Field, TextField } from './field';

/** The response-cache setting of a key, team, alias or model: how long, and who shares the answers. */
export function CacheFields({
  form,
  onChange,
  error,
}: {
  form: CacheForm;
  onChange: (form: CacheForm) => void;
  error?: string;
}) {
  return (
    <div className="grid">
      <TextField
        label="Cache answers for"
        value={form.ttl}
        onChange={(ttl) => onChange({ ...form, ttl })}
        error={error}
        placeholder="e.g. 1h"
        hint="Identical calls answered from the cache at no cost. Empty: not set here; 0s: off."
      />
      <Field label="Cache shared by">
        {(a11y) => (
          <select
            {...a11y}
            value={form.scope}
            onChange={(e) => onChange({ ...form, scope: e.target.value as CacheScope })}
          >
            {CACHE_SCOPES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        )}
      </Field>
    </div>
  );
}
