import { Client } from 'pg';
import type { DataSource } from 'typeorm';

/** Key of the PostgreSQL advisory lock that serialises migrations and the admin bootstrap. */
const SETUP_LOCK_KEY = 7_240_531_101;

/** Creates the database named in `url` if it does not exist (two processes may race: both succeed). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const dbName = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (err) {
    // the first thing a new operator sees when PostgreSQL is not running: say what and which setting
    throw new Error(
      `cannot connect to PostgreSQL at ${target.host || 'localhost'} (DATABASE_URL): ${(err as Error).message}; ` +
        'start PostgreSQL or set DATABASE_URL to a server that runs',
      { cause: err },
    );
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
      } catch (err) {
        // 42P04 duplicate_database, 23505 unique_violation: another process created it at the same time
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Runs `fn` while holding the setup advisory lock on a dedicated connection, so concurrent starts of
 * several processes on an empty database migrate and bootstrap one after the other.
 */
export async function withSetupLock<T>(dataSource: DataSource, fn: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [SETUP_LOCK_KEY]);
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [SETUP_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** Applies pending migrations under the setup lock; returns the names applied. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  return withSetupLock(dataSource, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  });
}
