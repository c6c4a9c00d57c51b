import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { UserProfile } from '@anthropic-ai/sdk/resources/user-profiles';
import { mintKey, type MintedKey } from '../../src/keys.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { engines, POSTGRES_URL } from '../support/engines.ts';
import {
  callProcess, describeOutcome, mintKeyWithCli, outcome, range, sdkFor, startServerProcess, uprofCli,
  type Outcome, type ServerProcess,
} from '../support/processes.ts';

/**
 * Issue 3: several stateless uprof processes on one PostgreSQL database lose nothing. Every test runs
 * three real `uprof serve` processes and pins clients to them.
 */

const postgres = (await engines()).find((engine) => engine.name === 'postgres');
const SKIPPED = postgres
  ? null
  : `PostgreSQL is not reachable at ${POSTGRES_URL} (or UPROF_TEST_ENGINES=sqlite): several processes need a shared database server`;
if (SKIPPED) console.log(`multiprocess tests SKIPPED: ${SKIPPED}`);

const KEY_CACHE_TTL_MS = 1000;
const SHARED = 10;
const CLIENTS = 60;
const WRITES_PER_CLIENT = 3;

const isNotFound = (r: Outcome<unknown>) => !r.ok && r.status === 404 && r.type === 'not_found_error';
const isInvalid = (r: Outcome<unknown>) => !r.ok && r.status === 400 && r.type === 'invalid_request_error';

