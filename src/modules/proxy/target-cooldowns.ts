import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { metrics } from '#src/modules/metrics/gateway-metrics';

/** How long failures count towards a cooldown. */
const FAILURE_WINDOW_MS = 60_000;

/**
 * KEYS[1] = the target's recent failures (a sorted set by Redis time), KEYS[2] = its cooldown (the end, ms).
 * ARGV = failures that start a cooldown, cooldown ms, the provider's Retry-After ms (0: none), a unique member.
 * Returns the cooldown's end when this failure started one, else 0.
 */
const FAILED_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local threshold, cooldown, retryAfter = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if retryAfter > 0 then
  redis.call('SET', KEYS[2], now + retryAfter, 'PX', retryAfter)
  redis.call('DEL', KEYS[1])
  return now + retryAfter
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - ${FAILURE_WINDOW_MS})
redis.call('PEXPIRE', KEYS[1], ${FAILURE_WINDOW_MS})
if redis.call('ZCARD', KEYS[1]) >= threshold then
  redis.call('SET', KEYS[2], now + cooldown, 'PX', cooldown)
  redis.call('DEL', KEYS[1])
  return now + cooldown
end
return 0`;

interface CooldownCommands {
  llmgwTargetFailed(failures: string, cooldown: string, ...args: (string | number)[]): Promise<number>;
}

/**
 * Cooldowns of routing targets shared by every pod through Redis (SPEC §11): ROUTING_COOLDOWN_FAILURES retryable
 * failures of a target within 60 s, or a provider 429 with Retry-After, make every pod skip it for ROUTING_COOLDOWN
 * (or the Retry-After). Read only for routed aliases (one MGET per call), written only when an attempt fails;
 * a Redis error reads as "no cooldown" and loses the failure, never the call.
 */
@Injectable()
export class TargetCooldowns implements OnModuleInit {
  private readonly logger = new Logger(TargetCooldowns.name);
  private seq = 0;

  constructor(
    private readonly config: AppConfig,
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  onModuleInit(): void {
    this.redis.defineCommand('llmgwTargetFailed', { numberOfKeys: 2, lua: FAILED_LUA });
  }

  /** When each cooling target's cooldown ends (ms since the epoch); targets not cooling are absent. */
  async coolingUntil(modelIds: string[]): Promise<Map<string, number>> {
    const until = new Map<string, number>();
    if (modelIds.length === 0) return until;
    try {
      const values = await this.redis.mget(...modelIds.map((id) => this.keys.targetCooldown(id)));
      const now = Date.now();
      values.forEach((v, i) => {
        const end = Number(v);
        if (v !== null && end > now) until.set(modelIds[i], end);
      });
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'reading target cooldowns failed; none applied');
    }
    return until;
  }

  /** Counts a retryable failure of a target (or starts its cooldown at once for a provider's Retry-After). */
  async failed(model: { id: string; name: string }, retryAfterSeconds: number | undefined): Promise<void> {
    try {
      const started = await (this.redis as unknown as CooldownCommands).llmgwTargetFailed(
        this.keys.targetFailures(model.id),
        this.keys.targetCooldown(model.id),
        this.config.env.ROUTING_COOLDOWN_FAILURES,
        this.config.env.ROUTING_COOLDOWN,
        retryAfterSeconds !== undefined ? Math.max(1, Math.ceil(retryAfterSeconds * 1000)) : 0,
        `${process.pid}:${++this.seq}:${Math.random()}`,
      );
      if (started > 0) {
        metrics.targetCooldowns.inc({ model: model.name });
        this.logger.warn({ model: model.name, until: new Date(started).toISOString() }, 'routing target cooling down');
      }
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, model: model.name }, 'recording a failure failed');
    }
  }
}
