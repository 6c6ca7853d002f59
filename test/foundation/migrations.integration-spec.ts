import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '#src/core/database/data-source';
import { ensureDatabase, runMigrations } from '#src/core/database/database-setup';
import { ENTITIES } from '#src/entities';
import { MIGRATIONS } from '#migrations/migrations';
import { startApi, testConfig } from '#test/utils/app';
import { PG_ROOT_URL, dbUrl, runId, runTmpRoot } from '#test/utils/test-env';
import { spawnBuilt } from '#test/utils/processes';

/** Every migration's name, oldest first. */
const ALL = MIGRATIONS.map((m) => m.name);

const EXPECTED_TABLES = [
  'admin_audit_log',
  'admin_tokens',
  'admin_users',
  'api_keys',
  'budget_spend',
  'key_metadata',
  'migrations',
  'model_aliases',
  'models',
  'pricing_components',
  'providers',
  'teams',
  'usage_daily',
  'usage_records',
  'webhook_deliveries',
  'webhooks',
];

let counter = 0;
const freshDbName = (): string => `llmgw_t_${runId()}_m${process.env.JEST_WORKER_ID ?? '1'}_${++counter}`;

async function query<T extends Record<string, unknown>>(db: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: dbUrl(db) });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const tables = async (db: string): Promise<string[]> =>
  (
    await query<{ tablename: string }>(
      db,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    )
  ).map((r) => r.tablename);

async function dropDb(name: string): Promise<void> {
  const admin = new Client({ connectionString: `${PG_ROOT_URL}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

describe('migrations', () => {
  it('creates the database when missing, then migrates up, down and up again', async () => {
    const name = freshDbName();
    try {
      await ensureDatabase(dbUrl(name));
      await ensureDatabase(dbUrl(name)); // a second call finds it and does nothing
      const ds = new DataSource(dataSourceOptions(testConfig({ DATABASE_URL: dbUrl(name) }), ENTITIES));
      await ds.initialize();
      try {
        expect(await runMigrations(ds)).toEqual(ALL);
        expect(await tables(name)).toEqual(EXPECTED_TABLES);
        expect(await runMigrations(ds)).toEqual([]);

        for (let i = 0; i < ALL.length; i++) await ds.undoLastMigration({ transaction: 'each' });
        expect(await tables(name)).toEqual(['migrations']);

        expect(await runMigrations(ds)).toEqual(ALL);
        expect(await tables(name)).toEqual(EXPECTED_TABLES);
      } finally {
        await ds.destroy();
      }
    } finally {
      await dropDb(name);
    }
  });

  it('leaves nothing for the entities to change: the migrations are the whole schema', async () => {
    const ds = new DataSource(dataSourceOptions(testConfig(), ENTITIES));
    await ds.initialize();
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('maps in the app exactly the entities of src/entities.ts, each registered by its feature module', async () => {
    const api = await startApi();
    try {
      const mapped = api.get(DataSource).entityMetadatas.map((m) => (m.target as { name: string }).name);
      expect(mapped.sort()).toEqual(ENTITIES.map((e) => e.name).sort());
    } finally {
      await api.close();
    }
  });

  it('stores money as NUMERIC and indexes the hot lookups', async () => {
    const db = testConfig().env.DATABASE_URL.split('/').pop() as string;
    const money = await query<{ table_name: string; column_name: string; data_type: string }>(
      db,
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE column_name IN ('price', 'cost_usd', 'budget') ORDER BY 1, 2",
    );
    expect(money.length).toBeGreaterThanOrEqual(5);
    expect(new Set(money.map((m) => m.data_type))).toEqual(new Set(['numeric']));
    const indexes = (
      await query<{ indexname: string; indexdef: string }>(
        db,
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
      )
    ).map((i) => i.indexdef);
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/UNIQUE INDEX api_keys_key_hash_uq .*\(key_hash\)/),
        expect.stringMatching(/UNIQUE INDEX models_name_uq .*\(name\)/),
        expect.stringMatching(/UNIQUE INDEX model_aliases_name_uq .*\(name\)/),
        expect.stringMatching(/UNIQUE INDEX usage_records_call_id_uq .*\(call_id\)/),
        expect.stringMatching(/INDEX usage_records_api_key_id_created_at_idx .*\(api_key_id, created_at\)/),
      ]),
    );
  });

  it('lets two processes migrate the same empty database at once: both succeed, the schema is applied once', async () => {
    const name = freshDbName();
    const env = { DATABASE_URL: dbUrl(name), DATA_DIR: runTmpRoot(), LOG_LEVEL: 'warn' };
    try {
      const [a, b] = [spawnBuilt('cli', ['migrate'], env), spawnBuilt('cli', ['migrate'], env)];
      const codes = await Promise.all([a.exited, b.exited]);
      expect({ codes, out: codes.every((c) => c === 0) ? '' : a.output() + b.output() }).toEqual({
        codes: [0, 0],
        out: '',
      });
      const outputs = [a.output(), b.output()];
      expect(outputs.filter((o) => o.includes('applied: InitialSchema1763856000000'))).toHaveLength(1);
      expect(outputs.filter((o) => o.includes('database is up to date'))).toHaveLength(1);
      expect(await query<{ name: string }>(name, 'SELECT name FROM migrations ORDER BY id')).toEqual(
        ALL.map((n) => ({ name: n })),
      );
    } finally {
      await dropDb(name);
    }
  });
});
