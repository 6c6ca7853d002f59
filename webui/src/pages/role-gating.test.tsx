import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role } from '../api/types';
import { UserProvider } from '../auth/session';
import { ApiKeysPage } from './api-keys';
import { ProvidersPage } from './providers';

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
    vi.fn(async (url: string) => {
      const data = url.startsWith('/admin/providers') ? [PROVIDER] : [KEY];
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
});
