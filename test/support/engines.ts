import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The engines every end-to-end test runs on (kysely's habit: one list, every test on each).
 * PostgreSQL is the server on 127.0.0.1:5432 unless TEST_DATABASE_URL points elsewhere. Without it a
 * developer's run goes on with SQLite and says so; under CI (CI=true) a missing PostgreSQL fails the run.
 */
export interface Engine {
  name: 'sqlite' | 'postgres';
  /** a fresh, empty database for one test process: a new SQLite file, or a new PostgreSQL schema */
  createDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
}

export const POSTGRES_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

const sqlite: Engine = {
  name: 'sqlite',
  async createDatabase() {
    const dir = mkdtempSync(join(tmpdir(), 'uprof-test-'));
    return { url: `sqlite:${join(dir, 'uprof.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgres: Engine = {
  name: 'postgres',
  async createDatabase() {
    const schema = `uprof_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return {
      url: url.toString(),
      drop: async () => {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`DROP SCHEMA ${schema} CASCADE`);
        await client.end();
      },
    };
  },
};

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

let cached: Promise<Engine[]> | null = null;

export function engines(): Promise<Engine[]> {
  return (cached ??= (async () => {
    if (process.env.UPROF_TEST_ENGINES === 'sqlite') return [sqlite];
    if (await postgresReachable()) return [sqlite, postgres];
    if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL}; CI never skips the PostgreSQL leg.`);
    console.log(`# PostgreSQL leg SKIPPED: nothing answers at ${POSTGRES_URL} (set TEST_DATABASE_URL to point elsewhere)`);
    return [sqlite];
  })());
}
