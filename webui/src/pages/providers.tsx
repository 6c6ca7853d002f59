import { type FormEvent, useState } from 'react';
import type { Provider, ProviderCreate, ProviderTestResult } from '../api/types';
import { errorMessage } from '../api/errors';
import { useCan } from '../auth/session';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { Checkbox, Field, TextField } from '../components/field';
import { Empty, ErrorNote, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { CREDENTIAL_FIELDS, PROVIDER_TYPES, providers, useProviderTest } from '../hooks/providers';
import { usePageTitle } from '../layout';
import { parseJsonObject } from '../lib/fields';

export function ProvidersPage() {
  usePageTitle('Providers');
  const canEdit = useCan('editor');
  const list = providers.useList({ limit: 500 });
  const [editing, setEditing] = useState<Provider | 'new' | null>(null);
  return (
    <>
      <div className="page-head">
        <h1>Providers</h1>
        {canEdit ? (
          <button type="button" onClick={() => setEditing('new')}>
            Add provider
          </button>
        ) : null}
      </div>
      <p className="hint">
        Credentials are write-only: the gateway stores them encrypted and shows only which fields are set.
      </p>
      <QueryState query={list} what="Loading providers">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No providers yet.</Empty>
          ) : (
            <TableWrap label="Providers">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Base URL</th>
                    <th scope="col">Credentials</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((p) => (
                    <ProviderRow key={p.id} provider={p} canEdit={canEdit} onEdit={() => setEditing(p)} />
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </QueryState>
      {editing ? (
        <ProviderDialog provider={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      ) : null}
    </>
  );
}

function CredentialBadges({ provider }: { provider: Provider }) {
  const expected = CREDENTIAL_FIELDS[provider.type] ?? [];
  const names = [...new Set([...expected, ...provider.credentials_set])];
  return (
    <>
      {names.map((name) => {
        const set = provider.credentials_set.includes(name);
        return (
          <span key={name} className={`badge ${set ? 'good' : ''}`}>
            {name}: {set ? 'set' : 'not set'}
          </span>
        );
      })}
    </>
  );
}

/** The test's answer in words: the latency and model, or the provider's error as the gateway reports it. */
export function describeTest(result: ProviderTestResult): string {
  const model = result.model ? ` with ${result.model}` : '';
  if (result.ok) return `Connected${model} in ${result.latency_ms} ms.`;
  const e = result.error;
  const status = e?.status ? ` (HTTP ${e.status}${e.code ? `, ${e.code}` : ''})` : e?.code ? ` (${e.code})` : '';
  return `Failed${model} after ${result.latency_ms} ms: ${e?.message ?? 'no answer'}${status}`;
}

function TestResult({ result }: { result: ProviderTestResult }) {
  return (
    <span role="status" className={result.ok ? 'test-ok' : 'test-failed'}>
      {describeTest(result)}
    </span>
  );
}

function ProviderRow({ provider, canEdit, onEdit }: { provider: Provider; canEdit: boolean; onEdit: () => void }) {
  const test = useProviderTest();
  const remove = providers.useRemove();
  return (
    <tr>
      <td>{provider.name}</td>
      <td>{provider.type}</td>
      <td>{provider.base_url ?? 'default'}</td>
      <td>
        <CredentialBadges provider={provider} />
      </td>
      <td>{provider.enabled ? 'yes' : 'no'}</td>
      <td>
        <div className="actions">
          {canEdit ? (
            <>
              <button
                type="button"
                className="outline"
                aria-busy={test.isPending}
                disabled={test.isPending}
                onClick={() => test.mutate({ id: provider.id })}
              >
                Test connection
              </button>
              <button type="button" className="secondary" onClick={onEdit}>
                Edit
              </button>
              <ConfirmButton
                label="Delete"
                title={`Delete provider "${provider.name}"?`}
                onConfirm={() => remove.mutateAsync(provider.id)}
              >
                <p>Calls can no longer be routed to it. The gateway refuses while models still use it.</p>
              </ConfirmButton>
            </>
          ) : null}
          {test.data ? <TestResult result={test.data} /> : null}
          {test.error ? <span role="alert">{errorMessage(test.error)}</span> : null}
        </div>
      </td>
    </tr>
  );
}

type CredentialMode = 'keep' | 'replace' | 'remove';

function ProviderDialog({ provider, onClose }: { provider: Provider | null; onClose: () => void }) {
  const create = providers.useCreate();
  const update = providers.useUpdate();
  const [name, setName] = useState(provider?.name ?? '');
  const [type, setType] = useState<Provider['type']>(provider?.type ?? 'openai');
  const [baseUrl, setBaseUrl] = useState(provider?.base_url ?? '');
  const [config, setConfig] = useState(
    provider && Object.keys(provider.config).length ? JSON.stringify(provider.config, null, 2) : '',
  );
  const [enabled, setEnabled] = useState(provider?.enabled ?? true);
  const [mode, setMode] = useState<CredentialMode>(provider ? 'keep' : 'replace');
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const mutation = provider ? update : create;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems: Record<string, string> = {};
    if (!name.trim()) problems.name = 'Give the provider a name.';
    const parsedConfig = parseJsonObject(config, 'Config');
    if (!parsedConfig.ok) problems.config = parsedConfig.error;
    if (baseUrl && !/^https?:\/\/\S+$/.test(baseUrl.trim()))
      problems.baseUrl = 'The base URL must start with http:// or https://.';
    setErrors(problems);
    if (Object.keys(problems).length > 0 || !parsedConfig.ok) return;
    const filled = Object.fromEntries(Object.entries(credentials).filter(([, v]) => v.trim() !== ''));
    const body: ProviderCreate = {
      name: name.trim(),
      type,
      base_url: baseUrl.trim() || null,
      config: parsedConfig.value,
      enabled,
      ...(mode === 'replace' ? { credentials: Object.keys(filled).length ? filled : null } : {}),
      ...(mode === 'remove' ? { credentials: null } : {}),
    };
    if (provider) update.mutate({ id: provider.id, body }, { onSuccess: onClose });
    else create.mutate(body, { onSuccess: onClose });
  };
  return (
    <Dialog title={provider ? `Edit "${provider.name}"` : 'Add a provider'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField label="Name" value={name} onChange={setName} error={errors.name} required />
        <Field label="Type">
          {(a11y) => (
            <select {...a11y} value={type} onChange={(e) => setType(e.target.value as Provider['type'])}>
              {PROVIDER_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          )}
        </Field>
        <TextField
          label="Base URL"
          value={baseUrl}
          onChange={setBaseUrl}
          error={errors.baseUrl}
          hint="Empty: the provider's default."
        />
        <Field
          label="Config (JSON)"
          hint="vertex-ai: project_id, location; bedrock: region; azure-openai: api_version."
          error={errors.config}
        >
          {(a11y) => <textarea {...a11y} rows={3} value={config} onChange={(e) => setConfig(e.target.value)} />}
        </Field>
        <fieldset>
          <legend>Credentials</legend>
          {provider ? (
            <>
              <p>
                Stored now: <CredentialBadges provider={provider} />
              </p>
              {(['keep', 'replace', 'remove'] as const).map((m) => (
                <label key={m}>
                  <input type="radio" name="credential-mode" checked={mode === m} onChange={() => setMode(m)} />
                  {m === 'keep' ? 'Keep the stored credentials' : m === 'replace' ? 'Replace them' : 'Remove them'}
                </label>
              ))}
            </>
          ) : null}
          {mode === 'replace'
            ? CREDENTIAL_FIELDS[type].map((field) => (
                <TextField
                  key={field}
                  label={field}
                  type="password"
                  autoComplete="off"
                  value={credentials[field] ?? ''}
                  onChange={(v) => setCredentials((c) => ({ ...c, [field]: v }))}
                  hint={type === 'bedrock' ? 'Leave all empty for the default AWS credential chain.' : undefined}
                />
              ))
            : null}
        </fieldset>
        <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
        <ErrorNote error={mutation.error} title="Not saved." />
        <div className="actions">
          <button type="submit" aria-busy={mutation.isPending} disabled={mutation.isPending}>
            {provider ? 'Save changes' : 'Add provider'}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
