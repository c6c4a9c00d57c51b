import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { loadFixtureDocument, namedFixtures } from '../fixtures/index.js';
import { openStore } from '../store/index.js';
import { ServerLock } from '../store/server-lock.js';
import { loadMasterKey, SecretBox } from '../webhooks/secrets.js';

/**
 * A SQLite server keeps profiles in memory and is its file's only writer (docs/architecture.md), so a command
 * that writes profiles into a SQLite file takes the server lock while it writes: beside a running server it is
 * refused, saying what to do instead. PostgreSQL servers keep no such memory.
 */
export function whileNoSqliteServer<T>(databaseUrl: string, instead: string, work: () => Promise<T>): Promise<T> {
  const path = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : null;
  let lock: ServerLock | null = null;
  if (path !== null && path !== ':memory:') {
    try {
      lock = ServerLock.acquire(path);
    } catch (error) {
      if (!/another uprof server/.test((error as Error).message)) throw error;
      throw new Error(
        `a uprof server is serving ${databaseUrl}, and it keeps profiles in memory: writing them beside it would leave ` +
          `its memory stale, so nothing was written. ${instead}`,
      );
    }
  }
  return work().finally(() => lock?.release());
}

/** `uprof fixtures …` (docs/fixtures.md) */
export function register(program: Command): void {
  const fixtures = program.command('fixtures').description('load organizations, keys, profiles and webhook endpoints from a fixture');

  fixtures
    .command('load <fixture>')
    .description(`load a named fixture (${namedFixtures().join(', ')}) or a fixture file; loading twice changes nothing`)
    .option('--json', 'print one JSON line per organization')
    .action(async (name: string, opts: { json?: boolean }) => {
      const config = loadConfig();
      const now = Date.now();
      // read and checked whole before the database is even opened: a bad fixture loads nothing
      const fixture = loadFixtureDocument(name, now);
      const instead = `Stop the server and load it then, or have the server load it as it starts: UPROF_FIXTURES=${name}.`;
      const reports = await whileNoSqliteServer(config.databaseUrl, instead, async () => {
        const store = await openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous, postgresPoolSize: config.postgresPoolSize });
        try {
          return await store.fixtures.load(fixture, new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile)), now);
        } finally {
          await store.close();
        }
      });
      for (const report of reports) {
        if (opts.json) {
          console.log(JSON.stringify({ fixture: fixture.name, ...report }));
          continue;
        }
        const counts = (['workspaces', 'keys', 'profiles', 'webhooks'] as const)
          .map((kind) => `${kind} ${report[kind].created} created, ${report[kind].updated} updated, ${report[kind].unchanged} unchanged`)
          .join('; ');
        console.log(`${report.created ? 'created' : 'loaded'} organization ${JSON.stringify(report.name)} (${report.organization_id}): ${counts}`);
      }
    });

  fixtures
    .command('list')
    .description('list the named fixtures')
    .action(() => {
      for (const name of namedFixtures()) console.log(name);
    });
}
