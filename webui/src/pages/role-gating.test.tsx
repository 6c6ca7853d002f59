import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role } from '../api/types';
import { ROUTES } from '../app';
import { navFor } from '../auth/roles';
import { UserProvider } from '../auth/session';
import { ApiKeysPage } from './api-keys';
import { ProvidersPage } from './providers';
import { TeamDetailPage } from './team-detail';
import { TeamsPage } from './teams';

const KEY = {
  id: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1c',
  name: 'search-backend',
  enabled: true,
  allowed_models: [],
  rate_limit: 60,
  tokens_per_minute: null,
  budget: '25',
  budget_period: 'month',
  monthly_budget: '25',
  alert_thresholds: [0.8, 1],
  team_id: null,
  expires_at: null,
  tags: {},
  key_prefix: 'sk-gw-AbC1',
  revoked_at: null,
  deleted_at: null,
  created_at: '2026-11-01T00:00:00.000Z',
  updated_at: '2026-11-01T00:00:00.000Z',
};
const TEAM = {
  id: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1e',
  name: 'search',
  enabled: true,
  allowed_models: ['gpt-4o-mini'],
  rate_limit: 600,
  tokens_per_minute: null,
  budget: '200',
  budget_period: 'week',
  alert_thresholds: [0.8, 1],
  tags: {},
  created_at: '2026-11-01T00:00:00.000Z',
  updated_at: '2026-11-01T00:00:00.000Z',
};
const USAGE_TOTALS = {
  requests: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  cost_usd: '0',
  estimated_requests: 0,
  unpriced_requests: 0,
  cache_hits: 0,
  saved_usd: '0',
};
const PROVIDER = {
  id: '0190a6c4-5b7e-7c3a-9f10-2b4d6e8f0a1d',
  name: 'openai-prod',
  type: 'openai',
  base_url: null,
  credentials_set: ['api_key'],
  config: {},
  enabled: true,
  created_at: '2026-11-01T00:00:00.000Z',
  updated_at: '2026-11-01T00:00:00.000Z',
};

function renderAs(role: Role, page: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <UserProvider user={{ id: 'u1', email: 'a@example.com', roles: [role] }}>{page}</UserProvider>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'DELETE')
        return new Response(
          JSON.stringify({
            statusCode: 409,
            message: "team 'search' has 1 API key(s): move or delete them first",
            error: 'Conflict',
            code: 'in_use',
          }),
          { status: 409 },
        );
      if (url === `/admin/teams/${TEAM.id}`) return new Response(JSON.stringify(TEAM), { status: 200 });
      if (url.startsWith(`/admin/teams/${TEAM.id}/usage`))
        return new Response(JSON.stringify({ data: [], totals: USAGE_TOTALS }), { status: 200 });
      const data = url.startsWith('/admin/providers')
        ? [PROVIDER]
        : url.startsWith('/admin/teams')
          ? [TEAM]
          : [{ ...KEY, team_id: TEAM.id }];
      return new Response(JSON.stringify({ data, total: 1 }), { status: 200 });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

describe('role-aware pages', () => {
  it('shows a viewer the keys without any create control', async () => {
    renderAs('viewer', <ApiKeysPage />);
    expect(await screen.findByRole('link', { name: 'search-backend' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Create API key' })).toBeNull();
  });

  it('offers an editor the create button', async () => {
    renderAs('editor', <ApiKeysPage />);
    expect(await screen.findByRole('button', { name: 'Create API key' })).toBeTruthy();
  });

  it('shows provider credentials as set/unset badges, and test/edit/delete only to an editor', async () => {
    renderAs('viewer', <ProvidersPage />);
    expect(await screen.findByText('api_key: set')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Test connection' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add provider' })).toBeNull();
  });

  it('lets an editor test a provider connection', async () => {
    renderAs('editor', <ProvidersPage />);
    expect(await screen.findByRole('button', { name: 'Test connection' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Add provider' })).toBeTruthy();
  });

  it('shows a viewer the teams with their budget and key count, and no create, edit or delete control', async () => {
    renderAs('viewer', <TeamsPage />);
    expect(await screen.findByRole('link', { name: 'search' })).toBeTruthy();
    expect(screen.getByText('$200.00 / week')).toBeTruthy();
    expect(await screen.findByRole('columnheader', { name: 'Keys' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Create team' })).toBeNull();
    cleanup();
    renderAs('viewer', <TeamDetailPage params={{ id: TEAM.id }} />);
    expect(await screen.findByRole('heading', { level: 1, name: /^Team search/ })).toBeTruthy();
    expect(await screen.findByText('No calls by this team’s keys in the last 30 days.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
  });

  it('offers an editor to create, edit and delete teams', async () => {
    renderAs('editor', <TeamsPage />);
    expect(await screen.findByRole('button', { name: 'Create team' })).toBeTruthy();
    cleanup();
    renderAs('editor', <TeamDetailPage params={{ id: TEAM.id }} />);
    expect(await screen.findByRole('button', { name: 'Edit' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Delete' })).toBeTruthy();
  });

  it('explains, when the team still has keys, why it cannot be deleted and what to do', async () => {
    renderAs('editor', <TeamDetailPage params={{ id: TEAM.id }} />);
    expect(await screen.findByRole('link', { name: 'search-backend' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete team "search"?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe(
      'Team "search" still has 1 API key, so it cannot be deleted. Move those keys to another team (or to no team) or delete them first, then delete the team.',
    );
  });

  it('shows a key’s team by name in the keys list', async () => {
    renderAs('viewer', <ApiKeysPage />);
    expect(await screen.findByRole('link', { name: 'search' })).toBeTruthy();
  });

  it('gives the webhook pages to admins only: neither in an editor’s or viewer’s menu nor open to them', () => {
    for (const role of ['viewer', 'editor'] as const)
      expect(navFor([role]).map((i) => i.path)).not.toContain('/webhooks');
    expect(navFor(['admin']).map((i) => i.path)).toContain('/webhooks');
    expect(navFor(['viewer']).map((i) => i.path)).toContain('/teams');
    const webhookRoutes = ROUTES.filter((r) => r.pattern.startsWith('/webhooks'));
    expect(webhookRoutes.map((r) => [r.pattern, r.role])).toEqual([
      ['/webhooks', 'admin'],
      ['/webhooks/:id', 'admin'],
    ]);
  });
});
