import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import type { RedisClient } from '#src/core/redis/redis.factory';
import { BULL_REDIS } from '#src/core/redis/redis.module';
import { RedisKeys } from '#src/core/redis/redis-keys';
import { QueueErrorLogger } from '#src/core/queue/queue-error-logger';
import { BILLING_JOB_OPTIONS, DEFAULT_JOB_OPTIONS, QueueName } from '#src/core/queue/queue.constants';

/** BullMQ, configured once: the shared connection, the hash-tagged prefix and the default job options (billing's own). */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [BULL_REDIS, RedisKeys],
      useFactory: (connection: RedisClient, keys: RedisKeys) => ({
        connection,
        prefix: keys.bullPrefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      }),
    }),
    // a queue's own defaultJobOptions replace the shared ones (no deep merge)
    BullModule.registerQueue(
      { name: QueueName.Billing, defaultJobOptions: BILLING_JOB_OPTIONS },
      { name: QueueName.LogFlush },
      { name: QueueName.Alerts },
    ),
  ],
  providers: [QueueErrorLogger],
  exports: [BullModule],
})
export class QueueModule {}
