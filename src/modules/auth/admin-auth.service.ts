import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '#src/core/config/app-config';
import type { AdminAuthType } from '#src/modules/auth/admin-roles';
import { AdminTokenRepository } from '#src/modules/auth/admin-token.repository';
import type { AdminRole } from '#src/modules/auth/admin-user.entity';
import { AdminUserRepository } from '#src/modules/auth/admin-user.repository';
import { AdminAuthException } from '#src/modules/auth/auth.exception';
import { LoginThrottle } from '#src/modules/auth/login-throttle.service';
import { PasswordVerifier } from '#src/modules/auth/password-verifier.service';

/** The claims of an admin JWT (besides iat/exp/aud): who, how they logged in, and their roles at login. */
export interface AdminJwtClaims {
  sub: string;
  auth_type: AdminAuthType;
  roles: AdminRole[];
  /** A user's credential version at login: the JWT stops working once it is raised. Absent for services. */
  cv?: number;
}

export const ADMIN_JWT_AUDIENCE = 'llmgw-admin';

export interface IssuedToken {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
}

/**
 * An Argon2id hash (same parameters as hashSecret) of a random string nobody knows: verified against when the
 * account does not exist, so an unknown account costs the same time as a wrong secret.
 */
const DUMMY_HASH = '$argon2id$v=19$m=65536,p=4,t=3$+AKHmw+GOAAWMV4W0rEG6w$Y3+XfhkXBW+JI8TwahM1jiEEG62gZlz99jmQAcS9IB0';

interface Account {
  id: string;
  /** The user's email or the service's name. */
  name: string;
  type: AdminAuthType;
  roles: AdminRole[];
  secretHash: string;
  usable: boolean;
  credentialVersion?: number;
}

/** A user whose email and password were just verified. */
export interface AuthenticatedUser {
  id: string;
  email: string;
  roles: AdminRole[];
  credentialVersion: number;
}

/** Exchanges a user's password or a service account's token for an admin JWT, behind the login throttle. */
@Injectable()
export class AdminAuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly users: AdminUserRepository,
    private readonly tokens: AdminTokenRepository,
    private readonly throttle: LoginThrottle,
    private readonly verifier: PasswordVerifier,
  ) {}

  async loginUser(email: string, password: string, address: string): Promise<IssuedToken> {
    return this.issue(await this.userAccount(email, password, address));
  }

  /**
   * Checks a user's email and password behind the login throttle (the console's sign-in uses it too, so both
   * count against the same limits); returns the user or throws invalid_credentials / too_many_attempts.
   */
  async authenticateUser(email: string, password: string, address: string): Promise<AuthenticatedUser> {
    const account = await this.userAccount(email, password, address);
    return {
      id: account.id,
      email: account.name,
      roles: account.roles,
      credentialVersion: account.credentialVersion ?? 0,
    };
  }

  private userAccount(email: string, password: string, address: string): Promise<Account> {
    return this.login(`user:${email}`, address, password, async () => {
      const user = await this.users.findByEmail(email);
      return user
        ? {
            id: user.id,
            name: user.email,
            type: 'user',
            roles: user.roles,
            // a user without a password (created by SSO) is verified against the dummy hash and refused
            secretHash: user.passwordHash ?? DUMMY_HASH,
            usable: user.enabled && user.passwordHash !== null,
            credentialVersion: user.credentialVersion,
          }
        : null;
    });
  }

  /** An admin JWT for a user who signed in another way (SSO); the caller has checked they may. */
  issueForUser(user: AuthenticatedUser): Promise<IssuedToken> {
    return this.issue({
      id: user.id,
      name: user.email,
      type: 'user',
      roles: user.roles,
      secretHash: '',
      usable: true,
      credentialVersion: user.credentialVersion,
    });
  }

  async loginService(serviceName: string, token: string, address: string): Promise<IssuedToken> {
    const account = await this.login(`service:${serviceName}`, address, token, async () => {
      const row = await this.tokens.findByServiceName(serviceName);
      if (!row) return null;
      const expired = row.expiresAt !== null && row.expiresAt.getTime() <= Date.now();
      return {
        id: row.id,
        name: row.serviceName,
        type: 'service',
        roles: row.roles,
        secretHash: row.tokenHash,
        usable: row.enabled && !expired,
      };
    });
    return this.issue(account);
  }

  /** One path for every outcome, so unknown, wrong, disabled and expired look (and take) the same. */
  private async login(
    account: string,
    address: string,
    secret: string,
    find: () => Promise<Account | null>,
  ): Promise<Account> {
    // counted as a failure before Argon2 runs, so parallel guesses cannot all slip past the check
    await this.throttle.reserve(account, address);
    let found: Account | null;
    let matches: boolean;
    try {
      found = await find();
      matches = await this.verifier.verify(found?.secretHash ?? DUMMY_HASH, secret);
    } catch (err) {
      await this.throttle.cancel(account, address);
      throw err;
    }
    if (!found || !matches || !found.usable) throw AdminAuthException.invalidCredentials();
    await this.throttle.succeed(account, address);
    return found;
  }

  private async issue(account: Account): Promise<IssuedToken> {
    const claims: AdminJwtClaims = { sub: account.id, auth_type: account.type, roles: account.roles };
    if (account.credentialVersion !== undefined) claims.cv = account.credentialVersion;
    return { accessToken: await this.jwt.signAsync(claims), expiresIn: jwtLifetimeSeconds(this.config) };
  }
}

/** JWT_EXPIRES_IN in whole seconds (at least one). */
export function jwtLifetimeSeconds(config: AppConfig): number {
  return Math.max(1, Math.floor(config.env.JWT_EXPIRES_IN / 1000));
}
