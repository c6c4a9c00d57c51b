import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretBox } from '../../src/webhooks/secrets.ts';
import { engines, type Engine } from '../support/engines.ts';
import { startServerProcess, uprofCli, type ServerProcess } from '../support/processes.ts';
import { call, startServer, type TestServer } from '../support/server.ts';

/**
 * Issue 14, point 5: `uprof export` / `uprof import` on every engine. Export → import into an empty database
 * → export gives the same bytes; a second import changes nothing; a bad line is named by its number and
 * nothing is imported; webhook secrets travel sealed (the same master key needed) or, asked for, in clear.
 */

const WEBHOOKS_BETA = 'webhooks-2026-10-07';
const masterKey = () => randomBytes(32).toString('base64');

async function ok(response: Promise<{ status: number; text: string; json: any }>) {
  const r = await response;
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** An organization with profiles in every state an export must carry, two webhook endpoints, and history. */
async function populate(server: TestServer, organization: string) {
  const key = await server.newKey({ organization });
  const operator = await server.newKey({ organization, role: 'operator' });
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const body = i % 3 === 0
      ? { name: `Profile ${i}`, metadata: { plan: i % 2 ? 'pro' : 'team', n: String(i) }, external_user_details: { country: 'DE', reference_id: `ref-${i}`, onboarded_at: '2025-01-02T03:04:05Z' } }
      : i % 3 === 1 ? { name: null } : { name: `Ünïcode ${i} ✓`, access_type: 'passthrough' };
    ids.push((await ok(call(server, 'POST', '/v1/user_profiles', { key: key.api_key, body }))).id);
  }
  await ok(call(server, 'POST', `/v1/user_profiles/${ids[0]}`, { key: key.api_key, body: { name: 'Renamed', metadata: { plan: '' } } }));
  await ok(call(server, 'DELETE', `/v1/user_profiles/${ids[1]}`, { key: key.api_key }));
  await ok(call(server, 'POST', `/v1/operator/user_profiles/${ids[2]}/programs/cyber`, {
    key: operator.api_key, body: { status: 'active', tiers: { b: { status: 'active', requirements: { data_retention: true } } } },
  }));
  await ok(call(server, 'POST', `/v1/operator/user_profiles/${ids[3]}/enforcement_actions`, {
    key: operator.api_key, body: { type: 'restriction', reason: 'fraud_or_abuse', clearable: true, expires_at: '2031-01-01T00:00:00Z' },
  }));
  const secrets = new Map<string, string>();
  for (const n of [1, 2]) {
    const endpoint = await ok(call(server, 'POST', '/v1/organizations/webhooks', {
      key: key.api_key, headers: { 'anthropic-beta': WEBHOOKS_BETA },
      body: { url: `https://hooks.example.com/${n}`, enabled_events: ['user_profile.program_status_updated'] },
    }));
    secrets.set(endpoint.id, endpoint.signing_secret);
  }
  return { key, ids, deleted: ids[1], secrets };
}

const engineList = await engines();

describe('uprof export and import', { concurrency: true }, () => {
  for (const engine of engineList) describeEngine(engine);
});

