import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '#src/core/config/app-config';
import { CoreModule } from '#src/core/core.module';
import { HealthModule } from '#src/modules/health/health.module';

/** Each feature's `<feature>-worker.module.ts`: registering it is what runs its processors. */
export const WORKER_FEATURE_MODULES: DynamicModule['imports'] & unknown[] = [];

/** The worker process: the queue processors, `/health/*` and `/metrics`, nothing of the proxy. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(config, logger), HealthModule, ...WORKER_FEATURE_MODULES],
    };
  }
}
