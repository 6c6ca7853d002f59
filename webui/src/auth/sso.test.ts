import { describe, expect, it } from 'vitest';
import { ssoErrorMessage } from './sso';

describe('ssoErrorMessage', () => {
  it('says in words why an SSO sign-in was refused', () => {
    expect(ssoErrorMessage('sso_no_role')).toMatch(/no group that grants a gateway role/);
    expect(ssoErrorMessage('sso_state_invalid')).toMatch(/expired or was already used/);
    expect(ssoErrorMessage('sso_user_disabled')).toMatch(/disabled/);
  });

  it('has a general message for codes it does not know, and nothing without a code', () => {
    expect(ssoErrorMessage('sso_failed')).toMatch(/did not complete/);
    expect(ssoErrorMessage('<script>')).toMatch(/did not complete/);
    expect(ssoErrorMessage(null)).toBeNull();
    expect(ssoErrorMessage('')).toBeNull();
  });
});
