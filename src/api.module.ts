import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '#src/core/config/app-config';
import { CoreModule } from '#src/core/core.module';
import { MetricsModule } from '#src/modules/metrics/metrics.module';
import { AdminModule } from '#src/modules/admin/admin.module';
import { AuditSinkModule } from '#src/modules/audit/audit-sink.module';
import { AuthModule } from '#src/modules/auth/auth.module';
import { BillingSinkModule } from '#src/modules/billing/billing-sink.module';
import { CallsModule } from '#src/modules/calls/calls.module';
import { ConsoleModule } from '#src/modules/console/console.module';
import { ProxyModule } from '#src/modules/proxy/proxy.module';
import { SsoModule } from '#src/modules/sso/sso.module';
import { HealthModule } from '#src/modules/health/health.module';
import { WORKER_FEATURE_MODULES } from '#src/worker.module';

/** The API process: proxy, admin API, console, health and metrics, plus the queue processors unless RUN_PROCESSORS=false. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot(config, logger),
        MetricsModule.forRoot(config),
        HealthModule,
        CallsModule,
        AuthModule,
        ProxyModule,
        BillingSinkModule,
        AuditSinkModule,
        AdminModule,
        ConsoleModule,
        SsoModule,
        ...(config.env.RUN_PROCESSORS ? WORKER_FEATURE_MODULES : []),
      ],
    };
  }
}
