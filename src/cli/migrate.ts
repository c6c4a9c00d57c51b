import type { Command } from 'commander';
import { migrate } from '../store/migrations.js';
import { openSql } from '../store/index.js';
import { announceDatabase, commandConfig } from './context.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit (they are forward only)')
    .action(async (_options, command: Command) => {
      const { config, database } = commandConfig(command);
      announceDatabase(database, { mayCreate: true });
      const sql = openSql({ databaseUrl: database.url, sqliteSynchronous: config.sqliteSynchronous, postgresPoolSize: config.postgresPoolSize });
      try {
        const applied = await migrate(sql);
        console.log(applied.length ? `applied ${applied.join(', ')}` : 'schema is up to date');
      } finally {
        await sql.close();
      }
    });
}
