import { type ComponentType, useEffect } from 'react';
import type { Role } from './api/types';
import { hasRole } from './auth/roles';
import { UserProvider, useSessionQuery } from './auth/session';
import { ErrorNote, Loading } from './components/states';
import { Layout } from './layout';
import { AliasesPage } from './pages/aliases';
import { ApiKeyDetailPage } from './pages/api-key-detail';
import { ApiKeysPage } from './pages/api-keys';
import { AuditPage } from './pages/audit';
import { ModelsPage } from './pages/models';
import { OverviewPage } from './pages/overview';
import { ProvidersPage } from './pages/providers';
import { ServiceTokensPage } from './pages/service-tokens';
import { SignInPage } from './pages/sign-in';
import { TeamDetailPage } from './pages/team-detail';
import { TeamsPage } from './pages/teams';
import { UsagePage } from './pages/usage';
import { UsersPage } from './pages/users';
import { WebhookDetailPage } from './pages/webhook-detail';
import { WebhooksPage } from './pages/webhooks';
import { matchPath, useLocation } from './router/router';

interface Route {
  pattern: string;
  role: Role;
  page: ComponentType<{ params: Record<string, string> }>;
}

export const ROUTES: readonly Route[] = [
  { pattern: '/', role: 'viewer', page: OverviewPage },
  { pattern: '/keys', role: 'viewer', page: ApiKeysPage },
  { pattern: '/keys/:id', role: 'viewer', page: ApiKeyDetailPage },
  { pattern: '/teams', role: 'viewer', page: TeamsPage },
  { pattern: '/teams/:id', role: 'viewer', page: TeamDetailPage },
  { pattern: '/providers', role: 'viewer', page: ProvidersPage },
  { pattern: '/models', role: 'viewer', page: ModelsPage },
  { pattern: '/aliases', role: 'viewer', page: AliasesPage },
  { pattern: '/usage', role: 'viewer', page: UsagePage },
  { pattern: '/webhooks', role: 'admin', page: WebhooksPage },
  { pattern: '/webhooks/:id', role: 'admin', page: WebhookDetailPage },
  { pattern: '/users', role: 'admin', page: UsersPage },
  { pattern: '/tokens', role: 'admin', page: ServiceTokensPage },
  { pattern: '/audit', role: 'admin', page: AuditPage },
];

function CurrentPage({ roles }: { roles: string[] }) {
  const { path } = useLocation();
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (!params) continue;
    if (!hasRole(roles, route.role))
      return (
        <>
          <h1>Not available</h1>
          <p>This page needs the {route.role} role; yours does not include it.</p>
        </>
      );
    const Page = route.page;
    return <Page params={params} />;
  }
  return (
    <>
      <h1>Page not found</h1>
      <p>There is no console page at this address. Use the menu to find what you were looking for.</p>
    </>
  );
}

export function App() {
  const session = useSessionQuery();
  useEffect(() => {
    if (session.data === null) document.title = 'Sign in · LLM Gateway';
  }, [session.data]);
  if (session.isPending)
    return (
      <main className="container">
        <Loading what="Checking your session" />
      </main>
    );
  if (session.error)
    return (
      <main className="container">
        <ErrorNote error={session.error} />
      </main>
    );
  if (!session.data) return <SignInPage />;
  return (
    <UserProvider user={session.data}>
      <Layout>
        <CurrentPage roles={session.data.roles} />
      </Layout>
    </UserProvider>
  );
}
