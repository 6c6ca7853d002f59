import { type FormEvent, useState } from 'react';
import type { AdminUser, Role } from '../api/types';
import { useUser } from '../auth/session';
import { ConfirmButton } from '../components/confirm-button';
import { Dialog } from '../components/dialog';
import { Checkbox, TextField } from '../components/field';
import { RolesField } from '../components/roles-field';
import { Empty, ErrorNote, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { adminUsers } from '../hooks/admins';
import { usePageTitle } from '../layout';
import { formatDate } from '../lib/format';

export function UsersPage() {
  usePageTitle('Admin users');
  const me = useUser();
  const list = adminUsers.useList({ limit: 500 });
  const remove = adminUsers.useRemove();
  const [editing, setEditing] = useState<AdminUser | 'new' | null>(null);
  return (
    <>
      <div className="page-head">
        <h1>Admin users</h1>
        <button type="button" onClick={() => setEditing('new')}>
          Add admin user
        </button>
      </div>
      <QueryState query={list} what="Loading admin users">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No admin users.</Empty>
          ) : (
            <TableWrap label="Admin users">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Name</th>
                    <th scope="col">Roles</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Created</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((u) => (
                    <tr key={u.id}>
                      <td>{u.email}</td>
                      <td>{u.display_name ?? '—'}</td>
                      <td>{u.roles.join(', ')}</td>
                      <td>{u.enabled ? 'yes' : 'no'}</td>
                      <td>{formatDate(u.created_at)}</td>
                      <td>
                        <div className="actions">
                          <button type="button" className="secondary" onClick={() => setEditing(u)}>
                            Edit
                          </button>
                          {u.id !== me.id ? (
                            <ConfirmButton
                              label="Delete"
                              title={`Delete ${u.email}?`}
                              onConfirm={() => remove.mutateAsync(u.id)}
                            >
                              <p>They can no longer sign in, and their sessions end.</p>
                            </ConfirmButton>
                          ) : null}
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
      {editing ? <UserDialog user={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </>
  );
}

/** New users need an email, a password of 8+ characters and a role; edits may leave the password empty. */
export function validateUser(
  form: { email: string; password: string; roles: Role[] },
  isNew: boolean,
): Record<'email' | 'password' | 'roles', string | undefined> {
  return {
    email: /^[^\s@]+@[^\s@]+$/.test(form.email.trim()) ? undefined : 'Enter an email address.',
    password:
      (isNew || form.password) && form.password.length < 8 ? 'The password needs at least 8 characters.' : undefined,
    roles: form.roles.length ? undefined : 'Give at least one role.',
  };
}

function UserDialog({ user, onClose }: { user: AdminUser | null; onClose: () => void }) {
  const create = adminUsers.useCreate();
  const update = adminUsers.useUpdate();
  const mutation = user ? update : create;
  const [email, setEmail] = useState(user?.email ?? '');
  const [displayName, setDisplayName] = useState(user?.display_name ?? '');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<Role[]>(user?.roles ?? ['viewer']);
  const [enabled, setEnabled] = useState(user?.enabled ?? true);
  const [errors, setErrors] = useState<ReturnType<typeof validateUser>>({
    email: undefined,
    password: undefined,
    roles: undefined,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateUser({ email, password, roles }, !user);
    setErrors(found);
    if (found.email || found.password || found.roles) return;
    const common = { email: email.trim(), display_name: displayName.trim() || null, roles, enabled };
    if (user)
      update.mutate({ id: user.id, body: { ...common, ...(password ? { password } : {}) } }, { onSuccess: onClose });
    else create.mutate({ ...common, password }, { onSuccess: onClose });
  };
  return (
    <Dialog title={user ? `Edit ${user.email}` : 'Add an admin user'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField
          label="Email"
          type="email"
          autoComplete="off"
          value={email}
          onChange={setEmail}
          error={errors.email}
          required
        />
        <TextField label="Display name" value={displayName} onChange={setDisplayName} />
        <TextField
          label={user ? 'New password' : 'Password'}
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          error={errors.password}
          hint={user ? 'Empty: unchanged. Setting one ends their sessions.' : 'At least 8 characters.'}
        />
        <RolesField roles={roles} onChange={setRoles} error={errors.roles} />
        <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
        <ErrorNote error={mutation.error} title="Not saved." />
        <div className="actions">
          <button type="submit" aria-busy={mutation.isPending} disabled={mutation.isPending}>
            {user ? 'Save changes' : 'Add user'}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
