import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { openStore, type Store } from '../store/index.js';
import { ServerLock, ServerLockHeld } from '../store/server-lock.js';

/**
 * What every command shares: which database it works on (said on stderr, so `--json` output on stdout stays
 * clean), how it opens it, and errors that say what to do next.
 */

/** An error whose message is the whole story (the next step included): printed as `uprof: <message>`. */
export class CliError extends Error {}

export interface DatabaseChoice {
  /** absolute for SQLite files */
  url: string;
  /** how it was chosen, for the line that says it */
  source: string;
  /** the SQLite file, or null (PostgreSQL, or `sqlite::memory:`) */
  sqlitePath: string | null;
  /** the folder the default database was looked for in and found (or would be made) in, when it is the default */
  dataDir: string | null;
}

const DEFAULT_RELATIVE = join('data', 'uprof.db');

/** The URL with any password hidden, for printing. */
export const shownUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

export const isPostgres = (url: string) => url.startsWith('postgres://') || url.startsWith('postgresql://');

/**
 * `--database` if given, else DATABASE_URL, else the default: `data/uprof.db` in the working directory or
 * the nearest folder above it that has one (as git finds its repository), so a command run from a
 * sub-folder of the project finds the project's database instead of making an empty one where it stands.
 * Relative SQLite paths are made absolute once, here, so every message names the real file.
 */
export function chooseDatabase(flag: string | undefined, config: Config, cwd = process.cwd()): DatabaseChoice {
  if (flag || !config.databaseUrlIsDefault) {
    const url = flag || config.databaseUrl;
    const source = flag ? '--database' : 'DATABASE_URL';
    if (!url.startsWith('sqlite:')) return { url, source, sqlitePath: null, dataDir: null };
    const path = url.slice('sqlite:'.length);
    if (path === ':memory:') return { url, source, sqlitePath: null, dataDir: null };
    const absolute = resolve(cwd, path);
    return { url: `sqlite:${absolute}`, source, sqlitePath: absolute, dataDir: null };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, DEFAULT_RELATIVE);
    if (existsSync(candidate)) {
      const where = dir === resolve(cwd) ? 'default' : `default, found above the working directory`;
      return { url: `sqlite:${candidate}`, source: where, sqlitePath: candidate, dataDir: dirname(candidate) };
    }
    if (dirname(dir) === dir) break;
  }
  const fresh = resolve(cwd, DEFAULT_RELATIVE);
  return { url: `sqlite:${fresh}`, source: 'default', sqlitePath: fresh, dataDir: dirname(fresh) };
}

/** Configuration for this invocation: the environment, with the database (and the default key file) resolved. */
export function commandConfig(command: Command): { config: Config; database: DatabaseChoice } {
  const config = loadConfig();
  const flag = (command.optsWithGlobals() as { database?: string }).database;
  const database = chooseDatabase(flag, config);
  config.databaseUrl = database.url;
  // the default key file lives beside the default database, wherever that was found
  if (config.masterKeyFileIsDefault && database.dataDir) config.masterKeyFile = join(database.dataDir, 'master.key');
  else config.masterKeyFile = resolve(config.masterKeyFile);
  return { config, database };
}

/** One line on stderr, prefixed, so that stdout carries only a command's output. */
export const say = (line: string) => process.stderr.write(`uprof: ${line}\n`);

export interface OpenOptions {
  /**
   * May this command make a new SQLite file? Commands that only make sense on existing data (keys, export,
   * backup …) refuse instead, so a slip (the wrong folder, a missing DATABASE_URL) is not silently a new,
   * empty database.
   */
  mayCreate: boolean;
  /** what to suggest when there is no database and the command may not make one */
  hint?: string;
}

/** Says which database the command uses, and warns before a new SQLite file is made. */
export function announceDatabase(database: DatabaseChoice, options: OpenOptions): void {
  if (database.sqlitePath !== null && !existsSync(database.sqlitePath)) {
    if (!options.mayCreate) {
      throw new CliError(
        `no database at ${database.sqlitePath} (${database.source}). ` +
          (options.hint ?? 'Start the server first (npm start), or name the database with --database URL or DATABASE_URL.'),
      );
    }
    say(`creating a NEW database at ${database.sqlitePath} (${database.source}): nothing was there. ` +
      'If you meant an existing one, stop and name it with --database URL or DATABASE_URL.');
    return;
  }
  say(`database ${shownUrl(database.url)} (${database.source})`);
}

