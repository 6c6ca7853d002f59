import { ADMIN_ROLES, type AdminRole } from '#src/modules/auth/admin-user.entity';

/** Route metadata: the lowest role that may call the route (read by AdminAuthGuard). */
export const ADMIN_ROLE_METADATA = 'llmgw:admin-role';

export type AdminAuthType = 'user' | 'service';

/** viewer < editor < admin: a role's rank is its position in ADMIN_ROLES. */
const rank = (role: AdminRole): number => ADMIN_ROLES.indexOf(role);

/** The highest role held, or null when none is. */
export function highestRole(roles: readonly AdminRole[]): AdminRole | null {
  let best: AdminRole | null = null;
  for (const role of roles) if (ADMIN_ROLES.includes(role) && (best === null || rank(role) > rank(best))) best = role;
  return best;
}

/** Whether roles reach `required`: the highest one held counts. */
export function satisfiesRole(roles: readonly AdminRole[], required: AdminRole): boolean {
  const held = highestRole(roles);
  return held !== null && rank(held) >= rank(required);
}
