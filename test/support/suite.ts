import { after, before, describe } from 'node:test';
import { engines } from './engines.ts';
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
