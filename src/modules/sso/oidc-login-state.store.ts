import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import * as oidc from 'openid-client';
import { AppConfig } from '#src/core/config/app-config';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { AdminAuthException } from '#src/modules/auth/auth.exception';
import { clientAddressBucket } from '#src/modules/auth/client-address';
import type { AuthorizationRequest } from '#src/modules/sso/oidc-client.service';
import { SsoException } from '#src/modules/sso/sso.exception';

/** How long a started sign-in may take at the identity provider. */
export const OIDC_LOGIN_TTL_MS = 10 * 60_000;
/** Sign-ins one client address (IPv6: its /64) may start per OIDC_LOGIN_TTL_MS: bounds the pending states. */
export const OIDC_LOGIN_STARTS_PER_ADDRESS = 100;
/** The browser's half of a started sign-in; SameSite=Lax, since the provider's redirect back is cross-site. */
export const OIDC_LOGIN_COOKIE = 'llmgw_oidc';
const COOKIE_PATH = '/ui/auth/oidc';

/** openid-client's random values: 32 bytes, base64url. */
const RANDOM_32 = /^[A-Za-z0-9_-]{43}$/;

/** KEYS[1] = the address's start count; ARGV = max, window (ms). 0, or the ms until a start is allowed. */
const COUNT_START = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 1 then ttl = tonumber(ARGV[2]) end
  return ttl
end
return 0`;

interface StoredLogin {
  nonce: string;
  codeVerifier: string;
  /** SHA-256 (hex) of the browser's cookie value. */
  browser: string;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/**
 * The transient state of SSO sign-ins in Redis: nonce and PKCE verifier under the SHA-256 of `state`, for
 * OIDC_LOGIN_TTL_MS, taken at most once (GETDEL), and bound to the browser that started the sign-in by a
 * random HttpOnly cookie, so a callback link made for someone else's sign-in (login CSRF) is refused. Starts
 * are counted per client address, so the pending states stay bounded.
 */
@Injectable()
export class OidcLoginStateStore {
  private readonly secure: boolean;

  constructor(
    config: AppConfig,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.secure = config.env.UI_COOKIE_SECURE;
  }

  /** Starts a sign-in: its state, nonce and verifier, and the `set-cookie` value binding it to this browser. */
  async begin(
    address: string,
    cookieHeader: string | undefined,
  ): Promise<{ request: AuthorizationRequest; cookie: string }> {
    const waitMs = Number(
      await this.run(() =>
        this.redis.eval(
          COUNT_START,
          1,
          this.keys.oidcLoginStarts(clientAddressBucket(address)),
          OIDC_LOGIN_STARTS_PER_ADDRESS,
          OIDC_LOGIN_TTL_MS,
        ),
      ),
    );
    if (waitMs > 0) throw SsoException.tooManyStarts(Math.ceil(waitMs / 1000));
    // a browser with a sign-in already pending keeps its cookie, so two tabs can sign in side by side
    const browser = browserSecretOf(cookieHeader) ?? randomBytes(32).toString('base64url');
    const request: AuthorizationRequest = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const stored: StoredLogin = { nonce: request.nonce, codeVerifier: request.codeVerifier, browser: sha256(browser) };
    await this.run(() =>
      this.redis.set(this.keys.oidcLogin(sha256(request.state)), JSON.stringify(stored), 'PX', OIDC_LOGIN_TTL_MS),
    );
    return { request, cookie: this.cookie(browser, Math.floor(OIDC_LOGIN_TTL_MS / 1000)) };
  }

  /**
   * Takes the sign-in a callback's `state` names, once: null when it is malformed, unknown, expired, already
   * taken, or was started by another browser.
   */
  async take(state: unknown, cookieHeader: string | undefined): Promise<AuthorizationRequest | null> {
    if (typeof state !== 'string' || !RANDOM_32.test(state)) return null;
    const raw = await this.run(() => this.redis.getdel(this.keys.oidcLogin(sha256(state))));
    const stored = raw === null ? null : parseStored(raw);
    const browser = browserSecretOf(cookieHeader);
    if (!stored || !browser) return null;
    if (!timingSafeEqual(Buffer.from(sha256(browser), 'hex'), Buffer.from(stored.browser, 'hex'))) return null;
    return { state, nonce: stored.nonce, codeVerifier: stored.codeVerifier };
  }

  /** The `set-cookie` value that removes the browser binding once the sign-in is over. */
  clearCookie(): string {
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAge: number): string {
    return stringifySetCookie({
      name: OIDC_LOGIN_COOKIE,
      value,
      httpOnly: true,
      sameSite: 'lax',
      path: COOKIE_PATH,
      secure: this.secure,
      maxAge,
    });
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw AdminAuthException.throttleUnavailable(err);
    }
  }
}

function browserSecretOf(cookieHeader: string | undefined): string | null {
  if (!cookieHeader) return null;
  const value = parseCookie(cookieHeader)[OIDC_LOGIN_COOKIE];
  return value !== undefined && RANDOM_32.test(value) ? value : null;
}

function parseStored(raw: string): StoredLogin | null {
  try {
    const v = JSON.parse(raw) as Partial<StoredLogin>;
    return typeof v.nonce === 'string' && typeof v.codeVerifier === 'string' && typeof v.browser === 'string'
      ? { nonce: v.nonce, codeVerifier: v.codeVerifier, browser: v.browser }
      : null;
  } catch {
    return null;
  }
}