/** Opens (and migrates) the chosen database for a command that is not the server. */
export async function openCommandStore(command: Command, options: OpenOptions): Promise<{ store: Store; config: Config; database: DatabaseChoice }> {
  const { config, database } = commandConfig(command);
  announceDatabase(database, options);
  const store = await openStore({ databaseUrl: database.url, sqliteSynchronous: config.sqliteSynchronous, postgresPoolSize: config.postgresPoolSize });
  return { store, config, database };
}

/** Runs `work` with an open store and closes it however `work` ends. */
export async function withStore<T>(command: Command, options: OpenOptions, work: (store: Store, config: Config, database: DatabaseChoice) => Promise<T>): Promise<T> {
  const { store, config, database } = await openCommandStore(command, options);
  try {
    return await work(store, config, database);
  } finally {
    await store.close();
  }
}

/**
 * An error from below (the network, a database, the file system) as a sentence with a next step. Errors we
 * raised ourselves already are one.
 */
export function explain(error: unknown, context: { databaseUrl?: string; host?: string; port?: number } = {}): string {
  const e = error as NodeJS.ErrnoException & { code?: string; address?: string; port?: number };
  const message = e?.message ?? String(error);
  if (error instanceof CliError) return message;
  const database = context.databaseUrl ? shownUrl(context.databaseUrl) : 'the database';
  switch (e?.code ?? '') {
    case 'EADDRINUSE':
      return `port ${context.port ?? e.port} on ${context.host ?? e.address} is in use: set PORT to a free port, or stop what listens there.`;
    case 'EACCES':
      if (e.syscall === 'listen') return `not allowed to listen on port ${context.port ?? e.port}: set PORT to a port above 1023.`;
      return `${message}: check that this user may read and write there.`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${context.host}: no network interface has that address. Set HOST (127.0.0.1, or 0.0.0.0 for every interface).`;
    case 'ECONNREFUSED':
      return `cannot reach PostgreSQL for ${database} (connection refused): is it running, and is DATABASE_URL right?`;
    case 'ENOTFOUND':
      return `cannot reach PostgreSQL for ${database}: the host name does not resolve. Check DATABASE_URL.`;
    case '3D000':
      return `${message} (${database}): create it first (for example: createdb -h HOST -U USER NAME), then run uprof migrate.`;
    case '28P01':
    case '28000':
      return `PostgreSQL refused the credentials in ${database}: ${message}. Check the user and password in DATABASE_URL.`;
    case 'SQLITE_CANTOPEN':
      return `cannot open the SQLite file of ${database}: check that its folder exists and is writable.`;
    case 'SQLITE_NOTADB':
      return `${database} is not a SQLite database (${message}).`;
  }
  return message;
}

/**
 * The SQLite server lock, for commands that would change profiles or endpoints under a running server's
 * memory (docs/architecture.md: a SQLite server keeps profiles in memory): held while they write, refused
 * with `instead` (what to do) while a server holds it. PostgreSQL servers keep no such memory: null.
 */
export function lockAgainstServer(sqlitePath: string | null, what: string, instead = ''): ServerLock | null {
  if (sqlitePath === null) return null;
  mkdirSync(dirname(sqlitePath), { recursive: true });
  try {
    return ServerLock.acquire(sqlitePath);
  } catch (error) {
    if (error instanceof ServerLockHeld) {
      throw new CliError(
        `a uprof server is serving sqlite:${sqlitePath}: stop it first. ${what} would change the database under it, and a ` +
          'SQLite server keeps profiles in memory (it would go on serving what it remembers), so nothing was written.' +
          `${instead ? ` ${instead}` : ''} On PostgreSQL this runs beside the servers.`,
      );
    }
    throw error;
  }
}
