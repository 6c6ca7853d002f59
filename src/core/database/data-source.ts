import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '#migrations/migrations';
import type { AppConfig } from '#src/core/config/app-config';
import { ENTITIES } from '#src/core/database/entities';
import { SnakeNamingStrategy } from '#src/core/database/snake-naming.strategy';

/** The one DataSource definition: the app, the CLI and the migrations all use it. */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.env.DATABASE_URL,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: config.env.DB_POOL_SIZE,
      application_name: `llm-gateway:${config.podName}`,
      connectionTimeoutMillis: config.env.DB_CONNECT_TIMEOUT,
    },
  };
}

export function createDataSource(config: AppConfig): DataSource {
  return new DataSource(dataSourceOptions(config));
}
