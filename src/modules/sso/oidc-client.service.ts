import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { AppConfig, type OidcSettings } from '#src/core/config/app-config';
import { SsoException } from '#src/modules/sso/sso.exception';

/** Asymmetric algorithms only: an HS256 ID token would be signed with the client secret, which others may hold. */
const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Clock skew allowed between the gateway and the identity provider when checking exp, iat and nbf. */
const CLOCK_TOLERANCE_S = 30;

export type OidcClaims = Record<string, unknown> & { iss: string; sub: string };

/** What the console's sign-in sends the browser to the identity provider with. */
export interface AuthorizationRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * The gateway as an OpenID Connect relying party (openid-client): discovery on first use (retried on the
 * next sign-in when the provider was down, so the gateway starts without it), the authorization code flow
 * with PKCE, state and nonce, and the verification of ID tokens presented by automation (jose, against the
 * provider's published keys).
 */
@Injectable()
export class OidcClient {
  private configuration: Promise<oidc.Configuration> | null = null;
  private jwks: ReturnType<typeof createRemoteJWKSet> | null = null;

  constructor(private readonly config: AppConfig) {}

  get settings(): OidcSettings {
    if (!this.config.oidc) throw SsoException.notConfigured();
    return this.config.oidc;
  }

  /** Throws sso_not_configured (404) when OIDC_ISSUER is unset. */
  assertConfigured(): void {
    if (!this.config.oidc) throw SsoException.notConfigured();
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    const configuration = await this.discover();
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      state: request.state,
      nonce: request.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Redeems the code of a callback (its query string as received) at the token endpoint with the PKCE
   * verifier, checking state, nonce, issuer and audience of the ID token; returns its claims.
   */
  async redeem(query: string, request: AuthorizationRequest): Promise<OidcClaims> {
    const configuration = await this.discover();
    // the URL the provider redirected to, as registered (behind a proxy the request's own URL differs)
    const callback = new URL(this.settings.redirectUri);
    callback.search = query;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        expectedState: request.state,
        expectedNonce: request.nonce,
        pkceCodeVerifier: request.codeVerifier,
        idTokenExpected: true,
      });
    } catch (err) {
      if (isNetworkError(err)) throw SsoException.providerUnavailable(err);
      throw SsoException.failed(err);
    }
    const claims = tokens.claims();
    if (!claims) throw SsoException.failed(new Error('no ID token in the token response'));
    return claims;
  }

  /** Verifies an ID token from the same issuer: signature (published keys), issuer, audience (our client id), expiry. */
  async verifyIdToken(idToken: string): Promise<OidcClaims> {
    const configuration = await this.discover();
    const metadata = configuration.serverMetadata();
    if (!metadata.jwks_uri) throw SsoException.providerUnavailable(new Error('the issuer publishes no jwks_uri'));
    this.jwks ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(idToken, this.jwks, {
        issuer: metadata.issuer,
        audience: this.settings.clientId,
        algorithms: ID_TOKEN_ALGORITHMS,
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      if (isNetworkError(err)) throw SsoException.providerUnavailable(err);
      throw SsoException.invalidToken(err);
    }
    // OIDC Core 3.1.3.7: with several audiences, the token must have been issued to this client
    const aud = payload.aud;
    if (Array.isArray(aud) && aud.length > 1 && payload.azp !== this.settings.clientId)
      throw SsoException.invalidToken(new Error('several audiences and azp is not the client id'));
    return payload as OidcClaims;
  }

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= this.load().catch((err: unknown) => {
      this.configuration = null;
      throw SsoException.providerUnavailable(err);
    });
    return this.configuration;
  }

  private load(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    // plain HTTP is accepted only where the configuration allows it (loopback in production, see app-config)
    const insecure = new URL(issuer).protocol === 'http:';
    return oidc.discovery(
      new URL(issuer),
      clientId,
      { client_secret: clientSecret },
      oidc.ClientSecretBasic(clientSecret),
      insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
  }
}

/** A failure to reach the provider (as opposed to an answer that did not verify). */
function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const name = err.name;
  const code = (err as { code?: unknown }).code;
  return (
    (err instanceof TypeError && err.message === 'fetch failed') ||
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    code === 'ERR_JWKS_TIMEOUT' ||
    code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' ||
    (err.cause instanceof Error && isNetworkError(err.cause))
  );
}
