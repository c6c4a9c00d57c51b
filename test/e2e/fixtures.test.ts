/**
 * `uprof fixtures load` as a user runs it (child processes of bin/uprof.js) and `uprof serve` children on the
 * same database, on every engine: the named fixture `sdk-examples`, idempotence, whole refusals that name the
 * item, full profile state, webhook endpoints with chosen secrets, and how loading meets a running SQLite
 * server (refused, pointing at UPROF_FIXTURES) or a PostgreSQL one (it just works).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import Anthropic0107 from 'sdk0107';
import { randomBase62 } from '../../src/ids.ts';
import { openSql } from '../../src/store/index.ts';
import { engines } from '../support/engines.ts';
import { callProcess, startServerProcess, uprofCli, type ServerProcess } from '../support/processes.ts';
import { assertOk } from './profile-api.ts';
import { Receiver } from './webhook-receiver.ts';

const EXAMPLE_ID = 'uprof_011CZkZCu8hGbp5mYRQgUmz9';
const SDK_KEY = 'my-anthropic-api-key';
/** contract §5.1: the OAS example of a 2026-03-24 profile, exactly */
const OAS_EXAMPLE = {
  id: EXAMPLE_ID, type: 'user_profile', external_id: 'user_12345', name: 'Example User', relationship: 'external',
  trust_grants: { cyber: { status: 'active' } }, metadata: {}, created_at: '2026-03-15T10:00:00Z', updated_at: '2026-03-15T10:00:00Z',
};
const TABLES = [
  'organizations', 'workspaces', 'api_keys', 'user_profiles', 'profile_history', 'url_tokens', 'webhook_endpoints',
  'webhook_events', 'webhook_deliveries', 'fixture_sources',
];

/** Every row of every table a fixture may touch, in a stable order: equal dumps, equal databases. */
async function dump(databaseUrl: string): Promise<Record<string, string[]>> {
  const sql = openSql({ databaseUrl });
  try {
    const out: Record<string, string[]> = {};
    for (const table of TABLES) out[table] = (await sql.all<object>(`SELECT * FROM ${table}`)).map((row) => JSON.stringify(row)).sort();
    return out;
  } finally {
    await sql.close();
  }
}

function fixtureFile(document: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'uprof-fixture-')), 'fixture.json');
  writeFileSync(file, JSON.stringify(document, null, 2));
  return file;
}

const newProfileId = () => `uprof_01${randomBase62(22)}`;
const newSecret = (role = 'platform') => `sk-test-${role}-${randomBase62(24)}`;

