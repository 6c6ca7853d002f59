import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import { AppConfig } from '#src/core/config/app-config';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { type AdminPrincipal, AdminPrincipalService } from '#src/modules/auth/admin-principal.service';

/** The console's session cookie (SPEC §15). */
export const CONSOLE_COOKIE = 'llmgw_session';
/** The header the admin API requires beside the cookie: a cross-site page cannot send it without CORS. */
export const CONSOLE_HEADER = 'x-requested-with';
export const CONSOLE_HEADER_VALUE = 'llmgw-console';

/** Whether a request carries the console's header (required with its cookie, and to sign in or out). */
export function fromConsole(headers: { [name: string]: string | string[] | undefined }): boolean {
  return headers[CONSOLE_HEADER] === CONSOLE_HEADER_VALUE;
}

/** 32 random bytes, base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

interface StoredSession {
  userId: string;
  /** The user's credential version at sign-in: a password change or a disable raises it and ends the session. */
  cv: number;
}

/**
 * Console sign-ins as server-side sessions in Redis (SPEC §15): the browser holds only a random id in an
 * HttpOnly cookie, Redis holds the user and credential version under the id's SHA-256 for UI_SESSION_TTL.
 * Every request resolves the user afresh (AdminPrincipalService), so disabling them, changing their password
 * or their roles applies at once; signing out deletes the session.
 */
@Injectable()
export class ConsoleSessionStore {
  private readonly ttlMs: number;
  private readonly secure: boolean;

  constructor(
    config: AppConfig,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly principals: AdminPrincipalService,
  ) {
    this.ttlMs = config.env.UI_SESSION_TTL;
    this.secure = config.env.UI_COOKIE_SECURE;
  }

  /** Starts a session; returns the `set-cookie` value that carries it. */
  async create(user: { id: string; credentialVersion: number }): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const session: StoredSession = { userId: user.id, cv: user.credentialVersion };
    await this.redis.set(this.key(id), JSON.stringify(session), 'PX', this.ttlMs);
    return this.cookie(id, Math.floor(this.ttlMs / 1000));
  }

  /** The signed-in admin behind a request's cookie header, or null (no cookie, unknown, expired, user changed). */
  async principal(cookieHeader: string | undefined): Promise<AdminPrincipal | null> {
    const id = sessionIdOf(cookieHeader);
    if (!id) return null;
    const raw = await this.redis.get(this.key(id));
    const session = raw ? parseSession(raw) : null;
    return session ? this.principals.resolve('user', session.userId, session.cv) : null;
  }

  /** Ends the session of a request's cookie header (if any); returns the `set-cookie` value that clears it. */
  async destroy(cookieHeader: string | undefined): Promise<string> {
    const id = sessionIdOf(cookieHeader);
    if (id) await this.redis.del(this.key(id));
    return this.cookie('', 0);
  }

  private key(id: string): string {
    return this.keys.consoleSession(createHash('sha256').update(id).digest('hex'));
  }

  private cookie(value: string, maxAge: number): string {
    return stringifySetCookie({
      name: CONSOLE_COOKIE,
      value,
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: this.secure,
      maxAge,
    });
  }
}

/** Whether the request carries a console session cookie at all (well-formed or not). */
export function hasSessionCookie(cookieHeader: string | undefined): boolean {
  return cookieHeader !== undefined && parseCookie(cookieHeader)[CONSOLE_COOKIE] !== undefined;
}

function sessionIdOf(cookieHeader: string | undefined): string | null {
  if (!cookieHeader) return null;
  const id = parseCookie(cookieHeader)[CONSOLE_COOKIE];
  return id !== undefined && SESSION_ID.test(id) ? id : null;
}

function parseSession(raw: string): StoredSession | null {
  try {
    const v = JSON.parse(raw) as Partial<StoredSession>;
    return typeof v.userId === 'string' && typeof v.cv === 'number' ? { userId: v.userId, cv: v.cv } : null;
  } catch {
    return null;
  }
}
