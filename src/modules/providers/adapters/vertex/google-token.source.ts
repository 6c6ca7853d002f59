import { createHash, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { GoogleAuth } from 'google-auth-library';
import type { UpstreamTimeouts } from '#src/modules/providers/provider-adapter';
import { UpstreamErrorCode, UpstreamException } from '#src/modules/providers/provider.exception';
import { UpstreamHttp } from '#src/modules/providers/upstream-http';
import { abortedCallError } from '#src/modules/providers/adapters/shared/openai.shapes';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google issues service-account tokens for at most an hour; the assertion asks for that. */
const ASSERTION_LIFETIME_S = 3600;
/** Refresh this long before expiry (google-auth-library's default), or a quarter of a short token's life. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** The fields of a service-account key file the gateway uses. */
export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: KeyObject;
  privateKeyId: string | undefined;
  projectId: string | undefined;
  tokenUri: string;
  /** Identifies the key (a digest, not the key) for the process-wide token cache. */
  cacheKey: string;
}

/** Something that hands out OAuth2 access tokens for Vertex AI. */
export interface TokenSource {
  readonly projectId: string | undefined;
  token(signal: AbortSignal): Promise<string>;
  /** Forgets the cached token (Vertex answered 401 with it). */
  invalidate(): void;
  close(): Promise<void>;
}

/**
 * Parses `service_account_json`. Errors never quote the input: JSON.parse messages include an excerpt of
 * the text, which here is a private key.
 */
export function parseServiceAccount(json: string): ServiceAccountKey {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new Error('service_account_json is not valid JSON');
  }
  const str = (k: string): string | undefined => (typeof raw[k] === 'string' && raw[k] !== '' ? raw[k] : undefined);
  const clientEmail = str('client_email');
  const pem = str('private_key');
  if (!clientEmail || !pem) throw new Error('service_account_json lacks client_email or private_key');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new Error('service_account_json private_key is not a readable PEM key');
  }
  const tokenUri = str('token_uri') ?? GOOGLE_TOKEN_URI;
  return {
    clientEmail,
    privateKey,
    privateKeyId: str('private_key_id'),
    projectId: str('project_id'),
    tokenUri,
    cacheKey: createHash('sha256').update(`${tokenUri}\n${clientEmail}\n${pem}`).digest('hex'),
  };
}

/** The RS256 JWT assertion of RFC 7523 §2.1, as Google's token endpoint expects it. */
export function signAssertion(key: ServiceAccountKey, nowS: number): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = {
    iss: key.clientEmail,
    scope: CLOUD_PLATFORM_SCOPE,
    aud: key.tokenUri,
    iat: nowS,
    exp: nowS + ASSERTION_LIFETIME_S,
  };
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

interface CachedToken {
  token: string;
  refreshAt: number;
}

interface TokenSlot {
  cached: CachedToken | null;
  refreshing: Promise<CachedToken> | null;
}

/**
 * Tokens per service-account key, for the whole process: the provider registry rebuilds every adapter on
 * each reload (PROVIDER_RELOAD_INTERVAL, any provider change), and a token is good for an hour.
 */
const TOKENS = new Map<string, TokenSlot>();

/**
 * Service-account tokens by the JWT-bearer grant, sent to the key's own `token_uri` (google-auth-library
 * always uses oauth2.googleapis.com, which breaks private endpoints and test servers). Tokens are cached and
 * refreshed before expiry; concurrent calls share one refresh, and a caller that goes away stops waiting
 * without cancelling the refresh the others wait for.
 */
export class ServiceAccountTokenSource implements TokenSource {
  private readonly http: UpstreamHttp;
  private readonly tokenPath: string;
  private readonly slot: TokenSlot;

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly providerName: string,
    timeouts: UpstreamTimeouts,
  ) {
    const url = new URL(key.tokenUri);
    this.tokenPath = `${url.pathname}${url.search}`;
    this.http = new UpstreamHttp(url.origin, providerName, timeouts);
    let slot = TOKENS.get(key.cacheKey);
    if (!slot) {
      slot = { cached: null, refreshing: null };
      TOKENS.set(key.cacheKey, slot);
    }
    this.slot = slot;
  }

  get projectId(): string | undefined {
    return this.key.projectId;
  }

  async token(signal: AbortSignal): Promise<string> {
    const slot = this.slot;
    if (slot.cached && Date.now() < slot.cached.refreshAt) return slot.cached.token;
    slot.refreshing ??= this.fetchToken().finally(() => {
      slot.refreshing = null;
    });
    return (await untilAborted(slot.refreshing, signal, this.providerName)).token;
  }

  invalidate(): void {
    this.slot.cached = null;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async fetchToken(): Promise<CachedToken> {
    const sentAt = Date.now();
    const body = new URLSearchParams({
      grant_type: JWT_BEARER_GRANT,
      assertion: signAssertion(this.key, Math.floor(sentAt / 1000)),
    }).toString();
    // the refresh is shared, so no single caller's signal may cancel it; the pool's timeouts still apply
    const res = await this.http.post(
      this.tokenPath,
      { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      new AbortController().signal,
    );
    if (res.status !== 200) throw this.refusal(res.status, res.body);
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(res.body.toString('utf8')) as typeof parsed;
    } catch {
      parsed = {};
    }
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '') throw this.refusal(200, res.body);
    const lifetimeMs = (typeof parsed.expires_in === 'number' ? parsed.expires_in : 3600) * 1000;
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 4);
    this.slot.cached = { token: parsed.access_token, refreshAt: sentAt + lifetimeMs - margin };
    return this.slot.cached;
  }

  /** The token endpoint's 4xx means the key is refused (SPEC §3: 502 auth); its body names only the error kind. */
  private refusal(status: number, body: Buffer): UpstreamException {
    let kind = 'unreadable token response';
    try {
      const e = (JSON.parse(body.toString('utf8')) as { error?: unknown }).error;
      if (typeof e === 'string') kind = e;
    } catch {
      // keep the generic kind
    }
    const cause = new Error(`token endpoint answered ${status} (${kind})`);
    if (status >= 500) return new UpstreamException(UpstreamErrorCode.ServerError, this.providerName, { cause });
    return new UpstreamException(UpstreamErrorCode.Auth, this.providerName, { cause });
  }
}

/**
 * Application Default Credentials (workload identity, metadata server, GOOGLE_APPLICATION_CREDENTIALS) when
 * the provider stores no key; google-auth-library caches and refreshes these itself.
 */
export class DefaultCredentialsTokenSource implements TokenSource {
  /** One for the process: the ambient credentials are the same for every provider, and it caches tokens. */
  private static shared: GoogleAuth | null = null;
  private readonly auth = (DefaultCredentialsTokenSource.shared ??= new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }));

  constructor(
    readonly projectId: string | undefined,
    private readonly providerName: string,
  ) {}

  async token(signal: AbortSignal): Promise<string> {
    const pending = this.auth.getAccessToken().then((t) => {
      if (!t) throw new Error('no access token from the default credentials');
      return t;
    });
    try {
      return await untilAborted(pending, signal, this.providerName);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new UpstreamException(UpstreamErrorCode.Auth, this.providerName, {
        cause: new Error(`default credentials failed: ${(err as Error).name}`),
      });
    }
  }

  invalidate(): void {
    // google-auth-library refreshes on its own schedule
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Waits for `pending` unless `signal` aborts first. */
function untilAborted<T>(pending: Promise<T>, signal: AbortSignal, providerName: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedCallError(signal, providerName));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedCallError(signal, providerName));
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
