import { type FormEvent, useState } from 'react';
import type { ModelImportResult, Provider } from '../api/types';
import { type CatalogSource, useCatalogImport } from '../hooks/models';
import { Field, TextField } from './field';
import { ErrorNote } from './states';

/** Reads an uploaded catalog file; a message when it is not a JSON object. */
export async function readCatalogFile(file: File): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await file.text());
  } catch {
    throw new Error(`${file.name} is not a JSON file.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${file.name} is not a LiteLLM catalog (a JSON object of model name → entry).`);
  return value as Record<string, unknown>;
}

function Summary({ result }: { result: ModelImportResult }) {
  const reasons = Object.entries(result.skipped_by_reason);
  return (
    <section aria-labelledby="import-summary" role="status">
      <h3 id="import-summary">Import finished</h3>
      <p>
        {result.created} created, {result.updated} updated, {result.skipped} skipped.
      </p>
      {reasons.length ? (
        <ul>
          {reasons.map(([reason, n]) => (
            <li key={reason}>
              {reason.replace(/_/g, ' ')}: {n}
            </li>
          ))}
        </ul>
      ) : null}
      {result.unknown_price_keys.length ? (
        <p>
          Price fields the gateway does not know (kept in the model's metadata): {result.unknown_price_keys.join(', ')}.
        </p>
      ) : null}
    </section>
  );
}

/** LiteLLM catalog import from a URL or an uploaded file, with the API's summary of what changed. */
export function CatalogImport({ providers }: { providers: Provider[] }) {
  const run = useCatalogImport();
  const [from, setFrom] = useState<'url' | 'file'>('url');
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [providerId, setProviderId] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const start = (source: CatalogSource) => run.mutate({ source, providerId: providerId || undefined });
    if (from === 'url') {
      if (!/^https?:\/\/\S+$/.test(url.trim())) return setProblem('Enter an http:// or https:// address.');
      return start({ url: url.trim() });
    }
    if (!file) return setProblem('Choose a catalog file.');
    readCatalogFile(file)
      .then((catalog) => start({ catalog }))
      .catch((err: unknown) => setProblem(err instanceof Error ? err.message : String(err)));
  };
  return (
    <form onSubmit={submit} noValidate>
      <fieldset>
        <legend>Catalog source</legend>
        <label>
          <input type="radio" name="catalog-from" checked={from === 'url'} onChange={() => setFrom('url')} />
          From a URL
        </label>
        <label>
          <input type="radio" name="catalog-from" checked={from === 'file'} onChange={() => setFrom('file')} />
          From a file
        </label>
      </fieldset>
      {from === 'url' ? (
        <TextField
          label="Catalog URL"
          type="url"
          value={url}
          onChange={setUrl}
          placeholder="https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
        />
      ) : (
        <Field label="Catalog file (JSON)">
          {(a11y) => (
            <input
              {...a11y}
              type="file"
              accept="application/json,.json"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          )}
        </Field>
      )}
      <Field
        label="Provider"
        hint="Only this provider's entries are imported and attached to it. None: price-only models."
      >
        {(a11y) => (
          <select {...a11y} value={providerId} onChange={(e) => setProviderId(e.target.value)}>
            <option value="">None (price-only models)</option>
            {providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.type})
              </option>
            ))}
          </select>
        )}
      </Field>
      {problem ? <p role="alert">{problem}</p> : null}
      <ErrorNote error={run.error} title="Import failed." />
      <button type="submit" aria-busy={run.isPending} disabled={run.isPending}>
        Import catalog
      </button>
      {run.data ? <Summary result={run.data} /> : null}
    </form>
  );
}
