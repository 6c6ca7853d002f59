import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { adminRequest, createAdminUser, login } from '#test/factories/admin-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { ROOT, spawnBuilt } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { baseTestEnv } from '#test/utils/test-env';

/** These start dist/src/cli.js: run `npx tsc -p tsconfig.build.json` first. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const p = spawnBuilt('cli', args, { ...baseTestEnv(), LOG_LEVEL: 'warn', ...env });
  const code = await p.exited;
  return { code, out: p.output() };
}

/** The CLI with `input` typed on its stdin (not a terminal: one line is read). */
function cliWithStdin(args: string[], input: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [resolve(ROOT, 'dist/src/cli.js'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...baseTestEnv(), LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(input);
  return new Promise((res) => child.on('exit', (code) => res({ code, out })));
}

describe('CLI: reset-admin-password', () => {
  let api: TestApp;

  const works = async (jwt: string): Promise<number> =>
    (await adminRequest(api, 'GET', '/admin/providers', { token: jwt })).status;

  beforeAll(async () => {
    await resetState();
    api = await startApi();
  });
  afterAll(() => api.close());

  it('prints a generated password once, which logs in, and ends the JWTs the admin held', async () => {
    const user = await createAdminUser(api, {
      email: 'lost@example.com',
      password: 'forgotten-pw-1',
      roles: ['admin'],
    });
    const before = await login(api, user.email, user.password);
    expect(await works(before)).toBe(200);

    const { code, out } = await cli(['reset-admin-password', '--email', 'LOST@example.com']);
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('password reset: lost@example.com') });
    const password = /new password \(shown once\): (\S+)/.exec(out)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);

    // ended at once on the running API (cache invalidation), not after CACHE_TTL
    expect(await works(before)).toBe(401);
    expect(
      (await adminRequest(api, 'POST', '/admin/auth/login', { body: { email: user.email, password: user.password } }))
        .status,
    ).toBe(401);
    expect(await works(await login(api, user.email, password!))).toBe(200);
  });

  it('takes the password from ADMIN_NEW_PASSWORD or from stdin with --prompt, printing none', async () => {
    const user = await createAdminUser(api, { email: 'env@example.com', password: 'old-env-pw-12', roles: ['viewer'] });
    const fromEnv = await cli(['reset-admin-password', '--email', user.email], {
      ADMIN_NEW_PASSWORD: 'chosen-env-pw-34',
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.out).not.toContain('chosen-env-pw-34');
    expect(fromEnv.out).not.toContain('shown once');
    await login(api, user.email, 'chosen-env-pw-34');

    const typed = await cliWithStdin(['reset-admin-password', '--email', user.email, '--prompt'], 'typed-pw-5678\n');
    expect(typed).toEqual({ code: 0, out: expect.stringContaining('password reset: env@example.com') });
    expect(typed.out).not.toContain('typed-pw-5678');
    await login(api, user.email, 'typed-pw-5678');
  });

  it('refuses an unknown email, a missing --email and a short password with a clear message', async () => {
    const unknown = await cli(['reset-admin-password', '--email', 'nobody@example.com']);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain("No admin user with email 'nobody@example.com'");
    const missing = await cli(['reset-admin-password']);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('--email is required');
    const short = await cliWithStdin(['reset-admin-password', '--email', 'env@example.com', '--prompt'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.out).toContain('at least 8 characters');
  });
});
