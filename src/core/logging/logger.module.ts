import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';

export const PINO_LOGGER = Symbol('PINO_LOGGER');

@Global()
@Module({})
export class LoggerModule {
  static forRoot(logger: Logger): DynamicModule {
    return { module: LoggerModule, providers: [{ provide: PINO_LOGGER, useValue: logger }], exports: [PINO_LOGGER] };
  }
}
