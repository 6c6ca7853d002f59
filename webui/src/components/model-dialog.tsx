import { type FormEvent, useState } from 'react';
import type { Model, ModelCreate, Provider } from '../api/types';
import { models } from '../hooks/models';
import { parseList } from '../lib/fields';
import { type PriceRow, pricingBody, priceRowsFrom } from '../lib/pricing';
import { Dialog } from './dialog';
import { CacheFields } from './cache-fields';
import { cacheFormFrom, parseCache } from '../lib/cache-field';
import { Checkbox, Field, TextField } from './field';
import { PricingEditor } from './pricing-editor';
import { ErrorNote } from './states';

const positive = (text: string): number | null | 'bad' => {
  const t = text.trim();
  if (!t) return null;
  return /^[1-9]\d*$/.test(t) ? Number(t) : 'bad';
};

/** Create or edit a model and its pricing components (replaced as a whole on save). */
export function ModelDialog({
  model,
  providers,
  onClose,
}: {
  model: Model | null;
  providers: Provider[];
  onClose: () => void;
}) {
  const create = models.useCreate();
  const update = models.useUpdate();
  const [name, setName] = useState(model?.name ?? '');
  const [providerId, setProviderId] = useState(model?.provider_id ?? '');
  const [providerModelId, setProviderModelId] = useState(model?.provider_model_id ?? '');
  const [contextWindow, setContextWindow] = useState(model?.context_window?.toString() ?? '');
  const [maxOutput, setMaxOutput] = useState(model?.max_output_tokens?.toString() ?? '');
  const [capabilities, setCapabilities] = useState(model?.capabilities.join(', ') ?? '');
  const [enabled, setEnabled] = useState(model?.enabled ?? true);
  const [cache, setCache] = useState(cacheFormFrom(model?.cache));
  const [rows, setRows] = useState<PriceRow[]>(model ? priceRowsFrom(model.pricing) : []);
  const [errors, setErrors] = useState<string[]>([]);
  const mutation = model ? update : create;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems: string[] = [];
    if (!name.trim()) problems.push('Give the model a name.');
    const ctx = positive(contextWindow);
    const out = positive(maxOutput);
    if (ctx === 'bad') problems.push('The context window must be a whole number above 0, or empty.');
    if (out === 'bad') problems.push('Max output tokens must be a whole number above 0, or empty.');
    const pricing = pricingBody(rows);
    if (!pricing.ok) problems.push(...pricing.errors);
    const parsedCache = parseCache(cache);
    if (!parsedCache.ok) problems.push(parsedCache.error);
    setErrors(problems);
    if (problems.length > 0 || !pricing.ok || !parsedCache.ok || ctx === 'bad' || out === 'bad') return;
    const body: ModelCreate = {
      name: name.trim(),
      provider_id: providerId || null,
      provider_model_id: providerModelId.trim() || null,
      context_window: ctx,
      max_output_tokens: out,
      capabilities: parseList(capabilities),
      enabled,
      pricing: pricing.pricing,
      cache: parsedCache.value,
    };
    if (model) update.mutate({ id: model.id, body }, { onSuccess: onClose });
    else create.mutate(body, { onSuccess: onClose });
  };
  return (
    <Dialog title={model ? `Edit "${model.name}"` : 'Add a model'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField
          label="Name"
          value={name}
          onChange={setName}
          required
          hint="What clients send as model; unique across models and aliases."
        />
        <div className="grid">
          <Field label="Provider">
            {(a11y) => (
              <select {...a11y} value={providerId} onChange={(e) => setProviderId(e.target.value)}>
                <option value="">None (price-only model)</option>
                {providers.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <TextField
            label="Provider's model id"
            value={providerModelId}
            onChange={setProviderModelId}
            hint="Empty: the name."
          />
        </div>
        <div className="grid">
          <TextField label="Context window" inputMode="numeric" value={contextWindow} onChange={setContextWindow} />
          <TextField label="Max output tokens" inputMode="numeric" value={maxOutput} onChange={setMaxOutput} />
        </div>
        <TextField
          label="Capabilities"
          value={capabilities}
          onChange={setCapabilities}
          hint="Separated by commas, e.g. chat, vision, tools."
        />
        <PricingEditor rows={rows} onChange={setRows} />
        <CacheFields form={cache} onChange={setCache} />
        <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
        {errors.length ? (
          <ul role="alert">
            {errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        ) : null}
        <ErrorNote error={mutation.error} title="Not saved." />
        <div className="actions">
          <button type="submit" aria-busy={mutation.isPending} disabled={mutation.isPending}>
            {model ? 'Save changes' : 'Add model'}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
