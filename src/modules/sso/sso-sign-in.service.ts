import { Injectable } from '@nestjs/common';
import { AppException } from '#src/core/errors/app.exception';
import { AdminAuthService, type AuthenticatedUser, type IssuedToken } from '#src/modules/auth/admin-auth.service';
import { LoginThrottle } from '#src/modules/auth/login-throttle.service';
import { OidcClient, type OidcClaims } from '#src/modules/sso/oidc-client.service';
import { identityOf, rolesFor } from '#src/modules/sso/oidc-identity';
import { OidcLoginStateStore } from '#src/modules/sso/oidc-login-state.store';
import { SsoException } from '#src/modules/sso/sso.exception';
import { SsoUserService } from '#src/modules/sso/sso-user.service';

/** The login throttle's account for SSO: the identity is unknown until the provider's answer verified. */
const THROTTLE_ACCOUNT = 'sso';

/**
 * SSO sign-in (SPEC §16): the console's authorization code flow and the ID token exchange for automation. The
 * callback and the exchange go through the login throttle like a password login: each attempt is reserved as
 * a failure up front and given back on success, so repeated bad states or tokens from one address get 429.
 */
@Injectable()
export class SsoSignInService {
  constructor(
    private readonly client: OidcClient,
    private readonly states: OidcLoginStateStore,
    private readonly users: SsoUserService,
    private readonly throttle: LoginThrottle,
    private readonly auth: AdminAuthService,
  ) {}

  /** The identity provider's sign-in page for this browser, and the cookie that binds the sign-in to it. */
  async begin(address: string, cookieHeader: string | undefined): Promise<{ url: URL; cookie: string }> {
    this.client.assertConfigured();
    const { request, cookie } = await this.states.begin(address, cookieHeader);
    return { url: await this.client.authorizationUrl(request), cookie };
  }

  /** Completes the console's sign-in from the provider's redirect back (its query string). */
  completeConsole(
    query: Record<string, unknown>,
    rawQuery: string,
    cookieHeader: string | undefined,
    address: string,
  ): Promise<AuthenticatedUser> {
    this.client.assertConfigured();
    return this.throttled(address, async () => {
      const request = await this.states.take(query.state, cookieHeader);
      if (!request) throw SsoException.stateInvalid();
      return this.provision(await this.client.redeem(rawQuery, request));
    });
  }

  /** POST /admin/auth/oidc: an ID token from the same issuer, for the client id, in exchange for an admin JWT. */
  exchangeIdToken(idToken: string, address: string): Promise<IssuedToken> {
    this.client.assertConfigured();
    return this.throttled(address, async () =>
      this.auth.issueForUser(await this.provision(await this.client.verifyIdToken(idToken))),
    );
  }

  private provision(claims: OidcClaims): Promise<AuthenticatedUser> {
    const settings = this.client.settings;
    const identity = identityOf(claims, settings);
    return this.users.signIn(identity, rolesFor(identity.groups, settings.roleMap), settings.rolesClaim);
  }

  private async throttled<T>(address: string, attempt: () => Promise<T>): Promise<T> {
    await this.throttle.reserve(THROTTLE_ACCOUNT, address);
    let result: T;
    try {
      result = await attempt();
    } catch (err) {
      // a verdict (bad state, bad token, no role) stays counted; an outage is not the caller's failure
      if (!(err instanceof AppException) || err.status >= 500) await this.throttle.cancel(THROTTLE_ACCOUNT, address);
      throw err;
    }
    await this.throttle.succeed(THROTTLE_ACCOUNT, address);
    return result;
  }
}
