/**
 * Bulk seeding for the scale and growth benchmarks: profiles of one organization written straight into the
 * database (not through HTTP), each row built by the app's own newProfile, asciiFold and newId exactly as
 * ProfileRepository.insert stores it. ~10 % have no name, so name order also crosses the nameless part. (The
 * history and outbox rows an API create would also write are left out: nothing measured reads them.)
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Actor } from '../src/domain/history.ts';
import { newProfile, type Profile } from '../src/domain/profile.ts';
import { newId } from '../src/ids.ts';
import { PROFILE_INSERT_COLUMNS, PROFILE_INSERT_TYPES, profileInsertValues } from '../src/store/profile-table.ts';
import { freshPostgresSchema, shown } from './support.ts';

// ---------- rows, as ProfileRepository.insert writes them ----------

const INSERT_COLUMNS = PROFILE_INSERT_COLUMNS;
export const BATCH = 10_000; // rows per transaction
const SQLITE_ROWS_PER_STATEMENT = 100; // 100 × 24 parameters, well under SQLite's 32,766
const PG_TYPES = PROFILE_INSERT_TYPES;

const LOADER: Actor = { type: 'system', id: null };
const rowOf = (profile: Profile) => profileInsertValues(profile, LOADER);

const FIRST = ['Ada', 'adrian', 'Åsa', 'Björn', 'chloé', 'Dmitri', 'Émile', 'Fatima', 'grace', 'Hiro', 'Ines', 'José', 'kai',
  'Lena', 'Mei', 'Nadia', 'Oskar', 'priya', 'Quentin', 'Rosa', 'Sven', 'Tomás', 'Uma', 'Vera', 'wei', 'Xena', 'Yusuf', 'Zoë'];
const LAST = ['Abara', 'bianchi', 'Chen', 'Dubois', 'Eriksen', 'Fischer', 'García', 'haddad', 'Ivanova', 'Jensen', 'Kowalski',
  'López', 'Müller', 'Nakamura', "O'Brien", 'Petrov', 'Quispe', 'Rossi', 'Smith', 'Tanaka', 'Usman', 'van Dijk', 'Wójcik', 'Zhang'];

/** A small deterministic generator, so every run seeds the same names. */
export function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Seeded {
  count: number;
  /** ~10,000 ids spread evenly, for retrieves */
  sampleIds: string[];
  /** in created_at desc order, the first row of the page after `depth` rows */
  rowAtDepth: { id: string; createdAt: number };
  /** a nameless profile in the middle of the nameless ones, and how deep it lies in name desc order */
  midNameless: { id: string; depth: number };
  named: number;
  /** time spent building rows in node (the rest of the seeding time is the database's) */
  generatingSeconds: number;
}

/**
 * Generates `count` profiles of one organization, created 1 ms apart up to a few seconds ago, in batches of
 * BATCH rows; `write` stores one batch. The next batch is generated while the previous one is being written.
 */
export async function generate(organizationId: string, count: number, depth: number, write: (rows: (string | number | null)[][]) => Promise<void>): Promise<Seeded> {
  const random = mulberry32(20260904);
  const start = Date.now() - count - 5_000;
  const sampleEvery = Math.max(1, Math.floor(count / 10_000));
  const sampleIds: string[] = [];
  let rowAtDepth: Seeded['rowAtDepth'] | null = null;
  const middle = Math.ceil(Math.floor(count / 10) / 2); // of the nameless ones (i % 10 === 3), in id order
  let midNameless: { id: string } | null = null;
  let named = 0, nameless = 0;
  let pending: Promise<void> = Promise.resolve();
  let generating = 0;
  for (let from = 0; from < count; from += BATCH) {
    const started = performance.now();
    const rows: (string | number | null)[][] = [];
    for (let i = from; i < Math.min(count, from + BATCH); i++) {
      const createdAt = start + i;
      const hasName = i % 10 !== 3;
      const first = FIRST[Math.floor(random() * FIRST.length)], last = LAST[Math.floor(random() * LAST.length)];
      const profile = newProfile({
        name: hasName ? (random() < 0.3 ? `${first} ${last} ${Math.floor(random() * 1000)}` : `${first} ${last}`) : undefined,
        details: {
          reference_id: `user_${String(i).padStart(7, '0')}`, country: i % 3 ? 'GB' : 'DE',
          account_status: i % 50 ? 'active' : 'suspended', entity_type: i % 7 ? 'individual' : 'business',
        },
        metadata: { plan: i % 2 ? 'pro' : 'team', cohort: `c${i % 12}` },
      }, newId('uprof', createdAt), organizationId, createdAt);
      rows.push(rowOf(profile));
      if (hasName) named++;
      else if (++nameless === middle) midNameless = { id: profile.id };
      if (i % sampleEvery === 0) sampleIds.push(profile.id);
      if (i === count - 1 - depth) rowAtDepth = { id: profile.id, createdAt };
    }
    generating += performance.now() - started;
    await pending;
    pending = write(rows);
    if (from % 100_000 === 0 && from > 0) process.stderr.write(`    ${from.toLocaleString('en')} rows\n`);
  }
  await pending;
  // name desc: every named profile, then the nameless ones by id desc, down to and including the middle one
  return { count, sampleIds, rowAtDepth: rowAtDepth!, named, generatingSeconds: generating / 1000, midNameless: { id: midNameless!.id, depth: named + (nameless - middle + 1) } };
}

