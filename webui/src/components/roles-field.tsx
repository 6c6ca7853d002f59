import type { Role } from '../api/types';

const ROLES: Role[] = ['viewer', 'editor', 'admin'];

/** The role checkboxes of an admin user or service token. */
export function RolesField({
  roles,
  onChange,
  error,
}: {
  roles: Role[];
  onChange: (roles: Role[]) => void;
  error?: string;
}) {
  return (
    <fieldset aria-invalid={error ? true : undefined}>
      <legend>Roles</legend>
      {ROLES.map((r) => (
        <label key={r}>
          <input
            type="checkbox"
            checked={roles.includes(r)}
            onChange={(e) => onChange(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))}
          />
          {r}
        </label>
      ))}
      <small>
        viewer reads everything but users, tokens and the audit log; editor also changes keys, providers and models;
        admin does all.
      </small>
      {error ? <small role="alert">{error}</small> : null}
    </fieldset>
  );
}
