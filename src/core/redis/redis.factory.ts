import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '#src/core/config/app-config';
import { coalesceWrites } from '#src/core/redis/coalesced-writes';

/**
 * The three kinds of Redis connection the gateway keeps (SPEC §5):
 * - `hot`: the proxy's hot path. Fails fast: no offline queue, REDIS_COMMAND_TIMEOUT per command, so a
 *   Redis outage turns into REDIS_FAILURE_MODE instead of requests piling up.
 * - `bullmq`: queues and workers. BullMQ requires `maxRetriesPerRequest: null` (blocking commands).
 * - `subscriber`: the cache-invalidation pub/sub subscriber; reconnects forever.
 */
export type RedisProfile = 'hot' | 'bullmq' | 'subscriber';
export type RedisClient = Redis | Cluster;

function profileOptions(config: AppConfig, profile: RedisProfile): RedisOptions {
  const base: RedisOptions = {
    connectionName: `llmgw:${config.podName}:${profile}`,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    // a socket that never connected is destroyed this soon after disconnect()
    disconnectTimeout: 300,
  };
  switch (profile) {
    case 'hot':
      return {
        ...base,
        enableOfflineQueue: false,
        commandTimeout: config.env.REDIS_COMMAND_TIMEOUT,
        maxRetriesPerRequest: 0,
        connectTimeout: Math.max(config.env.REDIS_COMMAND_TIMEOUT, 1000),
        // a Cluster batches the commands of one turn per node; standalone and Sentinel clients coalesce their
        // writes instead (coalesceWrites), which costs less per command
        enableAutoPipelining: config.redis.mode === 'cluster',
      };
    case 'bullmq':
      return { ...base, maxRetriesPerRequest: null, enableReadyCheck: false };
    case 'subscriber':
      // no INFO ready check: sent after a SUBSCRIBE issued while connecting, Redis refuses it in subscriber mode
      return { ...base, maxRetriesPerRequest: null, enableReadyCheck: false };
  }
}

/** The settings that say where Redis is, per mode, named in connection errors. */
const SETTING: Record<AppConfig['redis']['mode'], string> = {
  standalone: 'REDIS_URL (or REDIS_ADDRESS)',
  cluster: 'REDIS_NODES',
  sentinel: 'REDIS_SENTINELS and REDIS_SENTINEL_NAME',
};

/** Logs connection errors at most once per 10 s per client, instead of ioredis' unhandled-error warnings. */
function logErrors(client: RedisClient, config: AppConfig, profile: RedisProfile, logger?: Logger): RedisClient {
  let last = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    logger?.warn(
      { err: { message: err.message, code: (err as { code?: string }).code }, redis: profile },
      `redis connection error: cannot reach Redis; start it or check ${SETTING[config.redis.mode]}`,
    );
  });
  return client;
}

export function createRedis(config: AppConfig, profile: RedisProfile, logger?: Logger): RedisClient {
  return logErrors(connect(config, profile), config, profile, logger);
}

function connect(config: AppConfig, profile: RedisProfile): RedisClient {
  const client = open(config, profileOptions(config, profile));
  if (profile === 'hot' && client instanceof Redis) coalesceWrites(client);
  return client;
}

function open(config: AppConfig, options: RedisOptions): RedisClient {
  const topology = config.redis;
  switch (topology.mode) {
    case 'standalone':
      return new Redis(topology.url, options);
    case 'cluster':
      return new Cluster(topology.nodes, {
        redisOptions: { ...options, password: topology.password },
        enableOfflineQueue: options.enableOfflineQueue,
        enableAutoPipelining: options.enableAutoPipelining,
        clusterRetryStrategy: options.retryStrategy,
      });
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: topology.sentinels,
        name: topology.name,
        password: topology.password,
        db: topology.db,
      });
  }
}

/** Closes a client, falling back to disconnect when QUIT cannot be sent (e.g. Redis is down). */
export async function closeRedis(client: RedisClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timeout')), 1000);
      }),
    ]);
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
