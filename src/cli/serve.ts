import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { buildApp } from '../server.js';
import { openStore } from '../store/index.js';
import { isLoopback } from '../http/operations.js';
import { CliError, commandConfig, explain, shownUrl, type DatabaseChoice } from './context.js';
import { VERSION } from './version.js';

/** The key command the banner suggests, with the database named when the CLI would not find it by default. */
export function keyCommandHint(database: DatabaseChoice): string {
  const prefix = database.source.startsWith('default') ? '' : `DATABASE_URL='${shownUrl(database.url)}' `;
  return `${prefix}npx uprof keys create --org "My platform" --create-org --json`;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the API (applies pending migrations first); stops gracefully on SIGTERM or SIGINT')
    .action(async (_options, command: Command) => {
      const { config, database } = commandConfig(command);
      // a SQLite file that is not there yet is made, and the banner says so
      const fresh = database.sqlitePath !== null && !existsSync(database.sqlitePath);
      let store;
      try {
        store = await openStore({
          databaseUrl: database.url, sqliteSynchronous: config.sqliteSynchronous, postgresPoolSize: config.postgresPoolSize,
          serve: { profileCacheSize: config.profileCacheSize },
        });
      } catch (error) {
        throw new CliError(explain(error, { databaseUrl: database.url }));
      }
      const app = await buildApp(config, store);
      let address: string;
      try {
        address = await app.listen({ host: config.host, port: config.port });
      } catch (error) {
        await app.close();
        await store.close();
        throw new CliError(explain(error, { host: config.host, port: config.port }));
      }
      const metrics = config.metricsToken !== null ? 'with METRICS_TOKEN' : isLoopback(config.host) ? 'open on loopback' : 'off: set METRICS_TOKEN';
      console.log(`uprof ${VERSION} is serving the User Profiles API at ${address}`);
      console.log(`database: ${shownUrl(database.url)} (${fresh ? 'NEW, just created' : database.source})`);
      console.log(`health: ${address}/healthz, ${address}/readyz; metrics: ${address}/metrics (${metrics})`);
      console.log(`mint an API key with: ${keyCommandHint(database)}`);
      app.log.info({ version: VERSION, address, database: shownUrl(database.url) }, 'uprof started');

      let closing = false;
      const shutdown = async (signal: NodeJS.Signals) => {
        if (closing) return;
        closing = true;
        const started = Date.now();
        // in-flight requests get SHUTDOWN_TIMEOUT_MS to finish; connections still open then are closed
        let forced = false;
        const force = setTimeout(() => {
          forced = true;
          app.server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        // a kept-alive connection whose request finishes becomes idle: close it then, not after keepAliveTimeout
        const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
        let failure: unknown = null;
        try {
          await app.close(); // stops accepting, answers 503 on kept-alive connections, waits for in-flight requests and webhook attempts
        } catch (error) {
          failure = error;
        }
        clearInterval(sweep);
        clearTimeout(force);
        try {
          await store.close(); // commits what group commit still holds, then closes the database
        } catch (error) {
          failure ??= error;
        }
        const ms = Date.now() - started;
        if (failure) app.log.error({ err: failure, signal, ms }, 'uprof stopped with an error');
        else {
          app.log.info(
            { signal, ms, forced },
            forced
              ? `uprof stopped: requests still running after ${config.shutdownTimeoutMs} ms were cut; writes flushed, database closed`
              : 'uprof stopped: in-flight requests finished, writes flushed, database closed',
          );
        }
        process.exit(failure ? 1 : 0);
      };
      // shutdown catches what it awaits; `void` says nothing is left to await
      process.on('SIGTERM', (signal) => void shutdown(signal));
      process.on('SIGINT', (signal) => void shutdown(signal));
    });
}
