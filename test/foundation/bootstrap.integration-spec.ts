import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { BootstrapAdminService } from '#src/modules/auth/bootstrap-admin.service';
import { verifySecret } from '#src/modules/auth/password-hasher';

describe('bootstrap-admin', () => {
  let api: TestApp | undefined;
  beforeEach(() => resetState());
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('creates the configured admin once with an Argon2id hash, and does nothing on later runs', async () => {
    api = await startApi({
      BOOTSTRAP_ADMIN_EMAIL: 'Ops@Example.com',
      BOOTSTRAP_ADMIN_PASSWORD: 'canary-bootstrap-pw-81c2',
    });
    const sut = api.get(BootstrapAdminService);
    const results = await Promise.all([sut.run(), sut.run(), sut.run()]);
    expect(results.filter((r) => r.created)).toEqual([{ created: true, email: 'ops@example.com' }]);
    expect(await sut.run()).toEqual({ created: false, reason: 'admin_exists' });

    const users = api.get(AdminUserRepository);
    const admin = await users.findByEmail('ops@example.com');
    expect(admin?.roles).toEqual(['admin']);
    expect(admin?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifySecret(admin!.passwordHash!, 'canary-bootstrap-pw-81c2')).toBe(true);
    expect(await users.countAdmins()).toBe(1);
    expect(api.logs.text()).not.toContain('canary-bootstrap-pw-81c2');
  });

  it('in development with nothing configured, creates admin@localhost with a generated password', async () => {
    api = await startApi();
    const result = await api.get(BootstrapAdminService).run();
    expect(result).toMatchObject({ created: true, email: 'admin@localhost' });
    const password = (result as { generatedPassword: string }).generatedPassword;
    expect(password.length).toBeGreaterThanOrEqual(20);
    const admin = await api.get(AdminUserRepository).findByEmail('admin@localhost');
    expect(await verifySecret(admin!.passwordHash!, password)).toBe(true);
    expect(await api.get(BootstrapAdminService).run()).toEqual({ created: false, reason: 'admin_exists' });
  });

  it('in production with nothing configured, creates no one', async () => {
    api = await startApi({ NODE_ENV: 'production' });
    expect(await api.get(BootstrapAdminService).run()).toEqual({ created: false, reason: 'not_configured' });
    expect(await api.get(AdminUserRepository).countAdmins()).toBe(0);
  });
});
