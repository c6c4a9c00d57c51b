import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { engines } from '../support/engines.ts';
import { mintKeyWithCli, range, startServerProcess, type ServerProcess } from '../support/processes.ts';

/**
 * Issue 14, point 3: SIGTERM under a write load. The server stops accepting, finishes what it has started,
 * flushes group commit, closes the database and says so in one line; every write it acknowledged is there
 * afterwards, and no answer is cut off in the middle of its body.
 */

const CLIENTS = 16;
const SIGNAL_AFTER_ACKS = 200;
const MAX_LOAD_MS = 20_000;

type Result =
  | { kind: 'acknowledged'; id: string; name: string; afterSignal: boolean }
  | { kind: 'refused' } // no answer at all: the connection was refused or closed before any byte of an answer
  | { kind: 'closing'; status: number } // a whole answer saying the server is going away
  | { kind: 'cut'; detail: string }; // an answer that started and did not finish: never allowed

async function createOnce(server: ServerProcess, apiKey: string, name: string, signalled: () => boolean): Promise<Result> {
  let response: Response;
  try {
    response = await fetch(`${server.baseURL}/v1/user_profiles`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ name, metadata: { client: name.split('-')[0] } }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    return { kind: 'refused' };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { kind: 'cut', detail: `${response.status}: body broke off: ${(error as Error).message}` };
  }
  const declared = response.headers.get('content-length');
  if (declared !== null && Buffer.byteLength(text) !== Number(declared)) {
    return { kind: 'cut', detail: `${response.status}: ${Buffer.byteLength(text)} of ${declared} bytes` };
  }
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: 'cut', detail: `${response.status}: not whole JSON: ${text.slice(0, 200)}` };
  }
  if (response.status === 200) return { kind: 'acknowledged', id: body.id, name: body.name, afterSignal: signalled() };
  if (response.status === 503) return { kind: 'closing', status: 503 };
  return { kind: 'cut', detail: `unexpected ${response.status}: ${text.slice(0, 200)}` };
}

describe('graceful shutdown under load (SIGTERM)', { concurrency: false }, async () => {
  for (const engine of await engines()) {
    describe(`[${engine.name}]`, () => {
      let database: Awaited<ReturnType<typeof engine.createDatabase>>;
      const servers: ServerProcess[] = [];
      after(async () => {
        await Promise.all(servers.map((s) => s.kill()));
        await database?.drop();
      });

      it('loses no acknowledged write, cuts no answer, exits 0 after one "stopped" line', async () => {
        database = await engine.createDatabase();
        const server = await startServerProcess(database.url, { LOG_LEVEL: 'info' });
        servers.push(server);
        const key = await mintKeyWithCli(database.url, `shutdown-${engine.name}-${process.pid}`);
        const results: Result[] = [];
        let signalledAt = 0;
        const signalled = () => signalledAt > 0;
        const started = Date.now();
        const client = async (c: number) => {
          for (let n = 0; Date.now() - started < MAX_LOAD_MS; n++) {
            const result = await createOnce(server, key.api_key, `${c}-${n}`, signalled);
            results.push(result);
            if (result.kind === 'refused' || result.kind === 'cut') return;
            if (!signalled() && results.filter((r) => r.kind === 'acknowledged').length >= SIGNAL_AFTER_ACKS) {
              signalledAt = Date.now();
              server.child.kill('SIGTERM');
            }
          }
        };
        await Promise.all(range(CLIENTS).map(client));
        const exit = await server.exited;

        const cut = results.filter((r) => r.kind === 'cut');
        assert.deepEqual(cut, [], 'no answer may be cut off');
        assert.ok(signalledAt > 0, `the load reached ${SIGNAL_AFTER_ACKS} acknowledged writes before the signal`);
        assert.deepEqual(exit, { code: 0, signal: null }, server.log);
        const stopLines = server.log.split('\n').filter((line) => line.includes('uprof stopped'));
        assert.equal(stopLines.length, 1, server.log);
        const stopLine = JSON.parse(stopLines[0]);
        assert.equal(stopLine.signal, 'SIGTERM');
        assert.equal(stopLine.forced, false);

        // every acknowledged write is there, as acknowledged, after a restart on the same database
        const acknowledged = results.filter((r): r is Extract<Result, { kind: 'acknowledged' }> => r.kind === 'acknowledged');
        const again = await startServerProcess(database.url);
        servers.push(again);
        const missing: string[] = [];
        for (const ack of acknowledged) {
          const response = await fetch(`${again.baseURL}/v1/user_profiles/${ack.id}`, {
            headers: { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' },
          });
          const body: any = await response.json();
          if (response.status !== 200 || body.name !== ack.name) missing.push(`${ack.id} (${ack.name}): ${response.status}`);
        }
        assert.deepEqual(missing, [], `acknowledged writes lost (${acknowledged.length} acknowledged)`);
        console.log(`# ${engine.name}: ${acknowledged.length} writes acknowledged (${acknowledged.filter((a) => a.afterSignal).length} of them answered after SIGTERM), ` +
          `${results.filter((r) => r.kind === 'closing').length} answered 503 while closing, ${results.filter((r) => r.kind === 'refused').length} refused; all found again`);
        await again.stop();
      });
    });
  }
});
