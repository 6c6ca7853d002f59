import { AdminUserManagementService } from '#src/modules/auth/admin-user-management.service';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';
import type { TestApp } from '#test/utils/app';

/** Canary secrets of the admin API: distinct strings that must never show up in logs, responses or audit rows. */
export const CANARY_ADMIN_PASSWORD = 'canary-admin-pw-5e0b7a31c4';
export const CANARY_VIEWER_PASSWORD = 'canary-viewer-pw-9d2f4c6e18';
export const CANARY_EDITOR_PASSWORD = 'canary-editor-pw-1a7c3e5b92';

/** A parsed JSON answer: assertions read whatever fields they check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON under test, checked by expect()
export type Json = any;

export interface AdminResponse<T = Json> {
  status: number;
  body: T;
  headers: Headers;
}

export interface AdminRequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One HTTP call to the running app; JSON in and out. */
export async function adminRequest<T = Json>(
  api: TestApp,
  method: string,
  path: string,
  options: AdminRequestOptions = {},
): Promise<AdminResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (docs HTML, metrics text): keep the text
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** An admin user created through the service (one Argon2 hash). */
export async function createAdminUser(
  api: TestApp,
  input: { email: string; password: string; roles: AdminRole[]; enabled?: boolean },
): Promise<{ id: string; email: string; password: string }> {
  const user = await api.get(AdminUserManagementService).create({ ...input, displayName: null });
  return { id: user.id, email: user.email, password: input.password };
}

/** Logs in through the API and returns the JWT. */
export async function login(api: TestApp, email: string, password: string, address?: string): Promise<string> {
  const res = await adminRequest<{ access_token: string }>(api, 'POST', '/admin/auth/login', {
    body: { email, password },
    headers: address ? { 'x-forwarded-for': address } : {},
  });
  if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

export interface RoleTokens {
  viewer: string;
  editor: string;
  admin: string;
  adminId: string;
}

/** One user per role, logged in. */
export async function loginEveryRole(api: TestApp): Promise<RoleTokens> {
  const admin = await createAdminUser(api, {
    email: 'root@example.com',
    password: CANARY_ADMIN_PASSWORD,
    roles: ['admin'],
  });
  await createAdminUser(api, { email: 'viewer@example.com', password: CANARY_VIEWER_PASSWORD, roles: ['viewer'] });
  await createAdminUser(api, { email: 'editor@example.com', password: CANARY_EDITOR_PASSWORD, roles: ['editor'] });
  return {
    admin: await login(api, admin.email, admin.password),
    viewer: await login(api, 'viewer@example.com', CANARY_VIEWER_PASSWORD),
    editor: await login(api, 'editor@example.com', CANARY_EDITOR_PASSWORD),
    adminId: admin.id,
  };
}
