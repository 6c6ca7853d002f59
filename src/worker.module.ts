import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import type { AppConfig } from '#src/core/config/app-config';
import { CoreModule } from '#src/core/core.module';
import { MetricsModule } from '#src/modules/metrics/metrics.module';
import { PublicOnlyGuard } from '#src/core/http/public-only.guard';
import { AlertsWorkerModule } from '#src/modules/alerts/alerts-worker.module';
import { AuditWorkerModule } from '#src/modules/audit/audit-worker.module';
import { BillingWorkerModule } from '#src/modules/billing/billing-worker.module';
import { HealthModule } from '#src/modules/health/health.module';
import { MetricsWorkerModule } from '#src/modules/metrics/metrics-worker.module';

/** Each feature's `<feature>-worker.module.ts`: registering it is what runs its processors. */
export const WORKER_FEATURE_MODULES = [BillingWorkerModule, AuditWorkerModule, MetricsWorkerModule, AlertsWorkerModule];

/**
 * The worker process: the queue processors, `/health/*` and `/metrics`, nothing of the proxy (no call-event bus,
 * so none of the proxy's sinks: they live in the modules only the API imports). Its global guard
 * refuses (401) any route not marked `@Public()`, so a module brought in later cannot open a route here.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config, logger),
        MetricsModule.forRoot(config),
        HealthModule,
        ...WORKER_FEATURE_MODULES,
      ],
      providers: [{ provide: APP_GUARD, useClass: PublicOnlyGuard }],
    };
  }
}
