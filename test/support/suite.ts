import { after, before, describe } from 'node:test';
import { openStore, type Store } from '../../src/store/index.ts';
import { engines, type Engine } from './engines.ts';
import { startServer, type TestServer } from './server.ts';

const engineList = await engines();

/**
 * Runs `body` once per engine against a fresh real server. `body` receives a getter, since the server
 * exists only once the `before` hook has run.
 */
export function describeEachEngine(title: string, body: (server: () => TestServer) => void, env: Record<string, string> = {}) {
  for (const engine of engineList) {
    describe(`${title} [${engine.name}]`, () => {
      let server: TestServer;
      before(async () => {
        server = await startServer(engine, env);
      });
      after(async () => {
        await server?.close();
      });
      body(() => server);
    });
  }
}

/**
 * Runs `body` once per engine against a fresh store on a fresh database, without a server (repository and
 * SQL tests: nothing else, no delivery worker, touches the data meanwhile).
 */
export function describeEachStore(title: string, body: (store: () => Store, engine: Engine) => void) {
  for (const engine of engineList) {
    describe(`${title} [${engine.name}]`, () => {
      let store: Store | undefined;
      let drop: (() => Promise<void>) | undefined;
      before(async () => {
        const database = await engine.createDatabase();
        drop = database.drop;
        store = await openStore({ databaseUrl: database.url });
      });
      after(async () => {
        await store?.close();
        await drop?.();
      });
      body(() => store!, engine);
    });
  }
}
