import { Redis } from 'ioredis';
import { Client } from 'pg';
import { REDIS_TEST_URL, baseTestEnv } from '#test/utils/test-env';

/** Empties every table of this worker's database (the schema stays) and deletes its Redis keys. */
export async function resetState(): Promise<void> {
  const env = baseTestEnv();
  const client = new Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const tables = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'",
    );
    if (tables.rows.length > 0) {
      await client.query(`TRUNCATE ${tables.rows.map((t) => `"${t.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
    }
  } finally {
    await client.end();
  }
  await deleteRedisPrefix(env.REDIS_PREFIX);
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_TEST_URL);
  try {
    for (const pattern of [`${prefix}:*`, `{${prefix}:*`, `{${prefix}}*`]) {
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
