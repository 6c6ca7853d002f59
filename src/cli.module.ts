import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '#src/core/config/app-config';
import { CoreModule } from '#src/core/core.module';
import { MetricsModule } from '#src/modules/metrics/metrics.module';
import { AuthModule } from '#src/modules/auth/auth.module';
import { CatalogModule } from '#src/modules/billing/catalog/catalog.module';
import { CallsModule } from '#src/modules/calls/calls.module';
import { KeysModule } from '#src/modules/keys/keys.module';
import { ModelsModule } from '#src/modules/models/models.module';
import { ProvidersModule } from '#src/modules/providers/providers.module';

/** What the CLI commands need: the shared core and the feature services, no HTTP and no processors. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: CliModule,
      imports: [
        CoreModule.forRoot(config, logger),
        MetricsModule.forRoot(config),
        CallsModule,
        AuthModule,
        KeysModule,
        ModelsModule,
        ProvidersModule,
        CatalogModule,
      ],
    };
  }
}
