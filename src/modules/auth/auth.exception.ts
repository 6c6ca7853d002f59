import { AppException } from '#src/core/errors/app.exception';
import { ResourceErrorCode, ResourceException } from '#src/core/errors/resource.exception';

export enum AuthErrorCode {
  /** No JWT, or one that is invalid, expired, or whose admin is gone or disabled. */
  Unauthorized = 'unauthorized',
  /** A valid admin whose highest role is below what the route needs. */
  Forbidden = 'forbidden',
  /** A console session cookie without the console's header: possibly a cross-site request, refused. */
  ConsoleHeaderRequired = 'console_header_required',
  /** Login refused: unknown account, wrong secret, disabled or expired; one code for all. */
  InvalidCredentials = 'invalid_credentials',
  TooManyAttempts = 'too_many_attempts',
  /** The login throttle (Redis) cannot be consulted, so logins are refused rather than unthrottled. */
  ThrottleUnavailable = 'service_unavailable',
  /** UI_PASSWORD_LOGIN=false: the console signs in through SSO only. */
  PasswordLoginDisabled = 'password_login_disabled',
}

/** Admin authentication and authorisation failures, rendered `{statusCode, message, error}` on /admin. */
export class AdminAuthException extends AppException {
  static unauthorized(): AdminAuthException {
    return new AdminAuthException(
      AuthErrorCode.Unauthorized,
      401,
      'Send a valid admin JWT as "Authorization: Bearer <token>" (from /admin/auth/login or /admin/auth/token)',
      { headers: { 'www-authenticate': 'Bearer' } },
    );
  }

  static forbidden(required: string | undefined): AdminAuthException {
    return new AdminAuthException(
      AuthErrorCode.Forbidden,
      403,
      required ? `This operation needs the '${required}' role` : 'This operation is not available to admins',
    );
  }

  static consoleHeaderRequired(): AdminAuthException {
    return new AdminAuthException(
      AuthErrorCode.ConsoleHeaderRequired,
      403,
      'A console session is accepted only with the header "x-requested-with: llmgw-console"',
      { adminCode: true },
    );
  }

  /** No console session (signed out, expired, or the admin was disabled or changed their password). */
  static notSignedIn(): AdminAuthException {
    return new AdminAuthException(AuthErrorCode.Unauthorized, 401, 'Not signed in to the console', {
      adminCode: true,
    });
  }

  static passwordLoginDisabled(): AdminAuthException {
    return new AdminAuthException(
      AuthErrorCode.PasswordLoginDisabled,
      403,
      'Password sign-in to the console is turned off (UI_PASSWORD_LOGIN=false); sign in with SSO',
      { adminCode: true },
    );
  }

  static invalidCredentials(): AdminAuthException {
    return new AdminAuthException(AuthErrorCode.InvalidCredentials, 401, 'Invalid credentials');
  }

  static tooManyAttempts(retryAfterSeconds: number): AdminAuthException {
    return new AdminAuthException(
      AuthErrorCode.TooManyAttempts,
      429,
      `Too many failed attempts; retry in ${retryAfterSeconds} s`,
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    );
  }

  /** Every login verification slot of this process and its queue are taken. */
  static verifierBusy(): AdminAuthException {
    return new AdminAuthException(AuthErrorCode.ThrottleUnavailable, 503, 'Too many logins at once; retry shortly', {
      headers: { 'retry-after': '1' },
    });
  }

  static throttleUnavailable(cause: unknown): AdminAuthException {
    return new AdminAuthException(AuthErrorCode.ThrottleUnavailable, 503, 'Login is unavailable; retry shortly', {
      cause,
    });
  }
}

export class AdminUsersException extends ResourceException {
  static notFound(id: string): AdminUsersException {
    return new AdminUsersException(ResourceErrorCode.NotFound, `Admin user ${id} not found`);
  }

  static emailNotFound(email: string): AdminUsersException {
    return new AdminUsersException(ResourceErrorCode.NotFound, `No admin user with email '${email}'`);
  }

  static emailTaken(email: string): AdminUsersException {
    return new AdminUsersException(ResourceErrorCode.Conflict, `An admin user with email '${email}' already exists`);
  }

  static lastAdmin(): AdminUsersException {
    return new AdminUsersException(
      ResourceErrorCode.Conflict,
      'This is the last enabled admin: give another user the admin role first',
    );
  }
}

export class ServiceTokensException extends ResourceException {
  static notFound(id: string): ServiceTokensException {
    return new ServiceTokensException(ResourceErrorCode.NotFound, `Service token ${id} not found`);
  }

  static nameTaken(name: string): ServiceTokensException {
    return new ServiceTokensException(ResourceErrorCode.Conflict, `A service token named '${name}' already exists`);
  }
}
