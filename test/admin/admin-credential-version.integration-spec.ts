import { JwtService } from '@nestjs/jwt';
import { AdminUserManagementService } from '#src/modules/auth/admin-user-management.service';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { adminRequest, CANARY_ADMIN_PASSWORD, createAdminUser, login } from '#test/factories/admin-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

describe("an admin's JWTs end when their password changes or they are disabled (credential version)", () => {
  let api: TestApp;
  let rootJwt: string;

  const works = async (jwt: string): Promise<number> =>
    (await adminRequest(api, 'GET', '/admin/providers', { token: jwt })).status;
  const patchUser = (id: string, body: object): Promise<{ status: number }> =>
    adminRequest(api, 'PATCH', `/admin/users/${id}`, { token: rootJwt, body });

  beforeAll(async () => {
    await resetState();
    api = await startApi();
    const root = await createAdminUser(api, {
      email: 'root@example.com',
      password: CANARY_ADMIN_PASSWORD,
      roles: ['admin'],
    });
    rootJwt = await login(api, root.email, root.password);
  });
  afterAll(() => api.close());

  it('refuses a JWT issued before a password change, and accepts one issued after', async () => {
    const user = await createAdminUser(api, { email: 'pw@example.com', password: 'first-pw-1234', roles: ['viewer'] });
    const before = await login(api, user.email, user.password);
    const other = await login(api, user.email, user.password);
    expect(await works(before)).toBe(200);
    expect((await patchUser(user.id, { password: 'second-pw-1234' })).status).toBe(200);
    expect(await works(before)).toBe(401);
    expect(await works(other)).toBe(401);
    const after = await login(api, user.email, 'second-pw-1234');
    expect(await works(after)).toBe(200);
    // a change that is neither (roles, name) keeps the JWT
    expect((await patchUser(user.id, { display_name: 'Renamed' })).status).toBe(200);
    expect(await works(after)).toBe(200);
  });

  it('keeps a JWT refused after its user was disabled, even once re-enabled', async () => {
    const user = await createAdminUser(api, { email: 'off@example.com', password: 'off-pw-12345', roles: ['viewer'] });
    const before = await login(api, user.email, user.password);
    expect((await patchUser(user.id, { enabled: false })).status).toBe(200);
    expect((await patchUser(user.id, { enabled: true })).status).toBe(200);
    expect(await works(before)).toBe(401);
    expect(await works(await login(api, user.email, user.password))).toBe(200);
  });

  it('ends JWTs on a password reset (the CLI path) and refuses JWTs without the claim', async () => {
    const user = await createAdminUser(api, {
      email: 'reset@example.com',
      password: 'reset-pw-1234',
      roles: ['viewer'],
    });
    const before = await login(api, user.email, user.password);
    await api.get(AdminUserManagementService).resetPassword('RESET@example.com', 'new-reset-pw-1234');
    expect(await works(before)).toBe(401);
    expect((await api.get(AdminUserRepository).findByEmail(user.email))!.credentialVersion).toBe(2);

    const fresh = await login(api, user.email, 'new-reset-pw-1234');
    const claims = JSON.parse(Buffer.from(fresh.split('.')[1], 'base64url').toString('utf8')) as { cv: number };
    expect(claims.cv).toBe(2);
    const withoutClaim = await api.get(JwtService).signAsync({ sub: user.id, auth_type: 'user', roles: ['viewer'] });
    expect(await works(withoutClaim)).toBe(401);
  });
});
