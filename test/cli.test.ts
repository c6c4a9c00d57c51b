import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { engines } from './support/engines.ts';

/**
 * The `uprof` command as a user runs it: `node bin/uprof.js …` (and once `npx uprof …`) in child
 * processes, next to `uprof serve` children on the same DATABASE_URL, on every engine.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ID = (prefix: string) => new RegExp(`^${prefix}_01[0-9A-Za-z]{22}$`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port nobody listens on: bind port 0, read what the system chose, let it go. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

interface Served {
  child: ChildProcess;
  url: string;
  stdout: string;
}

/** Every child this file started, ended in after(). */
const children: ChildProcess[] = [];

async function serve(databaseUrl: string, env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/uprof.js', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`uprof serve did not start within 30 s:\n${stdout}\n${stderr}`)), 30_000);
    const onData = () => {
      if (stdout.includes('keys create')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`uprof serve exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, get stdout() { return stdout; } };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

after(async () => {
  await Promise.all(children.map(stop));
});

/** GET /v1/user_profiles on a running server; `headers` adds to the key and version. */
async function listWith(server: Served, apiKey: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/v1/user_profiles`, {
    headers: { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01', ...headers },
  });
  const body: any = await response.json();
  return { status: response.status, body, workspace: response.headers.get('anthropic-workspace-id') };
}

interface Minted {
  api_key: string;
  key_id: string;
  organization_id: string;
  workspace_id: string;
  organization_wide: boolean;
  role: string;
}

/** Parses `keys create --json` output, which must be exactly one JSON line. */
function mintedFrom(result: Run): Minted {
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.endsWith('\n'), JSON.stringify(result.stdout));
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `exactly one line: ${JSON.stringify(result.stdout)}`);
  const key = JSON.parse(lines[0]);
  assert.match(key.api_key, /^sk-uprof-api01-[0-9A-Za-z]{48}$/);
  assert.match(key.key_id, ID('apikey'));
  assert.match(key.organization_id, ID('org'));
  assert.match(key.workspace_id, ID('wrkspc'));
  assert.equal(key.role, 'platform');
  return key;
}

const engineList = await engines();

