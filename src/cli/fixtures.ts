import type { Command } from 'commander';
import { loadFixtureDocument, namedFixtures } from '../fixtures/index.js';
import { openStore } from '../store/index.js';
import { loadMasterKey, SecretBox } from '../webhooks/secrets.js';
import { announceDatabase, commandConfig, lockAgainstServer } from './context.js';

/** `uprof fixtures …` (docs/fixtures.md) */
export function register(program: Command): void {
  const fixtures = program.command('fixtures').description('load organizations, keys, profiles and webhook endpoints from a fixture');

  fixtures
    .command('load <fixture>')
    .description(`load a named fixture (${namedFixtures().join(', ')}) or a fixture file; loading twice changes nothing`)
    .option('--json', 'print one JSON line per organization')
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      const { config, database } = commandConfig(command);
      const now = Date.now();
      // read and checked whole before the database is even opened: a bad fixture loads nothing
      const fixture = loadFixtureDocument(name, now);
      announceDatabase(database, { mayCreate: true });
      const lock = lockAgainstServer(database.sqlitePath, 'Loading a fixture',
        `Or have the server load it as it starts: UPROF_FIXTURES=${name}.`);
      let reports;
      try {
        const store = await openStore({ databaseUrl: database.url, sqliteSynchronous: config.sqliteSynchronous, postgresPoolSize: config.postgresPoolSize });
        try {
          reports = await store.fixtures.load(fixture, new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile)), now);
        } finally {
          await store.close();
        }
      } finally {
        lock?.release();
      }
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
