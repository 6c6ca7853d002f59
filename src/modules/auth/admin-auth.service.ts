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
  type: AdminAuthType;
  roles: AdminRole[];
  secretHash: string;
  usable: boolean;
  credentialVersion?: number;
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
    return this.login(`user:${email}`, address, password, async () => {
      const user = await this.users.findByEmail(email);
      return user
        ? {
            id: user.id,
            type: 'user',
            roles: user.roles,
            secretHash: user.passwordHash,
            usable: user.enabled,
            credentialVersion: user.credentialVersion,
          }
        : null;
    });
  }

  async loginService(serviceName: string, token: string, address: string): Promise<IssuedToken> {
    return this.login(`service:${serviceName}`, address, token, async () => {
      const row = await this.tokens.findByServiceName(serviceName);
      if (!row) return null;
      const expired = row.expiresAt !== null && row.expiresAt.getTime() <= Date.now();
      return {
        id: row.id,
        type: 'service',
        roles: row.roles,
        secretHash: row.tokenHash,
        usable: row.enabled && !expired,
      };
    });
  }

  /** One path for every outcome, so unknown, wrong, disabled and expired look (and take) the same. */
  private async login(
    account: string,
    address: string,
    secret: string,
    find: () => Promise<Account | null>,
  ): Promise<IssuedToken> {
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
    return this.issue(found);
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