// the engines run side by side: each leg is dominated by waiting for child processes
describe('uprof CLI', { concurrency: true }, () => {
  for (const engine of engineList) {
    describe(`[${engine.name}]`, { concurrency: 1 }, () => {
      let database: { url: string; drop(): Promise<void> };
      let uprof: (...args: string[]) => Promise<Run>;
      let firstMigrate: Run;
      let secondMigrate: Run;
      // PostgreSQL takes several servers on one database; a SQLite file takes one at a time (the caching
      // server comes up in place of the first, for its own test)
      const severalServers = engine.name === 'postgres';
      let server: Served;
      let cachingServer: Served | undefined;
      const org = `Acme ${engine.name} ${randomUUID()}`;
      const otherOrg = `Globex ${engine.name} ${randomUUID()}`;
      const minted: Minted[] = [];

      before(async () => {
        database = await engine.createDatabase();
        uprof = (...args) => run(process.execPath, ['bin/uprof.js', ...args], { DATABASE_URL: database.url });
        firstMigrate = await uprof('migrate');
        [secondMigrate, server, cachingServer] = await Promise.all([
          uprof('migrate'),
          serve(database.url, { KEY_CACHE_TTL_MS: '0' }),
          severalServers ? serve(database.url, { KEY_CACHE_TTL_MS: '1000' }) : undefined,
        ]);
      });

      after(async () => {
        await Promise.all([server, cachingServer].filter((s) => s !== undefined).map((s) => stop(s.child)));
        await database?.drop();
      });

      it('uprof migrate applies the schema once, then says it is up to date', () => {
        assert.equal(firstMigrate.code, 0, firstMigrate.stderr);
        assert.match(firstMigrate.stdout, /^applied \S+/);
        assert.doesNotMatch(firstMigrate.stdout, /up to date/);
        assert.equal(secondMigrate.code, 0, secondMigrate.stderr);
        assert.equal(secondMigrate.stdout.trim(), 'schema is up to date');
      });

      it('uprof serve prints its address and how to mint a key', () => {
        for (const served of [server, cachingServer].filter((s) => s !== undefined)) {
          assert.ok(served.stdout.includes(served.url), served.stdout);
          assert.match(served.stdout, /uprof keys create --org/);
        }
      });

      it('keys create --org NAME --create-org --json prints one JSON line; the key works on the running server at once', async () => {
        const key = mintedFrom(await uprof('keys', 'create', '--org', org, '--create-org', '--json'));
        assert.equal(key.organization_wide, true);
        minted.push(key);
        const listed = await listWith(server, key.api_key);
        assert.equal(listed.status, 200, JSON.stringify(listed.body));
        assert.deepEqual(listed.body.data, []);
        assert.equal(listed.workspace, key.workspace_id);
        const created = await fetch(`${server.url}/v1/user_profiles`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.api_key}`, 'anthropic-version': '2026-10-21', 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Made with a CLI key' }),
        });
        assert.equal(created.status, 200);
        assert.equal((await listWith(cachingServer ?? server, key.api_key)).body.data[0].name, 'Made with a CLI key');
      });

      if (!severalServers) {
        it('a second uprof serve on the same SQLite file is refused, pointing to PostgreSQL; the first keeps serving', async () => {
          const second = await run(process.execPath, ['bin/uprof.js', 'serve'], {
            DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'warn',
          });
          assert.equal(second.code, 1, second.stdout);
          assert.match(second.stderr, /another uprof server is already serving sqlite:.*PostgreSQL/s);
          assert.doesNotMatch(second.stdout, /is serving/);
          assert.equal((await listWith(server, minted[0].api_key)).status, 200);
        });
      }

      it('a second key for the same organization reuses its id and default workspace; another organization gets new ones', async () => {
        const [again, other] = await Promise.all([
          uprof('keys', 'create', '--org', org, '--json'),
          uprof('keys', 'create', '--org', otherOrg, '--create-org', '--json'),
        ]).then((runs) => runs.map(mintedFrom));
        const [first] = minted;
        minted.push(again, other);
        assert.equal(again.organization_id, first.organization_id);
        assert.equal(again.workspace_id, first.workspace_id);
        assert.notEqual(again.api_key, first.api_key);
        assert.notEqual(again.key_id, first.key_id);
        assert.notEqual(other.organization_id, first.organization_id);
        assert.notEqual(other.workspace_id, first.workspace_id);
        // both keys of the organization see the same profiles; the other organization sees none of them
        assert.equal((await listWith(server, again.api_key)).body.data.length, 1);
        assert.deepEqual((await listWith(server, other.api_key)).body.data, []);
      });

      it('--workspace NAME makes a key bound to a new workspace of the same organization', async () => {
        const [bound, boundAgain] = await Promise.all([
          uprof('keys', 'create', '--org', org, '--workspace', 'ws-a', '--json'),
          uprof('keys', 'create', '--org', org, '--workspace', 'ws-a', '--json'),
        ]).then((runs) => runs.map(mintedFrom));
        const [first] = minted;
        minted.push(bound, boundAgain);
        assert.equal(bound.organization_wide, false);
        assert.equal(bound.organization_id, first.organization_id);
        assert.notEqual(bound.workspace_id, first.workspace_id);
        assert.equal(boundAgain.workspace_id, bound.workspace_id, 'the same name is the same workspace');
        // on the server: it acts for its workspace only; the organization-wide key may act for it too
        const own = await listWith(server, bound.api_key);
        assert.equal(own.status, 200);
        assert.equal(own.workspace, bound.workspace_id);
        const elsewhere = await listWith(server, bound.api_key, { 'anthropic-workspace-id': first.workspace_id });
        assert.equal(elsewhere.status, 403);
        assert.equal(elsewhere.body.error.type, 'permission_error');
        const wide = await listWith(server, first.api_key, { 'anthropic-workspace-id': bound.workspace_id });
        assert.equal(wide.status, 200);
        assert.equal(wide.workspace, bound.workspace_id);
      });

      it('keys list --json shows every key, never a secret', async () => {
        const [all, onlyOther] = await Promise.all([uprof('keys', 'list', '--json'), uprof('keys', 'list', '--org', otherOrg, '--json')]);
        for (const result of [all, onlyOther]) {
          assert.equal(result.code, 0, result.stderr);
          assert.doesNotMatch(result.stdout + result.stderr, /api_key|sk-uprof/);
          for (const key of minted) assert.ok(!result.stdout.includes(key.api_key.slice(15, 40)), 'no part of a secret');
        }
        const rows = all.stdout.trim().split('\n').map((line) => JSON.parse(line));
        assert.deepEqual(rows.map((row) => row.id).sort(), minted.map((key) => key.key_id).sort());
        for (const key of minted) {
          const row = rows.find((r) => r.id === key.key_id);
          assert.equal(row.organization_id, key.organization_id);
          assert.equal(row.workspace_id, key.organization_wide ? null : key.workspace_id);
          assert.equal(row.revoked_at, null);
        }
        const other = onlyOther.stdout.trim().split('\n').map((line) => JSON.parse(line));
        assert.deepEqual(other.map((row) => row.id), minted.filter((k) => k.organization_id === minted[2].organization_id).map((k) => k.key_id));
      });

      it('keys revoke ID: the running server (KEY_CACHE_TTL_MS=0) answers 401 at once; other keys keep working', async () => {
        const [, , victim] = minted;
        assert.equal((await listWith(server, victim.api_key)).status, 200);
        const revoked = await uprof('keys', 'revoke', victim.key_id);
        assert.equal(revoked.code, 0, revoked.stderr);
        assert.ok(revoked.stdout.includes(victim.key_id), revoked.stdout);
        const [refused, again, listed] = await Promise.all([
          listWith(server, victim.api_key),
          uprof('keys', 'revoke', victim.key_id),
          uprof('keys', 'list', '--org', otherOrg, '--json'),
        ]);
        assert.equal(refused.status, 401);
        assert.equal(refused.body.error.type, 'authentication_error');
        assert.notEqual(again.code, 0, 'revoking a revoked key fails');
        assert.match(again.stderr, /no active key/);
        assert.notEqual(JSON.parse(listed.stdout.trim()).revoked_at, null);
        assert.equal((await listWith(server, minted[0].api_key)).status, 200);
      });

      it('with KEY_CACHE_TTL_MS=1000 a revoked key stops working within about 1 s', async () => {
        if (!cachingServer) {
          await stop(server.child);
          server = cachingServer = await serve(database.url, { KEY_CACHE_TTL_MS: '1000' });
        }
        const victim = minted[1];
        assert.equal((await listWith(cachingServer, victim.api_key)).status, 200, 'the key is cached as valid');
        // keep the server's cache warm while the CLI revokes, so the cache still vouches for the key afterwards
        let revoking = true;
        const revocation = uprof('keys', 'revoke', victim.key_id).finally(() => (revoking = false));
        while (revoking) {
          await listWith(cachingServer, victim.api_key);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const revoked = await revocation;
        assert.equal(revoked.code, 0, revoked.stderr);
        const revokedAt = Date.now();
        let status = 200;
        while (status !== 401 && Date.now() - revokedAt < 5_000) {
          status = (await listWith(cachingServer, victim.api_key)).status;
          if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const elapsed = Date.now() - revokedAt;
        assert.equal(status, 401, 'the revoked key never stopped working');
        assert.ok(elapsed <= 1_500, `stopped working only after ${elapsed} ms`);
      });

      it('npx uprof keys create works from the project directory', async () => {
        // offline: npx must find the project's own bin, never fetch a package of that name
        const result = await run('npx', ['uprof', 'keys', 'create', '--org', org, '--json'], {
          DATABASE_URL: database.url,
          npm_config_offline: 'true',
          npm_config_update_notifier: 'false',
        });
        const key = mintedFrom(result);
        assert.equal(key.organization_id, minted[0].organization_id);
        assert.equal((await listWith(server, key.api_key)).status, 200);
      });
    });
  }
});
