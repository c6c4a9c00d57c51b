import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.ts';
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

      it('records a webhook attempt that is in flight when SIGTERM comes', async () => {
        // a receiver that answers 204 only after the server has been told to stop
        let arrived: () => void;
        const arrival = new Promise<void>((resolve) => (arrived = resolve));
        let release: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const receiver = createServer((request: IncomingMessage, response: ServerResponse) => {
          request.resume();
          arrived();
          void released.then(() => response.writeHead(204).end());
        });
        await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
        try {
          const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
          const server = await startServerProcess(database.url, { LOG_LEVEL: 'info', WEBHOOK_POLL_MS: '50' });
          servers.push(server);
          const key = await mintKeyWithCli(database.url, `shutdown-hooks-${engine.name}-${process.pid}`);
          const headers = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
          const endpoint = await fetch(`${server.baseURL}/v1/organizations/webhooks`, {
            method: 'POST', headers: { ...headers, 'anthropic-beta': 'webhooks-2026-10-07' },
            body: JSON.stringify({ url, enabled_events: ['user_profile.created'] }),
          });
          assert.equal(endpoint.status, 200, await endpoint.text());
          const created = await fetch(`${server.baseURL}/v1/user_profiles`, { method: 'POST', headers, body: JSON.stringify({ name: 'hooked' }) });
          assert.equal(created.status, 200);
          await arrival;
          server.child.kill('SIGTERM');
          // the server is shutting down with the attempt in flight; the receiver answers now
          setTimeout(() => release(), 300);
          assert.deepEqual(await server.exited, { code: 0, signal: null }, server.log);
          const store = await openStore({ databaseUrl: database.url });
          try {
            const attempts = await store.sql.all<{ status: number; state: string }>(
              `SELECT a.status, d.state FROM webhook_attempts a JOIN webhook_deliveries d
                 ON d.organization_id = a.organization_id AND d.endpoint_id = a.endpoint_id AND d.event_id = a.event_id
               WHERE a.organization_id = ?`, [key.organization_id]);
            assert.deepEqual(attempts.map((a) => [Number(a.status), a.state]), [[204, 'delivered']]);
          } finally {
            await store.close();
          }
        } finally {
          release!();
          receiver.closeAllConnections();
          await new Promise((resolve) => receiver.close(resolve));
        }
      });
    });
  }
});
