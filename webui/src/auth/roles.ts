import type { Role } from '../api/types';

/** viewer < editor < admin, as on the API: the highest role held counts. */
const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function highestRole(roles: readonly string[]): Role | null {
  let best: Role | null = null;
  for (const r of roles) if (r in RANK && (best === null || RANK[r as Role] > RANK[best])) best = r as Role;
  return best;
}

/** Whether someone holding `roles` may do what needs `required`. */
export function hasRole(roles: readonly string[], required: Role): boolean {
  const held = highestRole(roles);
  return held !== null && RANK[held] >= RANK[required];
}

export interface NavItem {
  path: string;
  label: string;
  /** The lowest role that may open the page (the API's role on the page's list route). */
  role: Role;
}

export const NAV: readonly NavItem[] = [
  { path: '/', label: 'Overview', role: 'viewer' },
  { path: '/keys', label: 'API keys', role: 'viewer' },
  { path: '/teams', label: 'Teams', role: 'viewer' },
  { path: '/providers', label: 'Providers', role: 'viewer' },
  { path: '/models', label: 'Models', role: 'viewer' },
  { path: '/aliases', label: 'Aliases', role: 'viewer' },
  { path: '/usage', label: 'Usage', role: 'viewer' },
  { path: '/webhooks', label: 'Webhooks', role: 'admin' },
  { path: '/users', label: 'Admin users', role: 'admin' },
  { path: '/tokens', label: 'Service tokens', role: 'admin' },
  { path: '/audit', label: 'Audit log', role: 'admin' },
];

export const navFor = (roles: readonly string[]): NavItem[] => NAV.filter((item) => hasRole(roles, item.role));
