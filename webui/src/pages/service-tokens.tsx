import { type FormEvent, useState } from 'react';
import type { Role, ServiceToken, ServiceTokenCreated } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { Checkbox, TextField } from '../components/field';
import { RolesField } from '../components/roles-field';
import { SecretOnce } from '../components/secret-once';
import { Empty, ErrorNote, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { serviceTokens } from '../hooks/admins';
import { usePageTitle } from '../layout';
import { isoToLocalInput, localInputToIso } from '../lib/dates';
import { formatDate, formatDateTime } from '../lib/format';

const SERVICE_NAME_RE = /^[A-Za-z0-9._:@-]{1,128}$/;

export function ServiceTokensPage() {
  usePageTitle('Service tokens');
  const list = serviceTokens.useList({ limit: 500 });
  const remove = serviceTokens.useRemove();
  const [editing, setEditing] = useState<ServiceToken | 'new' | null>(null);
  const [created, setCreated] = useState<ServiceTokenCreated | null>(null);
  return (
    <>
      <div className="page-head">
        <h1>Service tokens</h1>
        <button type="button" onClick={() => setEditing('new')}>
          Create service token
        </button>
      </div>
      <p className="hint">Automation exchanges a service token for an admin JWT at /admin/auth/token.</p>
      {created ? (
        <SecretOnce
          label={`New token for "${created.service_name}"`}
          secret={created.token}
          onDone={() => setCreated(null)}
        />
      ) : null}
      <QueryState query={list} what="Loading service tokens">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No service tokens yet.</Empty>
          ) : (
            <TableWrap label="Service tokens">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Service</th>
                    <th scope="col">Roles</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Created</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((t) => (
                    <tr key={t.id}>
                      <td>{t.service_name}</td>
                      <td>{t.roles.join(', ')}</td>
                      <td>{t.enabled ? 'yes' : 'no'}</td>
                      <td>{t.expires_at ? formatDateTime(t.expires_at) : 'never'}</td>
                      <td>{formatDate(t.created_at)}</td>
                      <td>
                        <div className="actions">
                          <button type="button" className="secondary" onClick={() => setEditing(t)}>
                            Edit
                          </button>
                          <ConfirmButton
                            label="Delete"
                            title={`Delete the token of "${t.service_name}"?`}
                            onConfirm={() => remove.mutateAsync(t.id)}
                          >
                            <p>The service can no longer get admin JWTs with it.</p>
                          </ConfirmButton>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </QueryState>
      {editing ? (
        <TokenDialog
          token={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onCreated={(t) => {
            setEditing(null);
            setCreated(t);
          }}
        />
      ) : null}
    </>
  );
}

function TokenDialog({
  token,
  onClose,
  onCreated,
}: {
  token: ServiceToken | null;
  onClose: () => void;
  onCreated: (t: ServiceTokenCreated) => void;
}) {
  const create = serviceTokens.useCreate();
  const update = serviceTokens.useUpdate();
  const mutation = token ? update : create;
  const [name, setName] = useState(token?.service_name ?? '');
  const [roles, setRoles] = useState<Role[]>(token?.roles ?? ['viewer']);
  const [enabled, setEnabled] = useState(token?.enabled ?? true);
  const [expires, setExpires] = useState(isoToLocalInput(token?.expires_at));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems: Record<string, string> = {};
    if (!SERVICE_NAME_RE.test(name.trim())) problems.name = 'Use 1 to 128 letters, digits and . _ : @ -';
    if (!roles.length) problems.roles = 'Give at least one role.';
    const expiresAt = localInputToIso(expires);
    if (expires && !expiresAt) problems.expires = 'The expiry is not a valid date and time.';
    setErrors(problems);
    if (Object.keys(problems).length) return;
    const body = { service_name: name.trim(), roles, enabled, expires_at: expiresAt || null };
    if (token) update.mutate({ id: token.id, body }, { onSuccess: onClose });
    else create.mutate(body, { onSuccess: onCreated });
  };
  return (
    <Dialog title={token ? `Edit "${token.service_name}"` : 'Create a service token'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField label="Service name" value={name} onChange={setName} error={errors.name} required />
        <RolesField roles={roles} onChange={setRoles} error={errors.roles} />
        <TextField
          label="Expires"
          type="datetime-local"
          value={expires}
          onChange={setExpires}
          error={errors.expires}
          hint="Your local time. Empty: never."
        />
        <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
        <ErrorNote error={mutation.error} title="Not saved." />
        <div className="actions">
          <button type="submit" aria-busy={mutation.isPending} disabled={mutation.isPending}>
            {token ? 'Save changes' : 'Create token'}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
