import { AppException } from '#src/core/errors/app.exception';

export enum SsoErrorCode {
  /** OIDC_ISSUER is not set: SSO is off. */
  NotConfigured = 'sso_not_configured',
  /** The `state` of a callback is unknown, expired, already used or not this browser's. */
  StateInvalid = 'sso_state_invalid',
  /** The identity provider refused or did not complete the sign-in (or its answer did not verify). */
  Failed = 'sso_failed',
  /** An ID token presented to POST /admin/auth/oidc did not verify (signature, issuer, audience, expiry). */
  InvalidToken = 'invalid_credentials',
  /** None of the user's groups maps to a gateway role (OIDC_ROLE_MAP). */
  NoRole = 'sso_no_role',
  /** The identity provider sent no email address for a user the gateway does not know yet. */
  NoEmail = 'sso_no_email',
  /** An admin user with that email exists and may not be linked to this identity. */
  EmailTaken = 'sso_email_taken',
  /** The admin user is disabled in the gateway. */
  UserDisabled = 'sso_user_disabled',
  /** The identity provider cannot be reached (discovery, keys or token endpoint). */
  ProviderUnavailable = 'sso_provider_unavailable',
  /** Too many sign-ins started from one client address. */
  TooManyStarts = 'too_many_attempts',
}

/** Single sign-on failures; every one names its code, so the console can say what went wrong. */
export class SsoException extends AppException {
  static notConfigured(): SsoException {
    return new SsoException(SsoErrorCode.NotConfigured, 404, 'Single sign-on is not configured (OIDC_ISSUER)', {
      adminCode: true,
    });
  }

  static stateInvalid(): SsoException {
    return new SsoException(
      SsoErrorCode.StateInvalid,
      400,
      'This sign-in link is unknown, expired or was already used; start the sign-in again',
      { adminCode: true },
    );
  }

  static failed(cause: unknown): SsoException {
    return new SsoException(SsoErrorCode.Failed, 401, 'The identity provider did not complete the sign-in', {
      adminCode: true,
      cause,
    });
  }

  static invalidToken(cause: unknown): SsoException {
    return new SsoException(
      SsoErrorCode.InvalidToken,
      401,
      'The ID token is not valid for this gateway (signature, issuer, audience or expiry)',
      { adminCode: true, cause },
    );
  }

  static noRole(claim: string): SsoException {
    return new SsoException(
      SsoErrorCode.NoRole,
      403,
      `None of your groups at the identity provider (claim '${claim}') grants a gateway role; ask an administrator to add you to one named in OIDC_ROLE_MAP`,
      { adminCode: true },
    );
  }

  static noEmail(): SsoException {
    return new SsoException(
      SsoErrorCode.NoEmail,
      403,
      "The identity provider sent no email address (claim 'email'); ask for the email scope",
      { adminCode: true },
    );
  }

  static emailTaken(email: string): SsoException {
    return new SsoException(
      SsoErrorCode.EmailTaken,
      409,
      `An admin user with email '${email}' already exists and is not linked to this identity (the identity provider did not mark the email as verified)`,
      { adminCode: true },
    );
  }

  static userDisabled(): SsoException {
    return new SsoException(SsoErrorCode.UserDisabled, 403, 'This admin user is disabled in the gateway', {
      adminCode: true,
    });
  }

  static providerUnavailable(cause: unknown): SsoException {
    return new SsoException(
      SsoErrorCode.ProviderUnavailable,
      503,
      'The identity provider cannot be reached; retry shortly',
      { adminCode: true, cause, headers: { 'retry-after': '5' } },
    );
  }

  static tooManyStarts(retryAfterSeconds: number): SsoException {
    return new SsoException(
      SsoErrorCode.TooManyStarts,
      429,
      `Too many sign-ins started from this address; retry in ${retryAfterSeconds} s`,
      { adminCode: true, headers: { 'retry-after': String(retryAfterSeconds) } },
    );
  }
}