for (const engine of await engines()) {
  describe(`uprof fixtures load [${engine.name}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    /** the same master key for every command and server on this database (webhook secrets are sealed with it) */
    const env = { UPROF_MASTER_KEY: randomBytes(32).toString('base64') };
    const servers: ServerProcess[] = [];
    const load = (nameOrFile: string, extra: string[] = ['--json']) => uprofCli(['fixtures', 'load', nameOrFile, ...extra], database.url, env);
    const serve = async (extra: Record<string, string> = {}) => {
      const server = await startServerProcess(database.url, { ...env, ...extra });
      servers.push(server);
      return server;
    };
    /** a SQLite file takes one server, and nothing writes profiles beside it: stop what runs before loading */
    const stopAll = async () => {
      await Promise.all(servers.splice(0).map((s) => s.stop()));
    };
    const reports = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line));

    before(async () => {
      database = await engine.createDatabase();
      // a database made by `migrate`, before any fixture: loading creates what it names
      const migrated = await uprofCli(['migrate'], database.url, env);
      assert.equal(migrated.code, 0, migrated.stderr);
    });
    after(async () => {
      await stopAll();
      await database.drop();
    });

    it('loads sdk-examples: the SDK suites\' key and the documented example profile, as documented', async () => {
      const first = await load('sdk-examples');
      assert.equal(first.code, 0, first.stderr);
      const [report] = reports(first.stdout);
      assert.equal(report.fixture, 'sdk-examples');
      assert.equal(report.name, 'SDK examples');
      assert.equal(report.created, true);
      assert.deepEqual(report.keys, { created: 3, updated: 0, unchanged: 0 });
      assert.deepEqual(report.profiles, { created: 1, updated: 0, unchanged: 0 });

      const server = await serve();
      const old = new Anthropic0107({ apiKey: SDK_KEY, baseURL: server.baseURL, maxRetries: 0 });
      assert.deepEqual(await old.beta.userProfiles.retrieve(EXAMPLE_ID), OAS_EXAMPLE, 'the OAS example, byte for byte');
      const client = new Anthropic({ apiKey: SDK_KEY, baseURL: server.baseURL, maxRetries: 0 });
      const ga = await client.userProfiles.retrieve(EXAMPLE_ID);
      assert.equal(ga.access_type, 'application');
      assert.equal(ga.external_user_details.reference_id, 'user_12345');
      assert.equal(ga.programs.cyber?.status, 'active');
      const { response } = await client.userProfiles.list().withResponse();
      assert.equal(response.headers.get('anthropic-workspace-id'), 'wrkspc_011CZkZaBF1tNoB5wlCeusgy', 'the documented example workspace');
      await stopAll();
    });

    it('changes nothing when loaded again', async () => {
      const before = await dump(database.url);
      const again = await load('sdk-examples');
      assert.equal(again.code, 0, again.stderr);
      const [report] = reports(again.stdout);
      assert.equal(report.created, false);
      for (const kind of ['workspaces', 'keys', 'profiles', 'webhooks']) assert.equal(report[kind].created + report[kind].updated, 0, kind);
      assert.deepEqual(await dump(database.url), before);
    });

    it('refuses a bad fixture whole, naming the item, and loads nothing of it', async () => {
      const before = await dump(database.url);
      const id = newProfileId();
      const file = fixtureFile({
        organizations: [
          { name: `good-${randomUUID()}`, keys: [{ secret: newSecret() }], profiles: [{ id: newProfileId() }] },
          { name: 'bad', profiles: [{ id: newProfileId() }, { id, metadata: { plan: 'x'.repeat(513) } }] },
        ],
      });
      const result = await load(file);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`organizations\\[1\\] "bad" › profiles\\[1\\] "${id}": metadata.plan: must be at most 512 characters`));
      assert.deepEqual(await dump(database.url), before, 'nothing was written');
    });

    it('refuses, whole, a fixture that conflicts with the database: another organization\'s key secret or profile id', async () => {
      const before = await dump(database.url);
      const stolenKey = fixtureFile({
        organizations: [
          { name: `fresh-${randomUUID()}`, profiles: [{ id: newProfileId() }] },
          { name: `thief-${randomUUID()}`, keys: [{ secret: SDK_KEY }] },
        ],
      });
      const keyed = await load(stolenKey);
      assert.equal(keyed.code, 1);
      assert.match(keyed.stderr, /organizations\[1\] "thief-.*" › keys\[0\]: this secret is already a key of another organization/);
      const stolenProfile = fixtureFile({ organizations: [{ name: `thief-${randomUUID()}`, profiles: [{ id: EXAMPLE_ID }] }] });
      const profiled = await load(stolenProfile);
      assert.equal(profiled.code, 1);
      assert.match(profiled.stderr, /profiles\[0\] "uprof_011CZkZCu8hGbp5mYRQgUmz9": this id is a profile of another organization/);
      const reassigned = fixtureFile({ organizations: [{ name: 'SDK examples', keys: [{ secret: SDK_KEY, role: 'operator' }] }] });
      const roled = await load(reassigned);
      assert.equal(roled.code, 1);
      assert.match(roled.stderr, /keys\[0\]: this secret is already the key apikey_\w+ \(platform, organization-wide\)/);
      assert.deepEqual(await dump(database.url), before, 'nothing was written');
    });

    it('makes a revoked key whose secret it names live again', async () => {
      const listed = await uprofCli(['keys', 'list', '--org', 'SDK examples', '--json'], database.url, env);
      const platformKey = reports(listed.stdout).find((k) => k.role === 'platform' && k.hint === '…-key');
      assert.ok(platformKey, listed.stdout);
      assert.equal((await uprofCli(['keys', 'revoke', platformKey.id], database.url, env)).code, 0);
      const reloaded = await load('sdk-examples');
      assert.equal(reloaded.code, 0, reloaded.stderr);
      assert.deepEqual(reports(reloaded.stdout)[0].keys, { created: 0, updated: 1, unchanged: 2 });
      const server = await serve();
      const client = new Anthropic({ apiKey: SDK_KEY, baseURL: server.baseURL, maxRetries: 0 });
      assert.equal((await client.userProfiles.retrieve(EXAMPLE_ID)).name, 'Example User');
      await stopAll();
    });

    it('loads full state: details, metadata, programs, enforcement, timestamps, and endpoints whose chosen secret signs deliveries', async () => {
      const receiver = await Receiver.start();
      try {
        const name = `full-${randomUUID()}`;
        const platform = newSecret();
        const operator = newSecret('operator');
        const id = newProfileId();
        const ban = `enac_01${randomBase62(22)}`;
        const restriction = `enac_01${randomBase62(22)}`;
        const signingSecret = `whsec_${randomBytes(32).toString('base64')}`;
        const endpointId = `whep_01${randomBase62(22)}`;
        const { path, url } = receiver.newPath();
        receiver.useSecret(path, signingSecret);
        const file = fixtureFile({
          organizations: [{
            name,
            workspaces: [{ name: 'Staging', id: `wrkspc_01${randomBase62(22)}` }],
            keys: [{ secret: platform }, { secret: operator, role: 'operator' }, { secret: newSecret(), workspace: 'Staging' }],
            profiles: [{
              id, name: 'Acme GmbH', access_type: 'passthrough',
              external_user_details: { country: 'DE', entity_type: 'business', account_status: 'active', onboarded_at: '2025-01-01T00:00:00Z', reference_id: 'acme' },
              metadata: { plan: 'enterprise', region: 'eu' },
              programs: {
                cyber: { status: 'active', tiers: { b: { status: 'active', requirements: { data_retention: true }, waivers: { data_retention: true } } } },
                efs: { status: 'active', features: { cmek: 'active' } },
              },
              enforcement_actions: [
                { id: ban, type: 'ban', reason: 'high_harm', opened_at: '2026-02-01T00:00:00Z' },
                { id: restriction, type: 'restriction', reason: 'unsupported_region', clearable: true, identity_check: 'submitted', opened_at: '2026-02-02T00:00:00Z', expires_at: '2099-01-01T00:00:00Z' },
              ],
              created_at: '2026-01-01T00:00:00Z', updated_at: '2026-02-02T00:00:00Z',
            }],
            webhooks: [{ id: endpointId, url, name: 'mirror', enabled_events: ['user_profile.enforcement_action_resolved'], signing_secret: signingSecret }],
          }],
        });
        const loaded = await load(file);
        assert.equal(loaded.code, 0, loaded.stderr);
        const server = await serve();
        const client = new Anthropic({ apiKey: platform, baseURL: server.baseURL, maxRetries: 0 });
        assert.deepEqual(await client.userProfiles.retrieve(id), {
          id, type: 'user_profile', name: 'Acme GmbH', access_type: 'passthrough',
          external_user_details: {
            account_status: 'active', country: 'DE', email_hash: null, entity_type: 'business', name_hash: null,
            onboarded_at: '2025-01-01T00:00:00Z', reference_id: 'acme',
          },
          metadata: { plan: 'enterprise', region: 'eu' },
          programs: {
            cyber: {
              status: 'active', tiers: { a: { status: 'inactive' }, b: { status: 'active' }, c: { status: 'inactive' } },
              requirements: { data_retention: false, human_review: false },
            },
            efs: { status: 'active', features: { data_retention_exemption: { status: 'inactive' }, cmek: { status: 'active' }, storage: { status: 'inactive' } } },
          },
          enforcement_status: 'banned',
          enforcement_actions: [
            { id: ban, type: 'ban', reason: 'high_harm', action: null, opened_at: '2026-02-01T00:00:00Z', expires_at: null },
            { id: restriction, type: 'restriction', reason: 'unsupported_region', action: null, opened_at: '2026-02-02T00:00:00Z', expires_at: '2099-01-01T00:00:00Z' },
          ],
          created_at: '2026-01-01T00:00:00Z', updated_at: '2026-02-02T00:00:00Z',
        });
        const queue = assertOk(await callProcess(server, 'GET', '/v1/operator/review_queue', { key: operator })).data;
        assert.deepEqual(queue.map((q: any) => q.items), [[`identity_check:${restriction}`]], 'the identity check awaits the provider');

        // the endpoint signs with the chosen secret: resolving the ban delivers an event the receiver verifies with it
        assertOk(await callProcess(server, 'POST', `/v1/operator/user_profiles/${id}/enforcement_actions/${ban}/resolve`, { key: operator }));
        const [delivery] = await receiver.waitFor(path, 1, 20_000);
        assert.ok(delivery.verified.ok, JSON.stringify(delivery.verified));
        assert.equal((delivery.verified as { event: any }).event.data.enforcement_action_id, ban);

        // a changed item goes back to the fixture's state when the fixture is loaded again, recorded in its history
        await client.userProfiles.update(id, { name: 'Renamed', metadata: { plan: '' } });
        if (engine.name === 'sqlite') await stopAll();
        const reloaded = await load(file);
        assert.equal(reloaded.code, 0, reloaded.stderr);
        assert.deepEqual(reports(reloaded.stdout)[0].profiles, { created: 0, updated: 1, unchanged: 0 });
        const now = engine.name === 'sqlite' ? await serve() : server;
        const again = new Anthropic({ apiKey: platform, baseURL: now.baseURL, maxRetries: 0 });
        const restored = await again.userProfiles.retrieve(id);
        assert.equal(restored.name, 'Acme GmbH');
        assert.deepEqual(restored.metadata, { plan: 'enterprise', region: 'eu' });
        assert.equal(restored.enforcement_status, 'banned', 'the resolved ban is back');
        const history = assertOk(await callProcess(now, 'GET', `/v1/operator/user_profiles/${id}/history`, { key: operator })).data;
        assert.deepEqual(history[0].actor, { type: 'system', id: `fixture:${file}` });
        await stopAll();
      } finally {
        await receiver.close();
      }
    });

    if (engine.name === 'sqlite') {
      it('is refused beside a running SQLite server, which loads fixtures itself with UPROF_FIXTURES', async () => {
        const file = fixtureFile({ organizations: [{ name: `at-start-${randomUUID()}`, keys: [{ secret: newSecret() }], profiles: [{ id: newProfileId() }] }] });
        const server = await serve();
        const before = await dump(database.url);
        const refused = await load(file);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /a uprof server is serving sqlite:.*keeps profiles in memory.*nothing was written.*UPROF_FIXTURES=/s);
        assert.deepEqual(await dump(database.url), before);
        await server.stop();
        const platform = newSecret();
        const id = newProfileId();
        const atStart = fixtureFile({ organizations: [{ name: `at-start-${randomUUID()}`, keys: [{ secret: platform }], profiles: [{ id, name: 'Loaded at start' }] }] });
        const started = await serve({ UPROF_FIXTURES: `sdk-examples,${atStart}` });
        const client = new Anthropic({ apiKey: platform, baseURL: started.baseURL, maxRetries: 0 });
        assert.equal((await client.userProfiles.retrieve(id)).name, 'Loaded at start');
        await stopAll();
      });
    } else {
      it('loads beside running PostgreSQL servers, which see it at once', async () => {
        const server = await serve();
        const platform = newSecret();
        const id = newProfileId();
        const file = fixtureFile({ organizations: [{ name: `beside-${randomUUID()}`, keys: [{ secret: platform }], profiles: [{ id, name: 'Beside' }] }] });
        const client = new Anthropic({ apiKey: platform, baseURL: server.baseURL, maxRetries: 0 });
        const result = await load(file);
        assert.equal(result.code, 0, result.stderr);
        assert.equal((await client.userProfiles.retrieve(id)).name, 'Beside');
        await stopAll();
      });
    }
  });
}
