import { useState } from 'react';
import type { Model } from '../api/types';
import { useCan } from '../auth/session';
import { CatalogImport } from '../components/catalog-import';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { ModelDialog } from '../components/model-dialog';
import { Pager } from '../components/pager';
import { Empty, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { models } from '../hooks/models';
import { providers } from '../hooks/providers';
import { usePageTitle } from '../layout';
import { formatInt } from '../lib/format';
import { describePrice } from '../lib/pricing';

const LIMIT = 100;

export function ModelsPage() {
  usePageTitle('Models and pricing');
  const canEdit = useCan('editor');
  const [providerId, setProviderId] = useState('');
  const [offset, setOffset] = useState(0);
  const list = models.useList({ provider_id: providerId || undefined, limit: LIMIT, offset });
  const providerList = providers.useList({ limit: 500 });
  const remove = models.useRemove();
  const [editing, setEditing] = useState<Model | 'new' | null>(null);
  const [importing, setImporting] = useState(false);
  const allProviders = providerList.data?.data ?? [];
  const providerName = (id: string | null) => (id ? (allProviders.find((p) => p.id === id)?.name ?? id) : 'price only');
  return (
    <>
      <div className="page-head">
        <h1>Models and pricing</h1>
        {canEdit ? (
          <div className="actions">
            <button type="button" onClick={() => setEditing('new')}>
              Add model
            </button>
            <button type="button" className="secondary" onClick={() => setImporting(true)}>
              Import LiteLLM catalog
            </button>
          </div>
        ) : null}
      </div>
      <div className="filters">
        <label>
          Provider
          <select
            value={providerId}
            onChange={(e) => {
              setProviderId(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">All providers</option>
            {allProviders.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <QueryState query={list} what="Loading models">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No models yet. Add one, or import the LiteLLM catalog.</Empty>
          ) : (
            <>
              <TableWrap label="Models">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Provider</th>
                      <th scope="col">Context</th>
                      <th scope="col">Prices</th>
                      <th scope="col">Enabled</th>
                      {canEdit ? <th scope="col">Actions</th> : null}
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((m) => (
                      <tr key={m.id}>
                        <td>{m.name}</td>
                        <td>{providerName(m.provider_id)}</td>
                        <td>{formatInt(m.context_window)}</td>
                        <td>
                          {m.pricing.length === 0
                            ? 'none'
                            : m.pricing.map((p) => (
                                <div key={`${p.direction}/${p.modality}/${p.unit}/${p.tier}`}>
                                  <small>{describePrice(p)}</small>
                                </div>
                              ))}
                        </td>
                        <td>{m.enabled ? 'yes' : 'no'}</td>
                        {canEdit ? (
                          <td>
                            <div className="actions">
                              <button type="button" className="secondary" onClick={() => setEditing(m)}>
                                Edit
                              </button>
                              <ConfirmButton
                                label="Delete"
                                title={`Delete model "${m.name}"?`}
                                onConfirm={() => remove.mutateAsync(m.id)}
                              >
                                <p>
                                  Clients can no longer call it by this name. The gateway refuses while aliases use it.
                                </p>
                              </ConfirmButton>
                            </div>
                          </td>
                        ) : null}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <Pager offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
            </>
          )
        }
      </QueryState>
      {editing ? (
        <ModelDialog
          model={editing === 'new' ? null : editing}
          providers={allProviders}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {importing ? (
        <Dialog title="Import a LiteLLM catalog" onClose={() => setImporting(false)}>
          <CatalogImport providers={allProviders} />
        </Dialog>
      ) : null}
    </>
  );
}
