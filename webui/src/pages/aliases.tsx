import { type FormEvent, useState } from 'react';
import { TableWrap } from '../components/table-wrap';
import type { Alias, AliasCreate, AliasRoutingView, Model } from '../api/types';
import { useCan } from '../auth/session';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { Checkbox, Field, TextField } from '../components/field';
import { CacheFields } from '../components/cache-fields';
import { RoutingEditor } from '../components/routing-editor';
import { cacheFormFrom, parseCache } from '../lib/cache-field';
import { Empty, ErrorNote, QueryState } from '../components/states';
import { aliases, models } from '../hooks/models';
import { usePageTitle } from '../layout';
import { formatTags, parseJsonObject, parseTags } from '../lib/fields';
import {
  aliasErrorText,
  aliasMode,
  aliasTarget,
  describeRetries,
  newRoutingForm,
  STRATEGY_SHORT,
  type RoutingForm,
  routingFormFrom,
  targetGroups,
} from '../lib/routing';

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
      <p className="hint">
        An alias is a name clients use for a model, or for several models it routes over (with retries and fallbacks),
        with default request parameters.
      </p>
      <QueryState query={list} what="Loading aliases">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No aliases yet.</Empty>
          ) : (
            <TableWrap label="Aliases">
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
                      <td>{a.routing ? <RoutingSummary routing={a.routing} /> : modelName(a.model_id ?? '')}</td>
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
            </TableWrap>
          )
        }
      </QueryState>
      {editing ? (
        <AliasDialog alias={editing === 'new' ? null : editing} models={allModels} onClose={() => setEditing(null)} />
      ) : null}
    </>
  );
}

/** An alias's routing in the list: strategy and retries, then its targets by priority group. */
function RoutingSummary({ routing }: { routing: AliasRoutingView }) {
  const groups = targetGroups(routing);
  return (
    <div className="routing-summary">
      <strong>Routing</strong>, {STRATEGY_SHORT[routing.strategy]}; {describeRetries(routing)}
      <ul>
        {groups.map((g, i) => (
          <li key={g.priority}>
            Priority {g.priority}
            {i > 0 ? ' (fallback)' : ''}:{' '}
            {g.targets
              .map((t) => `${t.model} (weight ${t.weight}${t.share === null ? '' : `, ${t.share} %`})`)
              .join(', ')}
          </li>
        ))}
      </ul>
    </div>
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
  const [mode, setMode] = useState(aliasMode(alias));
  const [modelId, setModelId] = useState(alias?.model_id ?? modelOptions[0]?.id ?? '');
  const [routing, setRouting] = useState<RoutingForm>(() =>
    alias?.routing ? routingFormFrom(alias.routing, modelOptions) : newRoutingForm(),
  );
  const [routingErrors, setRoutingErrors] = useState<string[]>([]);
  const [config, setConfig] = useState(
    alias && Object.keys(alias.config).length ? JSON.stringify(alias.config, null, 2) : '',
  );
  const [tags, setTags] = useState(formatTags(alias?.tags));
  const [enabled, setEnabled] = useState(alias?.enabled ?? true);
  const [cache, setCache] = useState(cacheFormFrom(alias?.cache));
  const [errors, setErrors] = useState<Record<string, string>>({});
  // a one-model alias switched to routing starts with that model as its first target
  const switchToRouting = () => {
    setMode('routing');
    const first = routing.targets[0];
    if (routing.targets.length === 1 && !first.model) {
      const name = modelOptions.find((m) => m.id === modelId)?.name ?? '';
      setRouting({ ...routing, targets: [{ ...first, model: name }] });
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems: Record<string, string> = {};
    if (!name.trim()) problems.name = 'Give the alias a name.';
    const target = aliasTarget(mode, modelId, routing);
    if (!target.ok && mode === 'model') problems.model = target.errors[0];
    setRoutingErrors(!target.ok && mode === 'routing' ? target.errors : []);
    const parsedConfig = parseJsonObject(config, 'Defaults');
    if (!parsedConfig.ok) problems.config = parsedConfig.error;
    const parsedTags = parseTags(tags);
    if (!parsedTags.ok) problems.tags = parsedTags.error;
    const parsedCache = parseCache(cache);
    if (!parsedCache.ok) problems.cache = parsedCache.error;
    setErrors(problems);
    if (Object.keys(problems).length || !target.ok || !parsedConfig.ok || !parsedTags.ok || !parsedCache.ok) return;
    const body: AliasCreate = {
      name: name.trim(),
      ...target.fields,
      config: parsedConfig.value,
      tags: parsedTags.value,
      enabled,
      cache: parsedCache.value,
    };
    if (alias) update.mutate({ id: alias.id, body }, { onSuccess: onClose });
    else create.mutate(body, { onSuccess: onClose });
  };
  return (
    <Dialog title={alias ? `Edit "${alias.name}"` : 'Add an alias'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField label="Name" value={name} onChange={setName} error={errors.name} required />
        <fieldset>
          <legend>Stands for</legend>
          <label className="inline">
            <input
              type="radio"
              name="alias-mode"
              checked={mode === 'model'}
              onChange={() => {
                setMode('model');
                setRoutingErrors([]);
              }}
            />
            Direct
          </label>
          <label className="inline">
            <input type="radio" name="alias-mode" checked={mode === 'routing'} onChange={() => switchToRouting()} />
            Routing
          </label>
          <small className="hint">
            Direct: one model. Routing: several models, picked by weight or cost, with retries and fallbacks.
          </small>
        </fieldset>
        {mode === 'model' ? (
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
        ) : (
          <RoutingEditor form={routing} models={modelOptions} onChange={setRouting} />
        )}
        {routingErrors.length ? (
          <ul role="alert">
            {routingErrors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        ) : null}
        <Field
          label="Default parameters (JSON)"
          hint='e.g. {"temperature": 0.2}; the client’s own values win.'
          error={errors.config}
        >
          {(a11y) => <textarea {...a11y} rows={3} value={config} onChange={(e) => setConfig(e.target.value)} />}
        </Field>
        <CacheFields form={cache} onChange={setCache} error={errors.cache} />
        <Field label="Tags" hint="One key=value per line." error={errors.tags}>
          {(a11y) => <textarea {...a11y} rows={2} value={tags} onChange={(e) => setTags(e.target.value)} />}
        </Field>
        <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
        <ErrorNote error={aliasErrorText(mutation.error)} title="Not saved." />
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
