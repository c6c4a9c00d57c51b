/**
 * The emulator across processes: `uprof emulator …` commands (child processes of bin/uprof.js) beside
 * `uprof serve` children, on every engine, and — on PostgreSQL, where several servers share a database — two
 * servers that agree on an organization's clock and count its forced faults together.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { engines } from '../support/engines.ts';
import { callProcess, mintKeyWithCli, startServerProcess, uprofCli, type ServerProcess } from '../support/processes.ts';
import { assertApiError, assertOk } from './profile-api.ts';

const HOUR = 3600_000;
const near = (actual: string, expected: number, what: string) =>
  assert.ok(Math.abs(Date.parse(actual) - expected) < 10_000, `${what}: ${actual} is not near ${new Date(expected).toISOString()}`);

for (const engine of await engines()) {
  describe(`uprof emulator commands [${engine.name}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    const env = { UPROF_EMULATOR: '1', UPROF_MASTER_KEY: randomBytes(32).toString('base64') };
    const servers: ServerProcess[] = [];
    const emulator = (args: string[], extra: Record<string, string> = env) => uprofCli(['emulator', ...args], database.url, extra);
    const json = (stdout: string) => stdout.trim().split('\n').filter((l) => l !== '').map((line) => JSON.parse(line));

    before(async () => {
      database = await engine.createDatabase();
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await database.drop();
    });

    it('refuses without UPROF_EMULATOR, and names an unknown organization', async () => {
      const org = `cli-${randomUUID()}`;
      await mintKeyWithCli(database.url, org);
      const without = await emulator(['faults', '--org', org], { UPROF_MASTER_KEY: env.UPROF_MASTER_KEY });
      assert.equal(without.code, 1);
      assert.match(without.stderr, /the emulator controls exist only with UPROF_EMULATOR=1/);
      const unknown = await emulator(['clock', '--org', `nobody-${randomUUID()}`]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no organization named/);
    });

    it('moves a clock, arms, lists and clears faults, and resets, as the running server sees it', async () => {
      const org = `cli-${randomUUID()}`;
      const key = await mintKeyWithCli(database.url, org);
      const server = await startServerProcess(database.url, env);
      servers.push(server);
      const client = new Anthropic({ apiKey: key.api_key, baseURL: server.baseURL, maxRetries: 0 });
      const profile = await client.userProfiles.create({ name: 'Before' });

      const advanced = await emulator(['clock', '--org', org, '--advance', '3600', '--json']);
      assert.equal(advanced.code, 0, advanced.stderr);
      assert.equal(json(advanced.stdout)[0].offset_ms, HOUR);
      near((await client.userProfiles.create({})).created_at, Date.now() + HOUR, 'the server writes on the moved clock');
      const refusedAdvance = await emulator(['clock', '--org', org, '--advance', '0']);
      assert.equal(refusedAdvance.code, 1);
      assert.match(refusedAdvance.stderr, /seconds: must be more than 0/);

      const armed = await emulator(['fault', '--org', org, '--status', '529', '--route', 'GET /v1/user_profiles/{user_profile_id}', '--count', '2', '--json']);
      assert.equal(armed.code, 0, armed.stderr);
      assert.deepEqual(json(armed.stdout), [{ route: 'GET /v1/user_profiles/{user_profile_id}', status: 529, remaining: 2, retry_after: null }]);
      const refusedFault = await emulator(['fault', '--org', org, '--status', '418']);
      assert.equal(refusedFault.code, 1);
      assert.match(refusedFault.stderr, /status: must be one of 429, 500, 503, 529/);
      assertApiError(await callProcess(server, 'GET', `/v1/user_profiles/${profile.id}`, { key: key.api_key }), 529, 'overloaded_error');
      const listed = await emulator(['faults', '--org', org, '--json']);
      assert.deepEqual(json(listed.stdout).map((f) => f.remaining), [1]);
      const cleared = await emulator(['faults', '--org', org, '--clear', '--json']);
      assert.deepEqual(json(cleared.stdout), [{ type: 'emulator_faults_cleared', cleared: 1 }]);
      assertOk(await callProcess(server, 'GET', `/v1/user_profiles/${profile.id}`, { key: key.api_key }));

      if (engine.name === 'sqlite') {
        // the server keeps profiles in memory: the CLI does not reset beside it, and says how to
        const refused = await emulator(['reset', '--org', org]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /keeps profiles in memory.*POST \/v1\/operator\/emulator\/reset/s);
        assert.equal((await client.userProfiles.retrieve(profile.id)).name, 'Before');
        await server.stop();
        servers.splice(servers.indexOf(server), 1);
      }
      const reset = await emulator(['reset', '--org', org, '--json']);
      assert.equal(reset.code, 0, reset.stderr);
      assert.deepEqual(json(reset.stdout), [{ type: 'emulator_reset', organization_id: key.organization_id, restored_fixture: null }]);
      const after = engine.name === 'sqlite' ? await startServerProcess(database.url, env) : server;
      if (after !== server) servers.push(after);
      const again = new Anthropic({ apiKey: key.api_key, baseURL: after.baseURL, maxRetries: 0 });
      await assert.rejects(again.userProfiles.retrieve(profile.id), Anthropic.NotFoundError);
      near((await again.userProfiles.create({})).created_at, Date.now(), 'the clock is back on the real time');
    });

    if (engine.name === 'postgres') {
      it('two servers on one database agree on the clock and count faults together', async () => {
        const org = `shared-${randomUUID()}`;
        const key = await mintKeyWithCli(database.url, org);
        const operator = JSON.parse((await uprofCli(['keys', 'create', '--org', org, '--operator', '--json'], database.url)).stdout);
        const [a, b] = await Promise.all([startServerProcess(database.url, env), startServerProcess(database.url, env)]);
        servers.push(a, b);
        assertOk(await callProcess(a, 'POST', '/v1/operator/emulator/clock/advance', { key: operator.api_key, body: { seconds: 7200 } }));
        const onB = new Anthropic({ apiKey: key.api_key, baseURL: b.baseURL, maxRetries: 0 });
        near((await onB.userProfiles.create({})).created_at, Date.now() + 2 * HOUR, 'B answers on the clock A moved');

        assertOk(await callProcess(b, 'POST', '/v1/operator/emulator/faults', { key: operator.api_key, body: { route: 'GET /v1/user_profiles', status: 503, count: 4 } }));
        const statuses: number[] = [];
        for (let i = 0; i < 10; i++) statuses.push((await callProcess(i % 2 ? a : b, 'GET', '/v1/user_profiles', { key: key.api_key })).status);
        assert.deepEqual(statuses, [503, 503, 503, 503, 200, 200, 200, 200, 200, 200], 'four answers armed, four given, whichever process took them');
        // at once from both: still exactly the armed number
        assertOk(await callProcess(a, 'POST', '/v1/operator/emulator/faults', { key: operator.api_key, body: { route: '*', status: 429, count: 5, retry_after: 0 } }));
        const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => callProcess(i % 2 ? a : b, 'GET', '/v1/user_profiles', { key: key.api_key })));
        assert.equal(burst.filter((r) => r.status === 429).length, 5);
        assert.equal(burst.filter((r) => r.status === 200).length, 15);
      });
    }
  });
}
