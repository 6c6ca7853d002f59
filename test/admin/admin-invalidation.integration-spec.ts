import OpenAI from 'openai';
import { adminRequest, createAdminUser, login, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { createModel, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';

/** Polls `fn` until it returns `expected` or `withinMs` passes; answers how long it took. */
async function settlesTo<T>(fn: () => Promise<T>, expected: T, withinMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await fn()) === expected) return Date.now() - start;
    if (Date.now() - start > withinMs) throw new Error(`did not become ${String(expected)} within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Two API pods on one database and Redis, with the default CACHE_TTL (60 s): only pub/sub can make them agree. */
describe('admin changes reach every pod within a second', () => {
  let podA: TestApp;
  let podB: TestApp;
  let upstream: FakeOpenAi;
  let t: RoleTokens;

  const proxiedOn = async (pod: TestApp, key: string): Promise<number> => {
    const client = new OpenAI({ apiKey: key, baseURL: `${pod.url}/v1`, maxRetries: 0 });
    try {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      return 200;
    } catch (err) {
      if (err instanceof OpenAI.APIError && err.status !== undefined) return Number(err.status);
      throw err;
    }
  };

  beforeAll(async () => {
    await resetState();
    upstream = await new FakeOpenAi().start();
    podA = await startApi({ POD_NAME: 'pod-a' });
    podB = await startApi({ POD_NAME: 'pod-b' });
    t = await loginEveryRole(podA);
    const provider = await createProvider(podA, { baseUrl: upstream.url });
    await createModel(podA, { providerId: provider.id, name: 'gpt-4o-mini' });
  });
  afterAll(async () => {
    await podA.close();
    await podB.close();
    await upstream.stop();
  });

  it('stops a regenerated or revoked key on the other pod', async () => {
    const created = await adminRequest(podA, 'POST', '/admin/api-keys', { token: t.editor, body: { name: 'k' } });
    const old: string = created.body.key;
    expect(await proxiedOn(podB, old)).toBe(200); // now cached on pod B
    const regenerated = await adminRequest(podA, 'POST', `/admin/api-keys/${created.body.id}/regenerate`, {
      token: t.editor,
    });
    expect(await settlesTo(() => proxiedOn(podB, old), 401, 1000)).toBeLessThan(1000);
    expect(await proxiedOn(podB, regenerated.body.key)).toBe(200);

    await adminRequest(podA, 'POST', `/admin/api-keys/${created.body.id}/revoke`, { token: t.editor });
    expect(await settlesTo(() => proxiedOn(podB, regenerated.body.key), 401, 1000)).toBeLessThan(1000);
  });

  it('applies a role downgrade made on one pod to JWTs presented to the other', async () => {
    const user = await createAdminUser(podA, {
      email: 'moving@example.com',
      password: 'moving-pw-1234',
      roles: ['admin'],
    });
    const jwt = await login(podA, user.email, user.password);
    const listUsersOnB = async (): Promise<number> =>
      (await adminRequest(podB, 'GET', '/admin/users', { token: jwt })).status;
    expect(await listUsersOnB()).toBe(200);
    await adminRequest(podA, 'PATCH', `/admin/users/${user.id}`, { token: t.admin, body: { roles: ['viewer'] } });
    expect(await settlesTo(listUsersOnB, 403, 1000)).toBeLessThan(1000);
    await adminRequest(podA, 'PATCH', `/admin/users/${user.id}`, { token: t.admin, body: { enabled: false } });
    expect(await settlesTo(listUsersOnB, 401, 1000)).toBeLessThan(1000);
  });
});
