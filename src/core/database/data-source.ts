import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '#migrations/migrations';
import type { AppConfig } from '#src/core/config/app-config';
import { SnakeNamingStrategy } from '#src/core/database/snake-naming.strategy';

/** What a DataSource maps: the entity classes (core knows none; the app passes them in). */
export type DataSourceEntities = NonNullable<DataSourceOptions['entities']>;

/**
 * The one DataSource definition: the app, the CLI and the migrations all use it. Inside Nest the entities come
 * from each feature module's `TypeOrmModule.forFeature` (autoLoadEntities); outside, the caller lists them.
 */
export function dataSourceOptions(config: AppConfig, entities: DataSourceEntities = []): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.env.DATABASE_URL,
    entities,
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

export function createDataSource(config: AppConfig, entities: DataSourceEntities): DataSource {
  return new DataSource(dataSourceOptions(config, entities));
}
