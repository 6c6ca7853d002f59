import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Client } from 'pg';
import { dataSourceOptions } from '#src/core/database/data-source';
import { loadConfig } from '#src/core/config/app-config';
import { runMigrations } from '#src/core/database/database-setup';
import { ENTITIES } from '#src/entities';
import { DataSource } from 'typeorm';
import {
  PG_ROOT_URL,
  TEST_ENCRYPTION_KEY,
  TEST_JWT_SECRET,
  dbUrl,
  runTmpRoot,
  templateDbName,
  workerDbName,
} from '#test/utils/test-env';

/** Migrates one template database per run, then clones it for every Jest worker. */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  process.env.LLMGW_TEST_RUN = run;
  // workers inherit this: every mkdtemp(os.tmpdir()) of the run lands in the folder global teardown removes
  process.env.TMPDIR = `${runTmpRoot(run)}/tmp`;
  mkdirSync(process.env.TMPDIR, { recursive: true });
  const admin = new Client({ connectionString: `${PG_ROOT_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${templateDbName(run)}"`);
    const config = loadConfig({
      DATABASE_URL: dbUrl(templateDbName(run)),
      JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    });
    const ds = new DataSource(dataSourceOptions(config, ENTITIES));
    await ds.initialize();
    await runMigrations(ds);
    await ds.destroy();
    const workers = Math.max(globalConfig.maxWorkers, 1);
    for (let w = 1; w <= workers; w++) {
      await admin.query(`CREATE DATABASE "${workerDbName(String(w), run)}" TEMPLATE "${templateDbName(run)}"`);
    }
  } finally {
    await admin.end();
  }
}
