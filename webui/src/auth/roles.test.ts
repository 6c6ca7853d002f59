import { describe, expect, it } from 'vitest';
import { hasRole, highestRole, navFor } from './roles';

describe('roles', () => {
  it('ranks viewer < editor < admin and ignores unknown roles', () => {
    expect(highestRole(['viewer', 'admin', 'editor'])).toBe('admin');
    expect(highestRole(['owner'])).toBeNull();
    expect(hasRole(['editor'], 'viewer')).toBe(true);
    expect(hasRole(['editor'], 'admin')).toBe(false);
    expect(hasRole([], 'viewer')).toBe(false);
  });

  it.each([
    ['viewer', ['Overview', 'API keys', 'Teams', 'Providers', 'Models', 'Aliases', 'Usage']],
    ['editor', ['Overview', 'API keys', 'Teams', 'Providers', 'Models', 'Aliases', 'Usage']],
    [
      'admin',
      [
        'Overview',
        'API keys',
        'Teams',
        'Providers',
        'Models',
        'Aliases',
        'Usage',
        'Webhooks',
        'Admin users',
        'Service tokens',
        'Audit log',
      ],
    ],
  ])('offers a %s only the pages the role may open', (role, pages) => {
    expect(navFor([role]).map((i) => i.label)).toEqual(pages);
  });
});
