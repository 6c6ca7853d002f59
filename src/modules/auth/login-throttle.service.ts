import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { AdminAuthException } from '#src/modules/auth/auth.exception';

/** Failures allowed before the first lockout. */
export const LOGIN_FREE_FAILURES = 5;
export const LOGIN_BASE_LOCKOUT_MS = 30_000;
export const LOGIN_MAX_LOCKOUT_MS = 60 * 60_000;
/** Failures are forgotten this long after the last one (or when a lockout ends, if that is later). */
export const LOGIN_FAILURE_MEMORY_MS = 15 * 60_000;

/** Lockout after the n-th consecutive failure: none for the first few, then 30 s doubling up to an hour. */
export function lockoutMs(failures: number): number {
  if (failures < LOGIN_FREE_FAILURES) return 0;
  return Math.min(LOGIN_MAX_LOCKOUT_MS, LOGIN_BASE_LOCKOUT_MS * 2 ** (failures - LOGIN_FREE_FAILURES));
}

/** Redis server time, so every pod measures lockouts on one clock. */
const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] = the failure hash. Returns the milliseconds left of a lockout (0 when none). */
const REMAINING = `${NOW_MS}
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
return math.max(0, untilMs - now)`;

/** KEYS[1] = the failure hash; ARGV = free failures, base, max, memory (ms). Returns the new lockout in ms. */
const RECORD_FAILURE = `${NOW_MS}
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local free, base, max, memory = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local lock = 0
if n >= free then
  lock = math.min(max, base * 2 ^ (n - free))
  redis.call('HSET', KEYS[1], 'locked_until', math.floor(now + lock))
end
redis.call('PEXPIRE', KEYS[1], math.floor(math.max(memory, lock)))
return math.floor(lock)`;

/**
 * Backoff for failed admin logins, per (account, client address) in Redis: after LOGIN_FREE_FAILURES
 * failures the pair is locked out (429 with Retry-After) for 30 s, doubling with every further failure. Keyed
 * by address too, so an attacker elsewhere cannot lock an admin out; a success clears the counter. When Redis
 * cannot be reached, logins are refused (503) rather than left unthrottled.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Throws 429 with Retry-After while the pair is locked out. */
  async assertAllowed(account: string, address: string): Promise<void> {
    const remaining = Number(await this.run(() => this.redis.eval(REMAINING, 1, this.key(account, address))));
    if (remaining > 0) throw AdminAuthException.tooManyAttempts(Math.ceil(remaining / 1000));
  }

  async recordFailure(account: string, address: string): Promise<void> {
    await this.run(() =>
      this.redis.eval(
        RECORD_FAILURE,
        1,
        this.key(account, address),
        LOGIN_FREE_FAILURES,
        LOGIN_BASE_LOCKOUT_MS,
        LOGIN_MAX_LOCKOUT_MS,
        LOGIN_FAILURE_MEMORY_MS,
      ),
    );
  }

  async clear(account: string, address: string): Promise<void> {
    await this.run(() => this.redis.del(this.key(account, address)));
  }

  /** Account names are namespaced (`user:`, `service:`) by the caller; lower-cased so case cannot dodge it. */
  private key(account: string, address: string): string {
    return this.keys.loginFailures(account.toLowerCase(), address);
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw AdminAuthException.throttleUnavailable(err);
    }
  }
}
