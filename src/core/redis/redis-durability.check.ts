import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { PINO_LOGGER } from '#src/core/logging/logger.module';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { HOT_REDIS } from '#src/core/redis/redis-tokens';

/**
 * What the gateway needs from Redis to keep its promises: `noeviction`, so reservations, spend counters
 * and queued billing jobs are never silently evicted under memory pressure, and persistence (RDB or AOF),
 * so a restart does not lose queued billing and audit work. Returns one warning per unmet need.
 */
export function redisDurabilityWarnings(settings: Record<string, string>): string[] {
  const warnings: string[] = [];
  const policy = settings['maxmemory-policy'];
  if (policy !== undefined && policy !== 'noeviction')
    warnings.push(
      `Redis maxmemory-policy is '${policy}', not 'noeviction': under memory pressure Redis may evict ` +
        'budget reservations, spend counters and queued billing jobs',
    );
  const rdb = (settings.save ?? '').trim() !== '';
  const aof = settings.appendonly === 'yes';
  if (settings.save !== undefined && settings.appendonly !== undefined && !rdb && !aof)
    warnings.push(
      'Redis runs without persistence (no RDB save points, appendonly no): a Redis restart loses ' +
        'queued billing and audit jobs and resets spend counters until they are reconciled',
    );
  return warnings;
}

/** CONFIG GET's flat [name, value, ...] reply as a map. */
function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** How long start-up waits for the hot client's connection before reading the settings (it has no offline queue). */
const READY_WAIT_MS = 2_000;

/** Resolves once `client` is ready, or after `ms` (a command then fails as it would have). */
function whenReady(client: RedisClient, ms: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    client.once('ready', done);
  });
}

/**
 * At start-up, warns (once per process) when Redis would evict keys or loses everything on restart.
 * Managed Redis services often disable or rename CONFIG: then the check logs that it could not look
 * and start-up goes on.
 */
@Injectable()
export class RedisDurabilityCheck implements OnApplicationBootstrap {
  constructor(
    @Inject(HOT_REDIS) private readonly redis: RedisClient,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let settings: Record<string, string>;
    // the hot client may still be connecting, and it refuses commands until then
    await whenReady(this.redis, READY_WAIT_MS);
    try {
      const [policy, save, aof] = await Promise.all(
        ['maxmemory-policy', 'save', 'appendonly'].map((name) => this.redis.call('CONFIG', 'GET', name)),
      );
      settings = { ...pairs(policy), ...pairs(save), ...pairs(aof) };
    } catch (err) {
      this.logger.info(
        { err: { message: (err as Error).message } },
        'could not read the Redis configuration (CONFIG GET refused or Redis unreachable); eviction policy and persistence not checked',
      );
      return;
    }
    for (const warning of redisDurabilityWarnings(settings)) this.logger.warn({ redis: 'config' }, warning);
  }
}