function describeEngine(engine: Engine) {
  describe(`[${engine.name}]`, { concurrency: false }, () => {
    const key = masterKey();
    const organization = `Transfer ${engine.name} ${randomUUID()}`;
    let source: TestServer;
    let data: Awaited<ReturnType<typeof populate>>;
    let exported: string;
    let dir: string;
    const databases: { url: string; drop(): Promise<void> }[] = [];
    const processes: ServerProcess[] = [];
    const fresh = async () => {
      const db = await engine.createDatabase();
      databases.push(db);
      return db.url;
    };
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'uprof-transfer-'));
      source = await startServer(engine, { UPROF_MASTER_KEY: key });
      data = await populate(source, organization);
    });
    after(async () => {
      await Promise.all(processes.map((p) => p.kill()));
      await source?.close();
      for (const db of databases) await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('exports live profiles, their history and the webhook endpoints, beside the running server', async () => {
      const result = await uprofCli(['export', '--org', organization, '--history'], sourceUrl(source), { UPROF_MASTER_KEY: key });
      assert.equal(result.code, 0, result.stderr);
      exported = result.stdout;
      const lines = exported.trimEnd().split('\n').map((line) => JSON.parse(line));
      assert.equal(lines[0].uprof_export, 1);
      assert.equal(lines[0].organization.name, organization);
      assert.equal(lines[0].signing_secrets, 'sealed');
      const of = (type: string) => lines.filter((l) => l.type === type);
      assert.equal(of('workspace').length, 1);
      assert.deepEqual(of('profile').map((p) => p.id), data.ids.filter((id) => id !== data.deleted).sort());
      assert.ok(of('history').some((h) => h.profile_id === data.ids[0] && h.event === 'profile.updated'));
      assert.ok(!of('history').some((h) => h.profile_id === data.deleted), 'a deleted profile takes its history with it');
      assert.deepEqual(of('webhook_endpoint').map((e) => e.id).sort(), [...data.secrets.keys()].sort());
      for (const e of of('webhook_endpoint')) assert.match(e.signing_secret.sealed, /^v1\./);
      assert.ok(!exported.includes('whsec_'), 'no secret in clear');
      assert.match(result.stderr, /exported 29 profiles/);
    });

    it('import into an empty database, then export: the same bytes; a second import changes nothing', async () => {
      const url = await fresh();
      const input = file('export.ndjson', exported);
      const imported = await uprofCli(['import', input, '--json'], url, { UPROF_MASTER_KEY: key });
      assert.equal(imported.code, 0, imported.stderr);
      const summary = JSON.parse(imported.stdout);
      assert.deepEqual({ ...summary, seconds: 0 }, { organization, workspaces: 1, profiles: 29, history: summary.history, endpoints: 2, seconds: 0 });
      // not a terminal: progress comes as JSON lines on stderr, the last one at the end of the input
      const progress = imported.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).progress);
      assert.ok(progress.length >= 1);
      assert.equal(progress.at(-1).rows, exported.trimEnd().split('\n').length);
      assert.equal(progress.at(-1).bytes, Buffer.byteLength(exported));

      const again = await uprofCli(['export', '--org', organization, '--history'], url, { UPROF_MASTER_KEY: key });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, exported);

      const twice = await uprofCli(['import', input], url, { UPROF_MASTER_KEY: key });
      assert.equal(twice.code, 0, twice.stderr);
      assert.equal((await uprofCli(['export', '--org', organization, '--history'], url, { UPROF_MASTER_KEY: key })).stdout, exported);

      // a server on the imported database answers as the original did, and opens the secrets
      const server = await startServerProcess(url, { UPROF_MASTER_KEY: key });
      processes.push(server);
      const newKey = await uprofCli(['keys', 'create', '--org', organization, '--json'], url);
      assert.equal(newKey.code, 0, newKey.stderr);
      const apiKey = JSON.parse(newKey.stdout).api_key;
      const originalKey = data.key.api_key;
      for (const id of data.ids.filter((i) => i !== data.deleted).slice(0, 6)) {
        const there = await fetch(`${server.baseURL}/v1/user_profiles/${id}`, { headers: { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' } });
        const here = await call(source, 'GET', `/v1/user_profiles/${id}`, { key: originalKey });
        assert.equal(await there.text(), here.text, `profile ${id} reads the same`);
      }
      await server.stop();
    });

    it('a bad line is named by its number, and nothing is imported (even after 29 good profiles)', async () => {
      const lines = exported.trimEnd().split('\n');
      const profileAt = lines.findIndex((l) => l.includes('"type":"profile"'));
      const cases: [string, number, RegExp][] = [];
      const badMetadata = [...lines];
      badMetadata[profileAt] = badMetadata[profileAt].replace('"metadata":{', '"metadata":{"bad":7,');
      cases.push([badMetadata.join('\n'), profileAt + 1, /metadata\.bad must be a string/]);
      const badLast = [...lines, '{"type":"profile","id":"not-an-id"}'];
      cases.push([badLast.join('\n'), badLast.length, /unknown field|missing field|id must be/]);
      const notJson = [...lines.slice(0, 3), '{"type":', ...lines.slice(3)];
      cases.push([notJson.join('\n'), 4, /not JSON/]);
      const unknownType = [...lines, '{"type":"api_key","id":"x"}'];
      cases.push([unknownType.join('\n'), unknownType.length, /unknown type "api_key"/]);
      for (const [text, lineNumber, message] of cases) {
        const url = await fresh();
        const result = await uprofCli(['import', file(`bad-${lineNumber}.ndjson`, text)], url, { UPROF_MASTER_KEY: key });
        assert.equal(result.code, 1, result.stdout);
        assert.match(result.stderr, new RegExp(`line ${lineNumber}: `));
        assert.match(result.stderr, message);
        assert.match(result.stderr, /Nothing was imported/);
        const orgs = await uprofCli(['orgs', 'list', '--json'], url);
        assert.equal(orgs.stdout, '', 'no organization, no profile: nothing half-imported');
      }
    });

    it('sealed secrets need the same master key (the line is named); --reveal-secrets carries them in clear', async () => {
      const other = masterKey();
      const input = file('sealed.ndjson', exported);
      const url = await fresh();
      const refused = await uprofCli(['import', input], url, { UPROF_MASTER_KEY: other });
      assert.equal(refused.code, 1);
      const endpointLine = exported.trimEnd().split('\n').findIndex((l) => l.includes('"type":"webhook_endpoint"')) + 1;
      assert.match(refused.stderr, new RegExp(`line ${endpointLine}: the signing secret of whep_\\S+ does not open with this master key`));
      assert.match(refused.stderr, /--reveal-secrets/);

      const clear = await uprofCli(['export', '--org', organization, '--reveal-secrets'], sourceUrl(source), { UPROF_MASTER_KEY: key });
      assert.equal(clear.code, 0, clear.stderr);
      assert.match(clear.stderr, /IN CLEAR/);
      for (const secret of data.secrets.values()) assert.ok(clear.stdout.includes(secret));
      const imported = await uprofCli(['import', file('clear.ndjson', clear.stdout)], url, { UPROF_MASTER_KEY: other });
      assert.equal(imported.code, 0, imported.stderr);
      const back = await uprofCli(['export', '--org', organization, '--reveal-secrets'], url, { UPROF_MASTER_KEY: other });
      assert.equal(back.stdout, clear.stdout, 'the same secrets, sealed under the other key');
      const sealedThere = await uprofCli(['export', '--org', organization], url, { UPROF_MASTER_KEY: other });
      const box = new SecretBox(Buffer.from(other, 'base64'));
      const endpoints = sealedThere.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'webhook_endpoint');
      for (const e of endpoints) assert.equal(box.open(e.signing_secret.sealed), data.secrets.get(e.id));
    });

    it('refuses an unknown organization and writes no file when asked for one', async () => {
      const result = await uprofCli(['export', '--org', `${organization} (typo)`, '-o', join(dir, 'never.ndjson')], sourceUrl(source));
      assert.equal(result.code, 1);
      assert.match(result.stderr, /no organization named/);
      const written = await uprofCli(['export', '--org', organization, '-o', join(dir, 'out.ndjson')], sourceUrl(source), { UPROF_MASTER_KEY: key });
      assert.equal(written.code, 0, written.stderr);
      assert.equal(written.stdout, '');
      const again = await uprofCli(['export', '--org', organization, '-o', join(dir, 'out.ndjson')], sourceUrl(source), { UPROF_MASTER_KEY: key });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /exists/);
    });

    if (engine.name === 'sqlite') {
      it('refuses to import beside a running SQLite server (its memory would go stale)', async () => {
        const result = await uprofCli(['import', file('beside.ndjson', exported)], sourceUrl(source), { UPROF_MASTER_KEY: key });
        assert.equal(result.code, 1);
        assert.match(result.stderr, /a uprof server is serving sqlite:.*stop it first.*keeps profiles in memory/s);
      });
    }
  });
}

const sourceUrl = (server: TestServer) => server.databaseUrl;
