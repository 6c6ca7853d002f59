import { newId } from '#src/core/database/ids';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';
import { adminRequest, loginEveryRole, type RoleTokens } from '#test/factories/admin-fixtures';
import { createKey } from '#test/factories/gateway-fixtures';
import { fastifyRoutes, nestRoutes, type NestRoute, normalisePath } from '#test/admin/route-discovery';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

interface SchemaRef {
  $ref?: string;
  properties?: object;
}

type Caller = 'no token' | 'api key' | AdminRole;

/**
 * SPEC §4's role rules, stated independently of the code: admin users, service tokens, the audit log and (SPEC §13)
 * webhooks need `admin`; reading anything else needs `viewer`; changing it needs `editor`.
 */
function requiredRole(route: { method: string; path: string }): AdminRole {
  if (/^\/admin\/(users|tokens|audit|webhooks)(\/|$)/.test(route.path)) return 'admin';
  return route.method === 'GET' ? 'viewer' : 'editor';
}

const RANK: Record<AdminRole, number> = { viewer: 0, editor: 1, admin: 2 };

function expectedOutcome(caller: Caller, route: NestRoute): 'allowed' | 401 | 403 {
  if (caller === 'no token' || caller === 'api key') return 401;
  return RANK[caller] >= RANK[requiredRole(route)] ? 'allowed' : 403;
}

describe('admin routes: guards, roles and OpenAPI, for every route the app registers', () => {
  let api: TestApp;
  let tokens: RoleTokens;
  let apiKey: string;
  let routes: NestRoute[];
  let adminRoutes: NestRoute[];

  beforeAll(async () => {
    await resetState();
    api = await startApi();
    tokens = await loginEveryRole(api);
    apiKey = (await createKey(api)).key;
    routes = nestRoutes(api);
    adminRoutes = routes.filter((r) => r.path.startsWith('/admin/') && !r.isPublic);
  });
  afterAll(() => api.close());

  it('finds the routes of every surface: proxy, health, metrics, admin', () => {
    const paths = routes.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'POST /v1/chat/completions',
        'GET /health/live',
        'GET /metrics',
        'POST /admin/auth/login',
        'POST /admin/api-keys/:id/regenerate',
        'GET /admin/audit',
      ]),
    );
    expect(adminRoutes.length).toBeGreaterThanOrEqual(33);
  });

  it('leaves public (to the global admin guard) only health, metrics, login (password, token, OIDC), the console’s files and sign-in (SSO too), and the key-guarded /v1 and /gateway routes, and serves nothing Nest did not declare but /docs', () => {
    const publicRoutes = routes.filter((r) => r.isPublic);
    const unexpected = publicRoutes.filter(
      (r) =>
        !/^\/(health\/|metrics$|admin\/auth\/(login|token|oidc)$|$|ui$|ui\/\*$|ui\/session$|ui\/auth\/methods$|ui\/auth\/oidc\/(login|callback)$)/.test(
          r.path,
        ) && !(/^\/(v1|gateway)\//.test(r.path) && r.guards.includes('ApiKeyGuard')),
    );
    expect(unexpected.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const proxyRoutes = routes.filter((r) => /^\/(v1|gateway)\//.test(r.path));
    expect(proxyRoutes.filter((r) => !r.guards.includes('ApiKeyGuard')).map((r) => r.path)).toEqual([]);

    const declared = new Set(routes.map((r) => `${r.method} ${normalisePath(r.path)}`));
    const served = fastifyRoutes(api);
    expect(served.length).toBeGreaterThan(routes.length);
    const undeclared = served.filter((r) => !declared.has(`${r.method} ${r.path}`));
    // Swagger registers its UI and JSON on Fastify directly: public by design, and nothing else may be
    expect(undeclared.filter((r) => !/^\/docs([/-]|$)/.test(r.path))).toEqual([]);
    expect(undeclared.map((r) => r.path)).toEqual(expect.arrayContaining(['/docs', '/docs-json']));
  });

  it('gives every admin route but login the role SPEC §4 gives it, for the global admin guard', () => {
    const publicAdmin = routes.filter((r) => r.path.startsWith('/admin/') && r.isPublic).map((r) => r.path);
    expect(publicAdmin.sort()).toEqual(['/admin/auth/login', '/admin/auth/oidc', '/admin/auth/token']);
    const wrong = adminRoutes.filter((r) => r.declaredRole !== requiredRole(r));
    expect(wrong.map((r) => `${r.method} ${r.path} (${r.declaredRole})`)).toEqual([]);
  });

  describe.each<Caller>(['no token', 'api key', 'viewer', 'editor', 'admin'])('called with %s', (caller) => {
    it('is allowed or refused on every admin route exactly as its role says', async () => {
      const mismatches: string[] = [];
      for (const route of adminRoutes) {
        const token = caller === 'no token' ? undefined : caller === 'api key' ? apiKey : tokens[caller];
        const res = await adminRequest(api, route.method, route.path.replace(':id', newId()), {
          token,
          body: route.hasBody ? {} : undefined,
        });
        const expected = expectedOutcome(caller, route);
        const ok =
          expected === 'allowed' ? ![401, 403].includes(res.status) && res.status < 500 : res.status === expected;
        if (!ok) mismatches.push(`${route.method} ${route.path}: expected ${expected}, got ${res.status}`);
        if (expected !== 'allowed') expect(res.body).toMatchObject({ statusCode: expected, error: expect.any(String) });
      }
      expect(mismatches).toEqual([]);
    });
  });

  it('documents every admin route in /docs-json with its method name as operation id and schemas with properties', async () => {
    const doc = (await adminRequest(api, 'GET', '/docs-json')).body;
    const schemaOf = (s: SchemaRef | undefined): SchemaRef | undefined =>
      s?.$ref ? (doc.components.schemas[s.$ref.split('/').pop()!] as SchemaRef) : s;
    const problems: string[] = [];
    for (const route of routes.filter((r) => r.path.startsWith('/admin/'))) {
      const op = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      const where = `${route.method} ${route.path}`;
      if (!op) {
        problems.push(`${where}: not documented`);
        continue;
      }
      if (op.operationId !== route.handler) problems.push(`${where}: operationId ${op.operationId}`);
      const [status, success] = Object.entries<{ content?: Record<string, { schema?: SchemaRef }> }>(op.responses).find(
        ([s]) => s.startsWith('2'),
      )!;
      const response = schemaOf(success.content?.['application/json']?.schema);
      if (status !== '204' && Object.keys(response?.properties ?? {}).length === 0)
        problems.push(`${where}: ${status} response has no properties`);
      const request = schemaOf(op.requestBody?.content?.['application/json']?.schema);
      if (route.hasBody && Object.keys(request?.properties ?? {}).length === 0)
        problems.push(`${where}: request body has no properties`);
      if (!route.isPublic && !op.security?.some((s: object) => 'admin-jwt' in s)) problems.push(`${where}: no bearer`);
    }
    expect(problems).toEqual([]);
    const empty = Object.entries<{ properties?: object }>(doc.components.schemas).filter(
      ([, s]) => !s.properties || !Object.keys(s.properties).length,
    );
    expect(empty.map(([name]) => name)).toEqual([]);
    const ids = Object.values<Record<string, { operationId: string }>>(doc.paths).flatMap((p) =>
      Object.values(p).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });
});
