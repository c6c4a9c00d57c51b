import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SecretBox } from '../../src/webhooks/secrets.ts';
import { engines } from '../support/engines.ts';
import { mintKeyWithCli, range, startServerProcess, uprofCli, type ServerProcess } from '../support/processes.ts';

/**
 * Issue 14, point 4: `uprof backup` copies a SQLite database while its server serves a write load; the copy
 * holds every write acknowledged before the backup began, passes PRAGMA integrity_check, restores with
 * `uprof restore`, and its webhook signing secrets open with the master key kept beside it. A restore is
 * refused while a server holds the database. On PostgreSQL the command points to pg_dump.
 */

const CLIENTS = 8;
const ACKS_BEFORE_BACKUP = 300;
const WEBHOOKS_BETA = 'webhooks-2026-10-07';

interface Ack {
  id: string;
  name: string;
  /** when the answer arrived */
  at: number;
}

const engineList = await engines();
const sqlite = engineList.find((e) => e.name === 'sqlite')!;
const postgres = engineList.find((e) => e.name === 'postgres');

describe('uprof backup and restore [sqlite]', () => {
  let database: Awaited<ReturnType<typeof sqlite.createDatabase>>;
  const servers: ServerProcess[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.kill()));
    await database?.drop();
  });

  it('backs up under write load: every write acknowledged before it began, an intact file, secrets that open; restores', async () => {
    database = await sqlite.createDatabase();
    const dir = dirname(database.url.slice('sqlite:'.length));
    const keyFile = join(dir, 'master.key');
    const env = { UPROF_MASTER_KEY_FILE: keyFile };
    const server = await startServerProcess(database.url, env);
    servers.push(server);
    const key = await mintKeyWithCli(database.url, 'backup-org');
    const headers = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };

    // two webhook endpoints, whose signing secrets the copy must still open
    const secrets = new Map<string, string>();
    for (const n of [1, 2]) {
      const response = await fetch(`${server.baseURL}/v1/organizations/webhooks`, {
        method: 'POST', headers: { ...headers, 'anthropic-beta': WEBHOOKS_BETA },
        body: JSON.stringify({ url: `https://hooks.example.com/${n}`, enabled_events: ['user_profile.program_status_updated'] }),
      });
      const body: any = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      secrets.set(body.id, body.signing_secret);
    }

    const acks: Ack[] = [];
    let stop = false;
    let backupStartedAt = 0;
    let backupEndedAt = 0;
    const load = Promise.all(range(CLIENTS).map(async (c) => {
      for (let n = 0; !stop; n++) {
        const name = `b-${c}-${n}`;
        const response = await fetch(`${server.baseURL}/v1/user_profiles`, { method: 'POST', headers, body: JSON.stringify({ name }) });
        const body: any = await response.json();
        assert.equal(response.status, 200, JSON.stringify(body));
        acks.push({ id: body.id, name, at: Date.now() });
      }
    }));
    while (acks.length < ACKS_BEFORE_BACKUP) await new Promise((resolve) => setTimeout(resolve, 10));
    const file = join(dir, 'copy.db');
    backupStartedAt = Date.now();
    const backup = await uprofCli(['backup', file], database.url, env);
    backupEndedAt = Date.now();
    const acksDuring = acks.filter((a) => a.at > backupStartedAt && a.at < backupEndedAt).length;
    stop = true;
    await load;

    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /KEEP THE MASTER KEY WITH IT/);
    assert.ok(backup.stdout.includes(keyFile), backup.stdout);
    assert.ok(acksDuring > 0, 'the server kept acknowledging writes while the backup ran');
    assert.ok(!existsSync(`${file}.partial`));

    const copy = new Database(file, { readonly: true });
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      const names = new Map(
        (copy.prepare('SELECT id, name FROM user_profiles WHERE deleted_at IS NULL').all() as { id: string; name: string }[]).map((r) => [r.id, r.name]),
      );
      const before = acks.filter((a) => a.at <= backupStartedAt);
      const missing = before.filter((a) => names.get(a.id) !== a.name);
      assert.deepEqual(missing, [], `writes acknowledged before the backup began are missing from it (${before.length} such writes)`);
      const box = new SecretBox(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64'));
      const stored = copy.prepare('SELECT id, secret_ciphertext FROM webhook_endpoints').all() as { id: string; secret_ciphertext: string }[];
      assert.equal(stored.length, 2);
      for (const row of stored) assert.equal(box.open(row.secret_ciphertext), secrets.get(row.id));
      console.log(`# backup: ${before.length} writes acknowledged before it began (all in the copy), ${acksDuring} acknowledged while it ran, ` +
        `${names.size} profiles in the copy, ${backupEndedAt - backupStartedAt} ms for the command (process start included)`);
    } finally {
      copy.close();
    }

    // restore: refused while the server holds the database, which stays as it was
    const refused = await uprofCli(['restore', '--force', file], database.url, env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /a uprof server is serving .*stop it first/);
    const live = (await fetch(`${server.baseURL}/v1/user_profiles/${acks.at(-1)!.id}`, { headers })).status;
    assert.equal(live, 200, 'the newest write is still served: nothing was replaced');
    await server.stop();

    // into a new place, and a server on it serves the copy with the same master key
    const restoredUrl = `sqlite:${join(dir, 'restored', 'uprof.db')}`;
    const restored = await uprofCli(['restore', file], restoredUrl, env);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stderr, /all 2 webhook signing secrets open/);
    const onRestored = await startServerProcess(restoredUrl, env);
    servers.push(onRestored);
    const first = acks[0];
    const served: any = await (await fetch(`${onRestored.baseURL}/v1/user_profiles/${first.id}`, { headers })).json();
    assert.equal(served.name, first.name);
    await onRestored.stop();

    // a different master key: the restore says the secrets do not open
    const wrongKey = await uprofCli(['restore', '--force', file], restoredUrl, { UPROF_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
    assert.equal(wrongKey.code, 0, wrongKey.stderr);
    assert.match(wrongKey.stderr, /WARNING: 2 of 2 webhook signing secrets do NOT open/);
  });

  it('refuses to overwrite an existing file and to restore something that is not a uprof database', async () => {
    const dir = dirname(database.url.slice('sqlite:'.length));
    const again = await uprofCli(['backup', join(dir, 'copy.db')], database.url);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists: choose a new file name/);
    const junk = join(dir, 'junk.db');
    new Database(junk).exec('CREATE TABLE t (x)');
    const refused = await uprofCli(['restore', '--force', junk], database.url);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not a uprof one: nothing was restored/);
  });
});

if (postgres) {
  describe('uprof backup [postgres]', () => {
    it('points to pg_dump and the master key instead', async () => {
      const database = await postgres.createDatabase();
      try {
        const result = await uprofCli(['backup', '/tmp/never-written.db'], database.url);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /pg_dump/);
        assert.match(result.stderr, /master key/);
        assert.ok(!existsSync('/tmp/never-written.db'));
      } finally {
        await database.drop();
      }
    });
  });
}
