import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '#src/core/config/app-config';

/** Provides the already-validated AppConfig to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] };
  }
}
