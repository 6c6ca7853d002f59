import { type FormEvent, useState } from 'react';
import type { Alias, AliasCreate, Model } from '../api/types';
import { useCan } from '../auth/session';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { Checkbox, Field, TextField } from '../components/field';
import { Empty, ErrorNote, QueryState } from '../components/states';
import { aliases, models } from '../hooks/models';
import { usePageTitle } from '../layout';
import { formatTags, parseJsonObject, parseTags } from '../lib/fields';

export function AliasesPage() {
  usePageTitle('Aliases');
  const canEdit = useCan('editor');
  const list = aliases.useList({ limit: 500 });
  const modelList = models.useList({ limit: 500 });
  const remove = aliases.useRemove();
  const [editing, setEditing] = useState<Alias | 'new' | null>(null);
  const allModels = modelList.data?.data ?? [];
  const modelName = (id: string) => allModels.find((m) => m.id === id)?.name ?? id;
  return (
    <>
      <div className="page-head">
        <h1>Aliases</h1>
        {canEdit ? (
          <button type="button" onClick={() => setEditing('new')}>
            Add alias
          </button>
        ) : null}
      </div>
      <p className="hint">An alias is a name clients use for a model, with default request parameters.</p>
      <QueryState query={list} what="Loading aliases">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No aliases yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Alias</th>
                    <th scope="col">Model</th>
                    <th scope="col">Defaults</th>
                    <th scope="col">Enabled</th>
                    {canEdit ? <th scope="col">Actions</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((a) => (
                    <tr key={a.id}>
                      <td>{a.name}</td>
                      <td>
                        {a.routing
                          ? a.routing.targets
                              .map((t) => `${t.model ?? t.model_id} (weight ${t.weight}, priority ${t.priority})`)
                              .join(', ')
                          : modelName(a.model_id ?? '')}
                      </td>
                      <td>
                        <code>{Object.keys(a.config).length ? JSON.stringify(a.config) : '—'}</code>
                      </td>
                      <td>{a.enabled ? 'yes' : 'no'}</td>
                      {canEdit ? (
                        <td>
                          <div className="actions">
                            <button type="button" className="secondary" onClick={() => setEditing(a)}>
                              Edit
                            </button>
                            <ConfirmButton
                              label="Delete"
                              title={`Delete alias "${a.name}"?`}
                              onConfirm={() => remove.mutateAsync(a.id)}
                            >
                              <p>Clients calling this name get an unknown-model error from then on.</p>
                            </ConfirmButton>
                          </div>
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
      {editing ? (
        <AliasDialog alias={editing === 'new' ? null : editing} models={allModels} onClose={() => setEditing(null)} />
      ) : null}
    </>
  );
}

function AliasDialog({
  alias,
  models: modelOptions,
  onClose,
}: {
  alias: Alias | null;
  models: Model[];
  onClose: () => void;
}) {
  const create = aliases.useCreate();
  const update = aliases.useUpdate();
  const mutation = alias ? update : create;
  const [name, setName] = useState(alias?.name ?? '');
  const [modelId, setModelId] = useState(alias?.model_id ?? modelOptions[0]?.id ?? '');
  const [config, setConfig] = useState(
    alias && Object.keys(alias.config).length ? JSON.stringify(alias.config, null, 2) : '',
  );
  const [tags, setTags] = useState(formatTags(alias?.tags));
  const [enabled, setEnabled] = useState(alias?.enabled ?? true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems: Record<string, string> = {};
    if (!name.trim()) problems.name = 'Give the alias a name.';
    if (!modelId) problems.model = 'Choose the model it stands for.';
    const parsedConfig = parseJsonObject(config, 'Defaults');
    if (!parsedConfig.ok) problems.config = parsedConfig.error;
    const parsedTags = parseTags(tags);
    if (!parsedTags.ok) problems.tags = parsedTags.error;
    setErrors(problems);
    if (Object.keys(problems).length || !parsedConfig.ok || !parsedTags.ok) return;
    const body: AliasCreate = {
      name: name.trim(),
      model_id: modelId,
      config: parsedConfig.value,
      tags: parsedTags.value,
      enabled,
    };
    if (alias) update.mutate({ id: alias.id, body }, { onSuccess: onClose });
    else create.mutate(body, { onSuccess: onClose });
  };
  return (
    <Dialog title={alias ? `Edit "${alias.name}"` : 'Add an alias'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField label="Name" value={name} onChange={setName} error={errors.name} required />
        <Field label="Model" error={errors.model}>
          {(a11y) => (
            <select {...a11y} value={modelId} onChange={(e) => setModelId(e.target.value)}>
              {modelOptions.length === 0 ? <option value="">No models yet</option> : null}
              {modelOptions.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Default parameters (JSON)"
          hint='e.g. {"temperature": 0.2}; the client’s own values win.'
          error={errors.config}
        >
          {(a11y) => <textarea {...a11y} rows={3} value={config} onChange={(e) => setConfig(e.target.value)} />}
        </Field>
        <Field label="Tags" hint="One key=value per line." error={errors.tags}>
          {(a11y) => <textarea {...a11y} rows={2} value={tags} onChange={(e) => setTags(e.target.value)} />}
        </Field>
        <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
        <ErrorNote error={mutation.error} title="Not saved." />
        <div className="actions">
          <button type="submit" aria-busy={mutation.isPending} disabled={mutation.isPending}>
            {alias ? 'Save changes' : 'Add alias'}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
