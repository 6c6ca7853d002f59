import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '#src/core/config/app-config';
import { CacheModule } from '#src/core/cache/cache.module';
import { ConfigModule } from '#src/core/config/config.module';
import { DatabaseModule } from '#src/core/database/database.module';
import { LifecycleService } from '#src/core/http/lifecycle.service';
import { LoggerModule } from '#src/core/logging/logger.module';
import { QueueModule } from '#src/core/queue/queue.module';
import { RedisModule } from '#src/core/redis/redis.module';
import { Tracing } from '#src/core/tracing/tracing';

/** Infrastructure every entrypoint shares: config, logger, PostgreSQL, Redis, BullMQ, caches, lifecycle, tracing. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(logger),
        DatabaseModule,
        RedisModule,
        QueueModule,
        CacheModule,
      ],
      providers: [LifecycleService, Tracing],
      exports: [LifecycleService, Tracing],
    };
  }
}