// ---------- engines ----------

export interface EngineRun {
  engine: string;
  label: string;
  url: string;
  /** writes the batches of rows straight into the database; returns a note on what followed (vacuum, checkpoint) */
  bulk(rows: AsyncSeed): Promise<string>;
  size(): Promise<number>;
  cleanup(): Promise<void>;
}
export type AsyncSeed = (write: (rows: (string | number | null)[][]) => Promise<void>) => Promise<void>;

/** A SQLite file (created by openStore, or already serving data) that bulk loads write into. */
export function sqliteEngine(dir: string, file = join(dir, 'scale.db')): EngineRun {
  return {
    engine: 'sqlite', label: `SQLite file ${file}`, url: `sqlite:${file}`,
    async bulk(seed) {
      const db = new Database(file);
      db.pragma('busy_timeout = 5000');
      db.pragma('cache_size = -524288'); // 512 MiB for this connection: the name index takes its inserts in random order
      const placeholders = `(${INSERT_COLUMNS.map(() => '?').join(', ')})`;
      const statement = (n: number) => db.prepare(
        `INSERT INTO user_profiles (${INSERT_COLUMNS.join(', ')}) VALUES ${Array.from({ length: n }, () => placeholders).join(', ')}`,
      );
      const full = statement(SQLITE_ROWS_PER_STATEMENT);
      const insertBatch = db.transaction((rows: (string | number | null)[][]) => {
        let i = 0;
        for (; i + SQLITE_ROWS_PER_STATEMENT <= rows.length; i += SQLITE_ROWS_PER_STATEMENT) full.run(rows.slice(i, i + SQLITE_ROWS_PER_STATEMENT).flat());
        if (i < rows.length) statement(rows.length - i).run(rows.slice(i).flat());
      });
      try {
        await seed(async (rows) => void insertBatch(rows));
        const started = performance.now();
        db.pragma('wal_checkpoint(TRUNCATE)');
        return `WAL checkpoint ${((performance.now() - started) / 1000).toFixed(1)} s; no ANALYZE (the app runs none)`;
      } finally {
        db.close();
      }
    },
    size: async () => statSync(file).size,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A fresh PostgreSQL schema that bulk loads write into. With `analyze`, a load ends with VACUUM (ANALYZE), what
 * autovacuum would soon do after it; without, the planner keeps whatever statistics it had.
 */
export async function postgresEngine(base: string, prefix: string, options: { analyze: boolean }): Promise<EngineRun | string> {
  const schema = await freshPostgresSchema(base, prefix);
  if ('unreachable' in schema) return `postgres: SKIPPED, PostgreSQL unreachable at ${shown(base)} (${schema.unreachable})`;
  const withClient = async <T>(work: (client: pg.Client) => Promise<T>) => {
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try { return await work(client); } finally { await client.end(); }
  };
  return {
    engine: 'postgres', label: `PostgreSQL schema ${schema.schema} at ${shown(base)}`, url: schema.url,
    bulk: (seed) => withClient(async (client) => {
      // one INSERT … SELECT FROM unnest(one array per column) per batch: 21 parameters whatever the batch size
      const text = `INSERT INTO user_profiles (${INSERT_COLUMNS.join(', ')})
        SELECT * FROM unnest(${PG_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;
      await seed(async (rows) => {
        await client.query(text, INSERT_COLUMNS.map((_, c) => rows.map((row) => row[c])));
      });
      if (!options.analyze) return 'no VACUUM or ANALYZE after the load';
      const started = performance.now();
      await client.query('VACUUM (ANALYZE) user_profiles');
      return `VACUUM (ANALYZE) ${((performance.now() - started) / 1000).toFixed(1)} s (what autovacuum would soon do after such a load)`;
    }),
    size: () => withClient(async (client) => Number((await client.query("SELECT pg_total_relation_size('user_profiles') AS n")).rows[0].n)),
    cleanup: schema.drop,
  };
}
