import { highestRole, satisfiesRole } from '#src/modules/auth/admin-roles';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';

describe('admin roles', () => {
  it.each<[AdminRole[], AdminRole | null]>([
    [[], null],
    [['viewer'], 'viewer'],
    [['viewer', 'admin', 'editor'], 'admin'],
    [['editor', 'viewer'], 'editor'],
  ])('the highest of %j is %s', (roles, expected) => {
    expect(highestRole(roles)).toBe(expected);
  });

  it.each<[AdminRole[], AdminRole, boolean]>([
    [['viewer'], 'viewer', true],
    [['viewer'], 'editor', false],
    [['editor'], 'viewer', true],
    [['editor'], 'admin', false],
    [['admin'], 'editor', true],
    [['viewer', 'admin'], 'admin', true],
    [[], 'viewer', false],
    [['root' as AdminRole], 'viewer', false],
  ])('%j satisfies %s: %s', (roles, required, expected) => {
    expect(satisfiesRole(roles, required)).toBe(expected);
  });
});
