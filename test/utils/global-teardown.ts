import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { PG_ROOT_URL, REDIS_TEST_URL, runId, runTmpRoot } from '#test/utils/test-env';

/** Drops every database this run created, deletes its Redis keys and removes its temporary folder. */
export default async function globalTeardown(): Promise<void> {
  const run = runId();
  rmSync(runTmpRoot(run), { recursive: true, force: true });
  const admin = new Client({ connectionString: `${PG_ROOT_URL}/postgres` });
  await admin.connect();
  try {
    const dbs = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `llmgw_t_${run}_%`,
    ]);
    for (const { datname } of dbs.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const redis = new Redis(REDIS_TEST_URL);
  try {
    for (const pattern of [`t${run}*`, `{t${run}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
