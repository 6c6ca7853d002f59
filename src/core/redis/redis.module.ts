import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '#src/core/config/app-config';
import { PINO_LOGGER } from '#src/core/logging/logger.module';
import { closeRedis, createRedis, type RedisClient } from '#src/core/redis/redis.factory';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { RedisDurabilityCheck } from '#src/core/redis/redis-durability.check';
import { BULL_REDIS, HOT_REDIS, SUBSCRIBER_REDIS } from '#src/core/redis/redis-tokens';

export { BULL_REDIS, HOT_REDIS, SUBSCRIBER_REDIS };

/** Closes the process's Redis connections last, after queues and workers have closed. */
@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(
    @Inject(HOT_REDIS) private readonly hot: RedisClient,
    @Inject(BULL_REDIS) private readonly bull: RedisClient,
    @Inject(SUBSCRIBER_REDIS) private readonly subscriber: RedisClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([closeRedis(this.hot), closeRedis(this.bull), closeRedis(this.subscriber)]);
  }
}

@Global()
@Module({
  providers: [
    { provide: RedisKeys, useFactory: (config: AppConfig) => new RedisKeys(config), inject: [AppConfig] },
    {
      provide: HOT_REDIS,
      useFactory: (config: AppConfig, logger: Logger) => createRedis(config, 'hot', logger),
      inject: [AppConfig, PINO_LOGGER],
    },
    {
      provide: BULL_REDIS,
      useFactory: (config: AppConfig, logger: Logger) => createRedis(config, 'bullmq', logger),
      inject: [AppConfig, PINO_LOGGER],
    },
    {
      provide: SUBSCRIBER_REDIS,
      useFactory: (config: AppConfig, logger: Logger) => createRedis(config, 'subscriber', logger),
      inject: [AppConfig, PINO_LOGGER],
    },
    RedisCloser,
    RedisDurabilityCheck,
  ],
  exports: [RedisKeys, HOT_REDIS, BULL_REDIS, SUBSCRIBER_REDIS],
})
export class RedisModule {}
