import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backupSqlite, inspectSqlite, restoreSqlite, type DatabaseFacts } from '../store/backup.js';
import { loadMasterKey, SecretBox } from '../webhooks/secrets.js';
import type { Config } from '../config.js';
import { announceDatabase, CliError, commandConfig, lockAgainstServer, say, shownUrl, type DatabaseChoice } from './context.js';

const POSTGRES_ADVICE =
  'uprof backup and restore copy SQLite files. On PostgreSQL use its own tools, for example ' +
  "pg_dump --format=custom --file=uprof.dump 'postgres://…/uprof' and pg_restore --dbname='postgres://…/uprof' uprof.dump " +
  '(README: Backups), and keep the master key with the dump.';

function sqliteOnly(database: DatabaseChoice): string {
  if (database.sqlitePath === null) throw new CliError(`${shownUrl(database.url)} is not a SQLite file. ${POSTGRES_ADVICE}`);
  return database.sqlitePath;
}

/** Where the master key is, in words. */
const masterKeyPlace = (config: Config) => (config.masterKey ? 'the UPROF_MASTER_KEY value' : `the key file ${config.masterKeyFile}`);

/** How many of the backup's webhook signing secrets open with the master key this command sees. */
function secretsOpening(facts: DatabaseFacts, config: Config): { opened: number; total: number } {
  if (facts.secrets.length === 0) return { opened: 0, total: 0 };
  if (!config.masterKey && !existsSync(config.masterKeyFile)) return { opened: 0, total: facts.secrets.length };
  const box = new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile));
  let opened = 0;
  for (const sealed of facts.secrets) {
    try {
      box.open(sealed);
      opened++;
    } catch {
      // sealed with another key
    }
  }
  return { opened, total: facts.secrets.length };
}

export function register(program: Command): void {
  program
    .command('backup <file>')
    .description('copy a SQLite database to FILE, consistently, while the server goes on serving (PostgreSQL: see README)')
    .action(async (file: string, _opts, command: Command) => {
      const { config, database } = commandConfig(command);
      const source = sqliteOnly(database);
      announceDatabase(database, { mayCreate: false });
      const target = resolve(file);
      const started = Date.now();
      let result;
      try {
        result = await backupSqlite(source, target);
      } catch (error) {
        throw new CliError(`backup failed, no backup was written: ${(error as Error).message}`);
      }
      const { facts, bytes } = result;
      const secrets = secretsOpening(facts, config);
      console.log(`backed up ${source} to ${target} (${(bytes / 1e6).toFixed(1)} MB, ${facts.profiles} profiles, ` +
        `${facts.organizations} organizations, integrity ok) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(`KEEP THE MASTER KEY WITH IT: the ${facts.secrets.length} webhook signing secrets in it are sealed with ${masterKeyPlace(config)}; ` +
        'without that key they cannot be opened (every endpoint would need a new secret).' +
        (secrets.total > 0 && secrets.opened < secrets.total ? ` WARNING: only ${secrets.opened} of ${secrets.total} open with it now.` : ''));
    });

  program
    .command('restore <file>')
    .description('replace the SQLite database with a backup made by uprof backup (no server may be running on it)')
    .option('--force', 'replace a database that already exists')
    .action(async (file: string, opts: { force?: boolean }, command: Command) => {
      const { config, database } = commandConfig(command);
      const target = sqliteOnly(database);
      const backup = resolve(file);
      if (!existsSync(backup)) throw new CliError(`no file ${backup}`);
      let facts: DatabaseFacts;
      try {
        facts = inspectSqlite(backup);
      } catch (error) {
        throw new CliError(`${(error as Error).message}: nothing was restored`);
      }
      announceDatabase(database, { mayCreate: true });
      const lock = lockAgainstServer(target, 'A restore');
      try {
        if (existsSync(target) && !opts.force) {
          const current = inspectSqlite(target);
          throw new CliError(`${target} exists (${current.profiles} profiles, ${current.organizations} organizations): ` +
            'add --force to replace it with the backup (take a backup of it first if in doubt)');
        }
        restoreSqlite(backup, target);
      } finally {
        lock?.release();
      }
      const secrets = secretsOpening(facts, config);
      console.log(`restored ${backup} to ${target}: ${facts.profiles} profiles, ${facts.organizations} organizations, ` +
        `migrations up to ${facts.migrations.at(-1) ?? '(none)'}`);
      if (secrets.total === 0) return;
      if (secrets.opened === secrets.total) say(`all ${secrets.total} webhook signing secrets open with ${masterKeyPlace(config)}`);
      else {
        say(`WARNING: ${secrets.total - secrets.opened} of ${secrets.total} webhook signing secrets do NOT open with ${masterKeyPlace(config)}: ` +
          'put the master key that was in use when the backup was made in place (UPROF_MASTER_KEY or UPROF_MASTER_KEY_FILE) before starting the server.');
      }
    });
}
