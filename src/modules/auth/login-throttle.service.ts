import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { AdminAuthException } from '#src/modules/auth/auth.exception';
import { clientAddressBucket } from '#src/modules/auth/client-address';

/** Failures allowed before the first lockout. */
export const LOGIN_FREE_FAILURES = 5;
export const LOGIN_BASE_LOCKOUT_MS = 30_000;
export const LOGIN_MAX_LOCKOUT_MS = 60 * 60_000;
/** Failures are forgotten this long after the last one (or when a lockout ends, if that is later). */
export const LOGIN_FAILURE_MEMORY_MS = 15 * 60_000;
/** The window of the per-address count (across all accounts), from its first failure. */
export const LOGIN_ADDRESS_WINDOW_MS = 15 * 60_000;

/** Lockout after the n-th consecutive failure: none for the first few, then 30 s doubling up to an hour. */
export function lockoutMs(failures: number): number {
  if (failures < LOGIN_FREE_FAILURES) return 0;
  return Math.min(LOGIN_MAX_LOCKOUT_MS, LOGIN_BASE_LOCKOUT_MS * 2 ** (failures - LOGIN_FREE_FAILURES));
}

/** Redis server time, so every pod measures lockouts on one clock. */
const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS[1] = the (account, address) failure hash, KEYS[2] = the address's failure count.
 * ARGV = free failures, base, max, memory, address max, address window (ms).
 * Refuses (returns the ms to wait) while the pair is locked out or the address has used its failures;
 * otherwise counts this attempt as a failure in both up front (returns 0), so concurrent attempts cannot
 * all pass the check before any failure is recorded. A success or an aborted attempt gives it back.
 */
const RESERVE = `${NOW_MS}
local free, base, max, memory = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local addrMax, window = tonumber(ARGV[5]), tonumber(ARGV[6])
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
if untilMs > now then return untilMs - now end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= addrMax then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 1 then ttl = window end
  return ttl
end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], window) end
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local lock = 0
if n >= free then
  lock = math.min(max, base * 2 ^ (n - free))
  redis.call('HSET', KEYS[1], 'locked_until', math.floor(now + lock))
end
redis.call('PEXPIRE', KEYS[1], math.floor(math.max(memory, lock)))
return 0`;

/** KEYS as RESERVE. A success: the pair's failures are forgotten, the address's reservation given back. */
const SUCCEED = `redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 0`;

/** KEYS as RESERVE. An attempt that never reached a verdict (busy, database error): its reservation is undone. */
const CANCEL = `if tonumber(redis.call('HGET', KEYS[1], 'failures') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'failures', -1) end
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 0`;

/**
 * Backoff for failed admin logins in Redis, on two counts: per (account, client address), after
 * LOGIN_FREE_FAILURES failures locked out (429 with Retry-After) for 30 s doubling with every further failure,
 * so an attacker elsewhere cannot lock an admin out; and per client address across all accounts
 * (LOGIN_ADDRESS_MAX_FAILURES per 15 minutes, IPv6 by /64), so guessing many accounts cannot burn CPU.
 * An attempt is reserved as a failure before the password is checked. When Redis cannot be reached, logins
 * are refused (503) rather than left unthrottled.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly config: AppConfig,
  ) {}

  /** Reserves one failed attempt, or throws 429 with Retry-After while the pair or the address is locked out. */
  async reserve(account: string, address: string): Promise<void> {
    const waitMs = Number(
      await this.eval(
        RESERVE,
        account,
        address,
        LOGIN_FREE_FAILURES,
        LOGIN_BASE_LOCKOUT_MS,
        LOGIN_MAX_LOCKOUT_MS,
        LOGIN_FAILURE_MEMORY_MS,
        this.config.env.LOGIN_ADDRESS_MAX_FAILURES,
        LOGIN_ADDRESS_WINDOW_MS,
      ),
    );
    if (waitMs > 0) throw AdminAuthException.tooManyAttempts(Math.ceil(waitMs / 1000));
  }

  /** The attempt succeeded: forget the pair's failures and give the address its reservation back. */
  async succeed(account: string, address: string): Promise<void> {
    await this.eval(SUCCEED, account, address);
  }

  /** The attempt reached no verdict: undo its reservation (best effort). */
  async cancel(account: string, address: string): Promise<void> {
    await this.eval(CANCEL, account, address).catch(() => undefined);
  }

  /** Account names are namespaced (`user:`, `service:`) by the caller; lower-cased so case cannot dodge it. */
  private eval(script: string, account: string, address: string, ...args: (string | number)[]): Promise<unknown> {
    const bucket = clientAddressBucket(address);
    const keys = [this.keys.loginFailures(account.toLowerCase(), bucket), this.keys.loginAddressFailures(bucket)];
    return this.run(() => this.redis.eval(script, 2, ...keys, ...args));
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw AdminAuthException.throttleUnavailable(err);
    }
  }
}
