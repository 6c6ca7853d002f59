import type { OidcSettings } from '#src/core/config/app-config';
import { claimAt, identityOf, rolesFor } from '#src/modules/sso/oidc-identity';

const ROLE_MAP: OidcSettings['roleMap'] = [
  { role: 'admin', group: 'gw-admins' },
  { role: 'editor', group: 'gw-editors' },
  { role: 'viewer', group: 'gw-viewers' },
  { role: 'viewer', group: 'everyone' },
];

const settings = (rolesClaim = 'groups'): OidcSettings => ({
  issuer: 'https://idp.example.com',
  clientId: 'gw',
  clientSecret: 's',
  redirectUri: 'https://gw.example.com/ui/auth/oidc/callback',
  scopes: 'openid',
  rolesClaim,
  roleMap: ROLE_MAP,
});

describe('rolesFor', () => {
  it.each([
    [['gw-editors'], ['editor']],
    [
      ['gw-admins', 'gw-viewers', 'other'],
      ['viewer', 'admin'],
    ],
    [['everyone', 'gw-viewers'], ['viewer']],
    [['marketing'], []],
    [[], []],
    // group names match exactly: no case folding, no prefixes
    [['GW-ADMINS', 'gw-admins-old'], []],
  ])('maps the groups %j to the roles %j (rank order, each once)', (groups, roles) => {
    expect(rolesFor(groups, ROLE_MAP)).toEqual(roles);
  });
});

describe('claimAt', () => {
  it.each([
    ['groups', { groups: ['a'] }, ['a']],
    ['realm_access.roles', { realm_access: { roles: ['r'] } }, ['r']],
    // a claim whose name has dots (Auth0, Okta custom claims) is found by its exact name first
    ['https://example.com/groups', { 'https://example.com/groups': ['x'] }, ['x']],
    ['a.b', { a: ['not an object'] }, undefined],
    ['missing', {}, undefined],
  ])('reads %s', (name, claims, value) => {
    expect(claimAt(claims, name)).toEqual(value);
  });
});

describe('identityOf', () => {
  const base = { iss: 'https://idp.example.com', sub: 'u-1' };

  it('reads email (lower-cased), its verification, the name and the groups', () => {
    expect(
      identityOf({ ...base, email: 'Ann@Corp.example', email_verified: true, name: 'Ann', groups: ['g'] }, settings()),
    ).toEqual({
      issuer: 'https://idp.example.com',
      subject: 'u-1',
      email: 'ann@corp.example',
      emailVerified: true,
      displayName: 'Ann',
      groups: ['g'],
    });
  });

  it('falls back to preferred_username for the email when it is an address (Entra ID), and takes a single string claim as one group', () => {
    const sut = identityOf({ ...base, preferred_username: 'bo@corp.example', hd: 'corp.example' }, settings('hd'));
    expect(sut).toMatchObject({ email: 'bo@corp.example', emailVerified: undefined, groups: ['corp.example'] });
  });

  it('has no email when neither claim is an address, and ignores non-string group values', () => {
    const sut = identityOf({ ...base, preferred_username: 'bo', groups: ['ok', 3, null] }, settings());
    expect(sut).toMatchObject({ email: null, groups: ['ok'] });
  });
});
