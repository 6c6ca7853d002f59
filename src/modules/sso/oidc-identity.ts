import type { OidcSettings } from '#src/core/config/app-config';
import { ADMIN_ROLES, type AdminRole } from '#src/modules/auth/admin-user.entity';

/** Who the identity provider says signed in, read from the ID token's claims. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  /** Lower-cased; null when the provider sent none. */
  email: string | null;
  /** `email_verified` as sent (undefined when absent, as Entra ID does). */
  emailVerified: boolean | undefined;
  displayName: string | null;
  /** The values of the roles claim (OIDC_ROLES_CLAIM). */
  groups: string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * The roles claim by its exact name first (names such as `https://example.com/groups` contain dots), else as
 * a dotted path (`realm_access.roles` in Keycloak).
 */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A claim's strings: an array of strings, or one string (Google's `hd`, say) as a list of one. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function emailOf(claims: Record<string, unknown>): string | null {
  // Entra ID often leaves `email` out; its preferred_username is the user's sign-in name, an address
  for (const value of [claims.email, claims.preferred_username])
    if (typeof value === 'string' && value.length <= 320 && EMAIL.test(value)) return value.toLowerCase();
  return null;
}

export function identityOf(claims: Record<string, unknown>, settings: OidcSettings): OidcIdentity {
  const name = typeof claims.name === 'string' ? claims.name.slice(0, 256) : null;
  return {
    issuer: String(claims.iss),
    subject: String(claims.sub),
    email: emailOf(claims),
    emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined,
    displayName: name,
    groups: stringsOf(claimAt(claims, settings.rolesClaim)),
  };
}

/** The gateway roles OIDC_ROLE_MAP grants for these groups, in rank order, each once. */
export function rolesFor(groups: readonly string[], roleMap: OidcSettings['roleMap']): AdminRole[] {
  const granted = new Set(roleMap.filter((pair) => groups.includes(pair.group)).map((pair) => pair.role));
  return ADMIN_ROLES.filter((role) => granted.has(role));
}
