import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '#src/core/config/app-config';
import { createLogger } from '#src/core/logging/logger';
import { RedisDurabilityCheck } from '#src/core/redis/redis-durability.check';
import { closeRedis, createRedis } from '#src/core/redis/redis.factory';
import { startApi, type TestApp } from '#test/utils/app';
import { LogCapture } from '#test/utils/log-capture';
import { PrivateRedis } from '#test/utils/redis-server';

const EVICTION = /maxmemory-policy is 'allkeys-lru', not 'noeviction'/;
const NO_PERSISTENCE = /Redis runs without persistence/;
const UNCHECKED = /could not read the Redis configuration/;

/** Warnings and info lines the API logged at start-up against a Redis started with `args`. */
async function startupLog(args: string[]): Promise<string> {
  const redis = await PrivateRedis.start(args);
  let api: TestApp | undefined;
  try {
    api = await startApi({ REDIS_URL: redis.url });
    expect((await fetch(`${api.url}/health/ready`)).status).toBe(200);
    return api.logs.text();
  } finally {
    await api?.close();
    await redis.stop();
  }
}

describe('Redis settings check at start-up', () => {
  it('warns when Redis runs without persistence (and not about eviction under noeviction)', async () => {
    const log = await startupLog([]);
    expect(log).toMatch(NO_PERSISTENCE);
    expect(log).not.toMatch(/not 'noeviction'/);
  });

  it('warns when Redis may evict keys (and not about persistence when RDB save points are set)', async () => {
    const log = await startupLog(['--maxmemory-policy', 'allkeys-lru', '--save', '3600 1']);
    expect(log).toMatch(EVICTION);
    expect(log).not.toMatch(NO_PERSISTENCE);
  });

  it('reads the settings when start-up reaches the check before the hot client has connected', async () => {
    const redis = await PrivateRedis.start(['--maxmemory-policy', 'allkeys-lru', '--save', '3600 1']);
    const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'llmgw-durability-')), REDIS_URL: redis.url });
    const logs = new LogCapture();
    // a new hot client is still connecting, and it has no offline queue: a command now would be refused
    const client = createRedis(config, 'hot');
    try {
      expect(client.status).not.toBe('ready');
      await new RedisDurabilityCheck(
        client,
        createLogger({ level: 'info', pod: 'p', destination: logs }),
      ).onApplicationBootstrap();
      expect(logs.text()).toMatch(EVICTION);
      expect(logs.text()).not.toMatch(UNCHECKED);
    } finally {
      await closeRedis(client);
      await redis.stop();
    }
  });

  it('starts anyway when CONFIG is disabled, saying the settings were not checked', async () => {
    const log = await startupLog(['--rename-command', 'CONFIG', '""']);
    expect(log).toMatch(UNCHECKED);
    expect(log).not.toMatch(NO_PERSISTENCE);
  });
});
