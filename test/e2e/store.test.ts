import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Actor } from '../../src/domain/history.ts';
import { newProfile, updatedProfile } from '../../src/domain/profile.ts';
import { isWellFormedId, newId } from '../../src/ids.ts';
import { describeEachEngine } from '../support/suite.ts';

/** The SQL seam's read shapes, on every engine (the list's one-column key scan uses `values`). */
describeEachEngine('store SQL reads', (server) => {
  it('rows gives each row as an array, values its first column only, both in query order', async () => {
    const { sql } = server().store;
    const query = "SELECT key, 'x' FROM settings WHERE key IN (?, ?) ORDER BY key";
    await sql.batch([
      { sql: "INSERT INTO settings (key, value) VALUES (?, 'a') ON CONFLICT (key) DO NOTHING", params: ['test_values_b'] },
      { sql: "INSERT INTO settings (key, value) VALUES (?, 'b') ON CONFLICT (key) DO NOTHING", params: ['test_values_a'] },
    ]);
    assert.deepEqual(await sql.rows(query, ['test_values_b', 'test_values_a']), [['test_values_a', 'x'], ['test_values_b', 'x']]);
    assert.deepEqual(await sql.values(query, ['test_values_b', 'test_values_a']), ['test_values_a', 'test_values_b']);
    assert.deepEqual(await sql.values(query, ['none', 'nothing']), []);
  });
});

/** A profile's history: its creation is kept in its own row (migration 0005), the rest in profile_history. */
describeEachEngine('profile history', (server) => {
  const platform: Actor = { type: 'platform', id: 'apikey_01AbCdEfGhIjKlMnOpQrStUv' };
  const operator: Actor = { type: 'operator', id: 'apikey_01ZyXwVuTsRqPoNmLkJiHgFe' };

  async function created(name: string | null) {
    const { organization_id: org } = await server().newKey();
    const now = Date.now();
    const profile = newProfile({ name }, newId('uprof', now), org, now);
    await server().store.profiles.insert(profile, platform);
    return { org, profile };
  }

  it('keeps the creation as the oldest record, with its actor and the name it was created with, past a rename and a delete', async () => {
    const { profiles } = server().store;
    const { org, profile } = await created('Ann');
    const creation = { id: `hist_${profile.id.slice('uprof_'.length)}`, at: profile.createdAt, actor: platform, event: 'profile.created', detail: { name: 'Ann' } };
    assert.deepEqual(await profiles.history(org, profile.id), [creation]);
    assert.ok(isWellFormedId('hist', creation.id));

    await profiles.update(org, profile.id, operator, (current) => updatedProfile(current, { name: 'Bea' }, profile.createdAt + 1));
    await profiles.delete(org, profile.id, operator, profile.createdAt + 2);
    const history = await profiles.history(org, profile.id);
    assert.deepEqual(history.map((r) => [r.event, r.actor.type]), [['profile.deleted', 'operator'], ['profile.updated', 'operator'], ['profile.created', 'platform']]);
    assert.deepEqual(history[2], creation, 'the rename does not rewrite the creation');

    // a limit the later records fill leaves the oldest out; one more takes it in
    assert.deepEqual((await profiles.history(org, profile.id, 2)).map((r) => r.event), ['profile.deleted', 'profile.updated']);
    assert.deepEqual((await profiles.history(org, profile.id, 3)).map((r) => r.event), ['profile.deleted', 'profile.updated', 'profile.created']);
    assert.deepEqual(await profiles.history('org_01AbCdEfGhIjKlMnOpQrStUv', profile.id), [], "another organization's view is empty");
  });

  it('records a nameless creation with a null name', async () => {
    const { org, profile } = await created(null);
    assert.deepEqual((await server().store.profiles.history(org, profile.id)).map((r) => r.detail), [{ name: null }]);
  });

  it('shows once the creation of a profile made before 0005, which is a profile_history row and null creation columns', async () => {
    const { sql, profiles } = server().store;
    const { org, profile } = await created('Old');
    const historyId = newId('hist', profile.createdAt);
    await sql.batch([
      { sql: 'UPDATE user_profiles SET created_by_type = NULL, created_by_id = NULL, created_name = NULL WHERE id = ?', params: [profile.id] },
      {
        sql: `INSERT INTO profile_history (organization_id, profile_id, id, at, actor_type, actor_id, event, detail)
              VALUES (?, ?, ?, ?, 'platform', ?, 'profile.created', '{"name":"Old"}')`,
        params: [org, profile.id, historyId, profile.createdAt, platform.id],
      },
    ]);
    assert.deepEqual(await profiles.history(org, profile.id), [
      { id: historyId, at: profile.createdAt, actor: platform, event: 'profile.created', detail: { name: 'Old' } },
    ]);
  });
});