describe('several uprof processes on one PostgreSQL database', () => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  let tablesBefore = -1;
  let started: PromiseSettledResult<ServerProcess>[] = [];
  let procs: ServerProcess[] = [];
  let store: Store | undefined;
  let organizations = 0;

  before(async () => {
    if (!postgres) return;
    database = await postgres.createDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    tablesBefore = Number((await client.query(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()`)).rows[0].n);
    await client.end();
    // all three at once, on a schema nobody has migrated
    started = await Promise.allSettled(range(3).map(() => startServerProcess(database!.url, { KEY_CACHE_TTL_MS: String(KEY_CACHE_TTL_MS) })));
    procs = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    store = await openStore({ databaseUrl: database.url }); // only now: the servers did the migrating
  });

  after(async () => {
    await Promise.all(procs.map((proc) => proc.stop()));
    await store?.close();
    await database?.drop();
  });

  /** false (and the test skipped) without PostgreSQL; throws when the three processes did not all start */
  function ready(t: TestContext): boolean {
    if (SKIPPED) {
      t.skip(SKIPPED);
      return false;
    }
    const failures = started.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
    assert.deepEqual(failures, [], 'every process started');
    return true;
  }

  const newKey = (): Promise<MintedKey> =>
    mintKey(store!, { organization: `multiprocess-${process.pid}-${++organizations}-${Date.now()}`, createOrganization: true, role: 'platform' });

  /** every profile of the key's organization, one SDK page after another, page n from process n % 3 */
  async function walkAlternating(apiKey: string, params: { order: 'asc' | 'desc'; order_by: 'created_at' | 'name'; limit: number }, pause = 0) {
    const seen: UserProfile[] = [];
    let page: string | null = null;
    for (let n = 0; n < 500; n++) {
      const result = await sdkFor(procs[n % procs.length], apiKey).userProfiles.list({ ...params, ...(page ? { page } : {}) });
      seen.push(...result.data);
      page = result.next_page;
      if (page === null) return { seen, pages: n + 1 };
      if (pause) await sleep(pause);
    }
    throw new Error('the list walk did not end within 500 pages');
  }

  it('three processes started at once on an unmigrated schema all serve; each migration ran exactly once', async (t) => {
    if (!ready(t)) return;
    assert.equal(tablesBefore, 0, 'the schema was empty before the processes started');
    const applied = await store!.sql.all<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    assert.deepEqual(applied.map((row) => row.id), MIGRATIONS.map((migration) => migration.id).sort());
    // one database behind all three: written through one, read through each of the others
    const key = await newKey();
    const created = await sdkFor(procs[0], key.api_key).userProfiles.create({ name: 'seen everywhere', metadata: { a: '1' } });
    for (const proc of procs) assert.deepEqual(await sdkFor(proc, key.api_key).userProfiles.retrieve(created.id), created);
  });

  it(`${CLIENTS} concurrent clients across the processes: every acknowledged metadata key is kept, nothing lost or duplicated, the cap holds`, async (t) => {
    if (!ready(t)) return;
    const key = await newKey();
    const client = (i: number) => sdkFor(procs[i % procs.length], key.api_key);
    const shared = await Promise.all(range(SHARED).map((p) => client(p).userProfiles.create({ name: `shared-${p}` })));
    const doomed = await Promise.all(range(SHARED).map((p) => client(p).userProfiles.create({ name: `doomed-${p}`, metadata: { doomed: 'yes' } })));

    // per shared profile: what was acknowledged and what was refused
    const acked = shared.map(() => new Map<string, string>());
    const refused = shared.map(() => new Set<string>());
    const ackedNames = shared.map(() => new Set<string | null>());
    const unexpected: string[] = [];

    await Promise.all(
      range(CLIENTS).map(async (i) => {
        const sdk = client(i);
        for (let j = 0; j < WRITES_PER_CLIENT; j++) {
          // 180 writes of distinct keys spread evenly: 18 per profile, 2 more than fit
          const p = (i * WRITES_PER_CLIENT + j) % SHARED;
          const [k, v] = [`k_${i}_${j}`, `v_${i}_${j}_${'·'.repeat(i)}`];
          const name = j === 0 ? `name-${i}` : undefined;
          const result = await outcome(sdk.userProfiles.update(shared[p].id, { metadata: { [k]: v }, ...(name ? { name } : {}) }));
          if (result.ok) {
            acked[p].set(k, v);
            if (name) ackedNames[p].add(name);
            if (result.value.metadata[k] !== v || Object.keys(result.value.metadata).length > 16) unexpected.push(`client ${i}: bad answer ${JSON.stringify(result.value.metadata)}`);
          } else if (isInvalid(result)) refused[p].add(k);
          else unexpected.push(`client ${i} update ${k}: ${describeOutcome(result)}`);
        }
        if (i < SHARED) {
          const result = await outcome(sdk.userProfiles.delete(doomed[i].id));
          if (!result.ok) unexpected.push(`client ${i} delete: ${describeOutcome(result)}`);
        } else if (i < 3 * SHARED) {
          // racing the delete of the same profile from another process: either it was still there, or it is gone
          const result = await outcome(sdk.userProfiles.update(doomed[i % SHARED].id, { metadata: { [`late_${i}`]: 'x' } }));
          if (!result.ok && !isNotFound(result)) unexpected.push(`client ${i} late update: ${describeOutcome(result)}`);
        }
      }),
    );
    assert.deepEqual(unexpected, []);

    await Promise.all(shared.map(async (profile, p) => {
      // 18 distinct keys tried: exactly 16 fit, the other two were refused
      assert.equal(acked[p].size, 16, `profile ${p}: 16 writes acknowledged`);
      assert.equal(refused[p].size, 2, `profile ${p}: 2 writes refused`);
      const expected = Object.fromEntries(acked[p]);
      const views = await Promise.all(procs.map((proc) => sdkFor(proc, key.api_key).userProfiles.retrieve(profile.id)));
      for (const view of views) assert.deepEqual(view, views[0], 'every process answers the same');
      assert.deepEqual(views[0].metadata, expected, `profile ${p}: exactly the acknowledged keys, with their values`);
      for (const k of refused[p]) assert.ok(!(k in views[0].metadata), `refused key ${k} is absent`);
      // the name is the one of an acknowledged update (a refused update changed no name either)
      const names = ackedNames[p].size ? ackedNames[p] : new Set([profile.name]);
      assert.ok(names.has(views[0].name), `profile ${p}: name ${views[0].name} was acknowledged`);
      // no key twice in the body as sent on the wire
      const raw = await callProcess(procs[p % procs.length], 'GET', `/v1/user_profiles/${profile.id}`, { key: key.api_key });
      for (const k of acked[p].keys()) assert.equal(raw.text.split(`"${k}":`).length - 1, 1, `key ${k} appears once`);
    }));

    await Promise.all(doomed.flatMap((profile) => procs.map(async (proc) => {
      const sdk = sdkFor(proc, key.api_key);
      assert.ok(isNotFound(await outcome(sdk.userProfiles.retrieve(profile.id))), `deleted ${profile.id} is 404 on ${proc.baseURL}`);
      assert.ok(isNotFound(await outcome(sdk.userProfiles.update(profile.id, { name: 'back' }))), 'and cannot be updated');
    })));
    const { seen } = await walkAlternating(key.api_key, { order: 'desc', order_by: 'created_at', limit: 7 });
    assert.deepEqual(seen.map((p) => p.id).sort(), shared.map((p) => p.id).sort(), 'the list holds the shared profiles once each, no deleted one');
    for (const proc of procs) assert.ok(proc.running, 'no process died');
  });

  it('the 16-key cap under races: two processes each add 2 keys to a 14-key profile; exactly one wins, wholly', async (t) => {
    if (!ready(t)) return;
    const key = await newKey();
    for (let round = 0; round < 20; round++) {
      const [a, b, c] = range(3).map((n) => sdkFor(procs[(round + n) % 3], key.api_key));
      const base = Object.fromEntries(range(14).map((n) => [`base_${n}`, `${round}-${n}`]));
      const profile = await c.userProfiles.create({ name: `race-${round}`, metadata: base });
      const adds = [{ [`a1_${round}`]: 'a', [`a2_${round}`]: 'a' }, { [`b1_${round}`]: 'b', [`b2_${round}`]: 'b' }];
      const results = await Promise.all([
        outcome(a.userProfiles.update(profile.id, { metadata: adds[0] })),
        outcome(b.userProfiles.update(profile.id, { metadata: adds[1] })),
      ]);
      const winners = results.flatMap((result, n) => (result.ok ? [n] : []));
      assert.equal(winners.length, 1, `round ${round}: exactly one 200 (got ${results.map(describeOutcome).join(' / ')})`);
      const loser = results[1 - winners[0]];
      assert.ok(isInvalid(loser), `round ${round}: the other is 400 invalid_request_error (got ${describeOutcome(loser)})`);
      const stored = await c.userProfiles.retrieve(profile.id);
      assert.deepEqual(stored.metadata, { ...base, ...adds[winners[0]] }, `round ${round}: the winner's keys, none of the loser's`);
      assert.equal(Object.keys(stored.metadata).length, 16);
      assert.deepEqual(stored, (results[winners[0]] as { value: UserProfile }).value, 'stored exactly as the winner was told');
    }
  });

  it('a list walk alternating processes page by page, while others create and delete: no duplicates, nothing skipped', async (t) => {
    if (!ready(t)) return;
    const key = await newKey();
    const sdk = (n: number) => sdkFor(procs[n % 3], key.api_key);
    const create = (name: string, n: number) => sdk(n).userProfiles.create({ name });
    const stable = await Promise.all(range(30).map((n) => create(`stable-${String(n).padStart(2, '0')}`, n)));
    const goners = await Promise.all(range(12).map((n) => create(`goner-${n}`, n)));
    const goneBefore = await Promise.all(range(4).map((n) => create(`gone-before-${n}`, n)));
    for (const [n, profile] of goneBefore.entries()) await sdk(n).userProfiles.delete(profile.id);

    for (const order_by of ['created_at', 'name'] as const) {
      let walking = true;
      const churnErrors: string[] = [];
      const toDelete = [...goners.splice(0, 6)];
      const churn = (async () => {
        for (let n = 0; walking && n < 200; n++) {
          const result = n % 2 === 0 && toDelete.length
            ? await outcome(sdk(n).userProfiles.delete(toDelete.shift()!.id))
            : await outcome(create(`churn-${order_by}-${n}`, n));
          if (!result.ok) churnErrors.push(describeOutcome(result));
          await sleep(5);
        }
      })();
      const { seen, pages } = await walkAlternating(key.api_key, { order: 'asc', order_by, limit: 4 }, 15);
      walking = false;
      await churn;
      assert.deepEqual(churnErrors, []);
      assert.ok(pages >= 9, `a walk of several pages (${pages})`);
      const ids = seen.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${order_by}: no profile twice`);
      for (const profile of stable) assert.ok(ids.includes(profile.id), `${order_by}: ${profile.name} was not skipped`);
      for (const profile of goneBefore) assert.ok(!ids.includes(profile.id), `${order_by}: ${profile.name} (deleted before the walk) absent`);
      // and in order, across page boundaries served by different processes
      const sortKey = (p: UserProfile) => (order_by === 'name' ? p.name! : Date.parse(p.created_at));
      for (let n = 1; n < seen.length; n++) {
        const [x, y] = [seen[n - 1], seen[n]];
        assert.ok(sortKey(x) < sortKey(y) || (sortKey(x) === sortKey(y) && x.id < y.id), `${order_by}: ${x.name} before ${y.name}`);
      }
    }
  });

  it(`a key revoked with the CLI stops working on every process within KEY_CACHE_TTL_MS (${KEY_CACHE_TTL_MS} ms)`, async (t) => {
    if (!ready(t)) return;
    const doomedKey = await mintKeyWithCli(database!.url, `revoked-${process.pid}-${Date.now()}`);
    const otherKey = await newKey();
    const status = async (proc: ServerProcess, apiKey: string) => (await callProcess(proc, 'GET', '/v1/user_profiles?limit=1', { key: apiKey })).status;
    // every process has checked (and so cached) the key
    for (const proc of procs) assert.equal(await status(proc, doomedKey.api_key), 200, `the CLI's key works on ${proc.baseURL}`);

    const revoke = await uprofCli(['keys', 'revoke', doomedKey.key_id], database!.url, { KEY_CACHE_TTL_MS: String(KEY_CACHE_TTL_MS) });
    const revokedBy = Date.now(); // the revocation committed before the CLI exited
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, new RegExp(`revoked ${doomedKey.key_id}`));

    const limit = KEY_CACHE_TTL_MS + 500; // the TTL, plus slack for the request itself
    const waited = await Promise.all(
      procs.map(async (proc) => {
        for (;;) {
          const res = await callProcess(proc, 'GET', '/v1/user_profiles?limit=1', { key: doomedKey.api_key });
          if (res.status === 401) {
            assert.equal(res.json?.error?.type, 'authentication_error', res.text);
            assert.equal(res.headers.get('request-id'), res.json.request_id);
            return Date.now() - revokedBy;
          }
          assert.equal(res.status, 200, res.text);
          assert.ok(Date.now() - revokedBy < limit, `${proc.baseURL} still accepts the revoked key after ${Date.now() - revokedBy} ms`);
          await sleep(50);
        }
      }),
    );
    assert.ok(Math.max(...waited) <= limit, `every process refused within ${limit} ms (took ${waited.join(', ')} ms)`);
    for (const proc of procs) {
      assert.equal(await status(proc, doomedKey.api_key), 401, 'and keeps refusing it');
      assert.equal(await status(proc, otherKey.api_key), 200, 'other keys are untouched');
    }
  });
});
