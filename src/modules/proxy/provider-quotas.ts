import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import type { ResolvedModel } from '#src/modules/models/model-resolver.service';

/**
 * KEYS[1] = the model's requests in the last minute (sorted set by Redis time), KEYS[2] = its tokens per second
 * (hash). ARGV = call id, requests per minute (-1: none), tokens per minute (-1: none).
 * Returns {1, 0} and takes a request slot when both quotas have room, else {0, ms until the oldest frees}.
 * The same sliding windows as a key's limits (admission.lua.ts), one hash tag per model.
 */
const TAKE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm, tpm = tonumber(ARGV[2]), tonumber(ARGV[3])
if rpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
  if redis.call('ZCARD', KEYS[1]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local wait = 60000
    if oldest[2] then wait = tonumber(oldest[2]) + 60000 - now end
    return {0, wait}
  end
end
if tpm >= 0 then
  local sec = math.floor(now / 1000)
  local buckets = redis.call('HGETALL', KEYS[2])
  local used = 0
  for i = 1, #buckets, 2 do
    local s = tonumber(buckets[i])
    if s <= sec - 60 then redis.call('HDEL', KEYS[2], buckets[i]) else used = used + tonumber(buckets[i + 1]) end
  end
  if used >= tpm then return {0, 1000} end
end
if rpm >= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], 60000)
end
return {1, 0}`;

/** KEYS[1] = the model's tokens per second; ARGV = tokens. Charges them to the current second. */
const CHARGE_LUA = `
local t = redis.call('TIME')
local sec = tonumber(t[1])
redis.call('HINCRBY', KEYS[1], sec, tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[1], 61)
return 1`;

interface QuotaCommands {
  llmgwQuotaTake(requests: string, tokens: string, callId: string, rpm: number, tpm: number): Promise<[number, number]>;
  llmgwQuotaCharge(tokens: string, count: number): Promise<number>;
}

/**
 * Provider quotas (SPEC §11): a model's `rpm_limit` and `tpm_limit` (the provider account's quota for that
 * deployment) counted across pods in Redis. A call takes a request slot of the target it is about to try (one
 * round trip, only for models with a quota); a target at its quota is skipped like a cooling one; the tokens
 * are charged at settlement, off the answer's path. A Redis failure lets the call through (the provider's own
 * 429 still protects the account).
 */
@Injectable()
export class ProviderQuotas implements OnModuleInit {
  private readonly logger = new Logger(ProviderQuotas.name);

  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  onModuleInit(): void {
    this.redis.defineCommand('llmgwQuotaTake', { numberOfKeys: 2, lua: TAKE_LUA });
    this.redis.defineCommand('llmgwQuotaCharge', { numberOfKeys: 1, lua: CHARGE_LUA });
  }

  static applies(model: ResolvedModel): boolean {
    return model.rpmLimit !== null || model.tpmLimit !== null;
  }

  /** Takes a request slot of the model for the call; false when the model is at its quota. */
  async take(model: ResolvedModel, callId: string): Promise<boolean> {
    if (!ProviderQuotas.applies(model)) return true;
    try {
      const [ok] = await this.cmd.llmgwQuotaTake(
        this.keys.quotaRequests(model.id),
        this.keys.quotaTokens(model.id),
        callId,
        model.rpmLimit ?? -1,
        model.tpmLimit ?? -1,
      );
      return ok === 1;
    } catch (err) {
      this.logger.warn(
        { err: { message: (err as Error).message }, model: model.name },
        'quota check failed; not applied',
      );
      return true;
    }
  }

  /** Gives back the call's request slot (the call was refused after taking it). */
  release(model: ResolvedModel, callId: string): void {
    if (model.rpmLimit === null) return;
    this.redis.zrem(this.keys.quotaRequests(model.id), callId).catch(() => undefined);
  }

  /** Charges the tokens a call used to the model's tokens-per-minute quota. */
  charge(model: ResolvedModel, tokens: number): void {
    if (model.tpmLimit === null || tokens <= 0) return;
    this.cmd.llmgwQuotaCharge(this.keys.quotaTokens(model.id), tokens).catch((err: unknown) => {
      this.logger.warn({ err: { message: (err as Error).message }, model: model.name }, 'charging the quota failed');
    });
  }

  private get cmd(): QuotaCommands {
    return this.redis as unknown as QuotaCommands;
  }
}
