/** Where the SSO button sends the browser: the gateway redirects on to the identity provider. */
export const SSO_LOGIN_URL = '/ui/auth/oidc/login';

/** What the sign-in page may offer (`GET /ui/auth/methods`). */
export interface SignInMethods {
  password: boolean;
  sso: boolean;
}

const MESSAGES: Record<string, string> = {
  sso_no_role:
    'Your account at the identity provider is in no group that grants a gateway role. Ask an administrator to add you to one.',
  sso_user_disabled: 'Your gateway account is disabled. Ask an administrator to enable it.',
  sso_state_invalid: 'That sign-in link expired or was already used. Sign in again.',
  sso_email_taken:
    'A gateway user with your email already exists and could not be linked to your SSO account (the identity provider did not mark the email verified). Ask an administrator.',
  sso_no_email: 'The identity provider did not tell the gateway your email address. Ask an administrator.',
  sso_provider_unavailable: 'The identity provider cannot be reached right now. Try again in a moment.',
  sso_not_configured: 'Single sign-on is not set up on this gateway.',
  too_many_attempts: 'Too many sign-in attempts. Wait a minute and try again.',
};

/** The words for a refused SSO sign-in (the gateway redirects back with `?sso_error=<code>`); null without one. */
export function ssoErrorMessage(code: string | null): string | null {
  if (!code) return null;
  return MESSAGES[code] ?? 'Single sign-on did not complete. Try again, or ask an administrator.';
}
