import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

/** A loopback port free right now: for an app whose address must be known before it starts (a redirect URI). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What the test IdP says about one of its accounts; tests change `groups` between sign-ins. */
export interface IdpAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

export const IDP_CLIENT_ID = 'llm-gateway';
export const IDP_CLIENT_SECRET = 'canary-oidc-client-secret-6b1e9f3a7d';
/** A second redirect URI of the gateway's client, where a test plays the automation that fetches an ID token. */
export const AUTOMATION_REDIRECT_URI = 'http://127.0.0.1:9/automation-callback';

/**
 * A real OpenID Connect provider (`oidc-provider`) on loopback, in the test process: discovery, authorization
 * endpoint with PKCE, token endpoint, JWKS. Its login and consent step signs in whichever account the test set
 * in `loginAs` (no form), so a client that follows redirects and keeps cookies plays the browser.
 */
export class TestIdp {
  readonly accounts = new Map<string, IdpAccount>();
  loginAs = '';
  private server!: Server;
  private provider!: Provider;
  private privateKey!: CryptoKey;
  private kid = 'test-idp-key-1';
  issuer = '';

  /**
   * `host` names the issuer: `localhost` makes the IdP another site than the gateway on 127.0.0.1 for a
   * browser (ports do not count), so the redirects back are cross-site as in production.
   */
  async start(redirectUris: string[], { host = '127.0.0.1' }: { host?: string } = {}): Promise<this> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = privateKey;
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid: this.kid, alg: 'RS256', use: 'sig' };
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    const accounts = this.accounts;
    this.provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: IDP_CLIENT_ID,
          client_secret: IDP_CLIENT_SECRET,
          redirect_uris: [...redirectUris, AUTOMATION_REDIRECT_URI],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [jwk] },
      cookies: { keys: ['test-idp-cookie-key'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
      scopes: ['openid', 'email', 'profile', 'groups'],
      // the profile, email and groups claims in the ID token itself, as Keycloak, Okta and Entra ID put groups
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      pkce: { required: () => true },
      findAccount: (_ctx, sub) => {
        const account = accounts.get(sub);
        if (!account) return undefined;
        return { accountId: sub, claims: () => ({ sub, ...accounts.get(sub) }) };
      },
    });
    return this;
  }

  /** An ID token signed with the IdP's own key, for the checks real tokens cannot reach (expiry, audience). */
  async sign(claims: Record<string, unknown>, options: { expiresIn?: string | number; key?: CryptoKey } = {}) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .setIssuer(this.issuer)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(options.key ?? this.privateKey);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!req.url?.startsWith('/interaction/')) return this.provider.callback()(req, res);
    try {
      const details = await this.provider.interactionDetails(req, res);
      const accountId = this.loginAs;
      const grant = new this.provider.Grant({ accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await this.provider.interactionFinished(
        req,
        res,
        { login: { accountId }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  }
}

/**
 * An HTTP client that follows redirects and keeps cookies per host:port, as a browser would across the
 * gateway and the IdP (both on 127.0.0.1, different ports). `stopAt` ends the walk before fetching a URL.
 */
export class RedirectWalker {
  readonly cookies = new Map<string, Map<string, string>>();

  /** `headers` go with every request (an `x-forwarded-for` keeps the login throttle of tests apart). */
  constructor(private readonly headers: Record<string, string> = {}) {}

  async go(
    url: string,
    stopAt: (url: URL) => boolean = () => false,
  ): Promise<{ url: URL; status: number; body: string; stopped: boolean }> {
    let current = new URL(url);
    for (let hop = 0; hop < 20; hop++) {
      if (hop > 0 && stopAt(current)) return { url: current, status: 0, body: '', stopped: true };
      const jar = this.cookies.get(current.host);
      const res = await fetch(current, {
        redirect: 'manual',
        headers: {
          ...this.headers,
          ...(jar?.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        },
      });
      this.keep(current.host, res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        current = new URL(location, current);
        continue;
      }
      return { url: current, status: res.status, body: await res.text(), stopped: false };
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }

  private keep(host: string, setCookies: string[]): void {
    const jar = this.cookies.get(host) ?? new Map<string, string>();
    this.cookies.set(host, jar);
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((p) => p.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }
}
