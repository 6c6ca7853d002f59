import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role } from '../api/types';
import { UserProvider } from '../auth/session';
import { AliasesPage } from './aliases';

const model = (id: string, name: string) => ({
  id,
  name,
  provider_id: null,
  pricing: [],
  capabilities: [],
  enabled: true,
});
const MODELS = [model('m-a', 'gpt-4o-mini'), model('m-b', 'azure-gpt-4o-mini'), model('m-c', 'claude-haiku')];
const FAST = {
  id: 'al-1',
  name: 'fast',
  model_id: null,
  routing: {
    strategy: 'weighted',
    targets: [
      { model: 'gpt-4o-mini', model_id: 'm-a', weight: 3, priority: 0 },
      { model: 'azure-gpt-4o-mini', model_id: 'm-b', weight: 1, priority: 0 },
      { model: 'claude-haiku', model_id: 'm-c', weight: 1, priority: 1 },
    ],
    retries: 1,
    retry_on: ['429', '5xx'],
    attempt_timeout: null,
  },
  config: {},
  tags: {},
  enabled: true,
};

let posted: unknown[] = [];

function renderAs(role: Role) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <UserProvider user={{ id: 'u1', email: 'a@example.com', roles: [role] }}>
        <AliasesPage />
      </UserProvider>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  posted = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        posted.push(JSON.parse(init.body as string));
        return new Response(JSON.stringify({ ...FAST, id: 'al-2' }), { status: 201 });
      }
      const data = url.startsWith('/admin/models') ? MODELS : [FAST];
      return new Response(JSON.stringify({ data, total: data.length }), { status: 200 });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

describe('aliases page', () => {
  it("shows a viewer each alias's routing: strategy, retries, targets by priority", async () => {
    renderAs('viewer');
    expect(await screen.findByText(/1 retry per group on 429, 5xx/)).toBeTruthy();
    expect(
      screen.getByText(/Priority 0: gpt-4o-mini \(weight 3, 75 %\), azure-gpt-4o-mini \(weight 1, 25 %\)/),
    ).toBeTruthy();
    expect(screen.getByText(/Priority 1 \(fallback\): claude-haiku \(weight 1\)/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Add alias' })).toBeNull();
  });

  it('lets an editor add a routed alias, checking the targets before sending', async () => {
    renderAs('editor');
    fireEvent.click(await screen.findByRole('button', { name: 'Add alias' }));
    const dialog = screen.getByRole('dialog');
    const form = within(dialog);
    await waitFor(() => expect(form.getByRole('option', { name: 'claude-haiku' })).toBeTruthy());
    fireEvent.change(form.getByLabelText('Name'), { target: { value: 'smart' } });
    fireEvent.click(form.getByLabelText('Routing'));
    fireEvent.click(form.getByRole('button', { name: 'Add a target' }));
    const second = within(form.getByRole('group', { name: 'Target 2' }));
    fireEvent.change(second.getByLabelText('Model'), { target: { value: 'gpt-4o-mini' } });
    fireEvent.click(form.getByRole('button', { name: 'Add alias' }));
    expect(await form.findByText('Target 2: gpt-4o-mini is already a target; name each model once.')).toBeTruthy();
    expect(posted).toEqual([]);

    fireEvent.change(second.getByLabelText('Model'), { target: { value: 'claude-haiku' } });
    fireEvent.change(second.getByLabelText('Priority'), { target: { value: '1' } });
    fireEvent.click(form.getByLabelText('Timeout'));
    fireEvent.click(form.getByRole('button', { name: 'Add alias' }));
    await waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toEqual({
      name: 'smart',
      routing: {
        strategy: 'weighted',
        targets: [
          { model: 'gpt-4o-mini', weight: 1, priority: 0 },
          { model: 'claude-haiku', weight: 1, priority: 1 },
        ],
        retries: 1,
        retry_on: ['429', '5xx', 'connect'],
        attempt_timeout: null,
      },
      config: {},
      tags: {},
      enabled: true,
      cache: null,
    });
  });
});
