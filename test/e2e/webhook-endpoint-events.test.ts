import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { EventType } from '../../src/domain/events.ts';
import { newProfile, updatedProfile } from '../../src/domain/profile.ts';
import { newId } from '../../src/ids.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import type { Sql } from '../../src/store/sql.ts';
import type { WebhookEndpoint } from '../../src/store/webhooks.ts';
import { engines } from '../support/engines.ts';
import { describeEachStore } from '../support/suite.ts';

/**
 * Webhook fan-out reads webhook_endpoint_events (organization, event type → enabled endpoint), kept in step
 * with the endpoints in the same transactions: create, update, delete, enable/disable, and the worker's
 * auto-disable; its migration fills it from the endpoints that were there. Repositories on a real store.
 */

const PLATFORM = { type: 'platform' as const, id: 'apikey_01AbCdEfGhIjKlMnOpQrStUv' };
const CAPS = { perEndpoint: 10, perOrganization: 10 };

/** The subscriptions the table holds for one organization, as sorted "endpoint type" lines. */
async function subscriptions(sql: Sql, organizationId: string): Promise<string[]> {
  const rows = await sql.all<{ endpoint_id: string; event_type: string }>(
    'SELECT endpoint_id, event_type FROM webhook_endpoint_events WHERE organization_id = ?', [organizationId]);
  return rows.map((r) => `${r.endpoint_id} ${r.event_type}`).sort();
}

const lines = (endpointId: string, types: string[]) => types.map((type) => `${endpointId} ${type}`);

async function organization(store: Store, name: string): Promise<string> {
  return (await store.tenancy.createOrganization(name, Date.now()))!.id;
}

function endpoint(organizationId: string, enabledEvents: EventType[], state: 'enabled' | 'disabled' = 'enabled'): WebhookEndpoint {
  const now = Date.now();
  return {
    id: newId('whep', now), organizationId, url: 'https://hooks.example.com/h', name: '', description: '', enabledEvents, state,
    disabledReason: '', failedEvents: 0, createdAt: now, updatedAt: now,
  };
}

/** The endpoints a profile creation and a rename queue a delivery to, by event type. */
async function fannedOut(store: Store, organizationId: string): Promise<Record<string, string[]>> {
  const now = Date.now();
  const profile = newProfile({ name: 'Ann' }, newId('uprof', now), organizationId, now);
  await store.profiles.insert(profile, PLATFORM);
  await store.profiles.update(organizationId, profile.id, PLATFORM, (p) => updatedProfile(p, { name: 'Bea' }, now + 1));
  const rows = await store.sql.all<{ type: string; endpoint_id: string }>(
    `SELECT ev.type, d.endpoint_id FROM webhook_deliveries d JOIN webhook_events ev ON ev.organization_id = d.organization_id AND ev.id = d.event_id
     WHERE d.organization_id = ? AND ev.body LIKE ?`, [organizationId, `%${profile.id}%`]);
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.type] ??= []).push(r.endpoint_id);
  for (const list of Object.values(out)) list.sort();
  return out;
}

describeEachStore('webhook_endpoint_events', (current) => {
  let store: Store;
  before(() => {
    store = current();
  });

  it('follows create, update of the events, disable, enable and delete; fan-out reaches exactly the enabled subscribers', async () => {
    const org = await organization(store, 'Events in step');
    const a = endpoint(org, ['user_profile.created', 'user_profile.updated']);
    const b = endpoint(org, ['user_profile.created']);
    const off = endpoint(org, ['user_profile.created'], 'disabled');
    for (const e of [a, b, off]) assert.equal(await store.webhooks.insert(e, 'sealed', 32), true);
    assert.deepEqual(await subscriptions(store.sql, org),
      [...lines(a.id, ['user_profile.created', 'user_profile.updated']), ...lines(b.id, ['user_profile.created'])].sort());
    assert.deepEqual(await fannedOut(store, org), { 'user_profile.created': [a.id, b.id].sort(), 'user_profile.updated': [a.id] });

    await store.webhooks.update(org, b.id, (e) => ({ ...e, enabledEvents: ['user_profile.updated', 'user_profile.deleted'] }));
    await store.webhooks.update(org, a.id, (e) => ({ ...e, state: 'disabled' }));
    await store.webhooks.update(org, off.id, (e) => ({ ...e, state: 'enabled' }));
    assert.deepEqual(await subscriptions(store.sql, org),
      [...lines(b.id, ['user_profile.deleted', 'user_profile.updated']), ...lines(off.id, ['user_profile.created'])].sort());
    assert.deepEqual(await fannedOut(store, org), { 'user_profile.created': [off.id], 'user_profile.updated': [b.id] });

    // a change of anything else leaves the rows as they are
    await store.webhooks.update(org, b.id, (e) => ({ ...e, description: 'renamed' }));
    assert.equal((await subscriptions(store.sql, org)).length, 3);

    assert.equal(await store.webhooks.delete(org, off.id), true);
    assert.deepEqual(await subscriptions(store.sql, org), lines(b.id, ['user_profile.deleted', 'user_profile.updated']));
    await store.webhooks.update(org, a.id, (e) => ({ ...e, state: 'enabled' }));
    assert.deepEqual(await subscriptions(store.sql, org),
      [...lines(a.id, ['user_profile.created', 'user_profile.updated']), ...lines(b.id, ['user_profile.deleted', 'user_profile.updated'])].sort());
  });

  it("the worker's auto-disable takes the endpoint's subscriptions away with its queue, in the same transaction", async () => {
    const org = await organization(store, 'Auto-disabled');
    const failing = endpoint(org, ['user_profile.created']);
    const kept = endpoint(org, ['user_profile.created']);
    for (const e of [failing, kept]) await store.webhooks.insert(e, 'sealed', 32);
    await fannedOut(store, org);
    await fannedOut(store, org);
    const now = Date.now();
    const leased = (await store.webhooks.lease(now, now + 60_000, 10, CAPS, org)).filter((d) => d.endpointId === failing.id);
    assert.equal(leased.length, 2);
    // the first failed event disables it (disableAfter 1); its other pending delivery is dropped
    await store.webhooks.recordAttempt(leased[0], { at: now, status: 500, latencyMs: 1, error: 'HTTP 500' }, { kind: 'failed' }, 1);
    assert.equal((await store.webhooks.find(org, failing.id))!.state, 'disabled');
    assert.deepEqual(await subscriptions(store.sql, org), lines(kept.id, ['user_profile.created']));
    assert.deepEqual((await fannedOut(store, org))['user_profile.created'], [kept.id]);
  });

  it('an endpoint of another organization is never reached, and an organization without subscribers queues no event', async () => {
    const org = await organization(store, 'Subscribed');
    const other = await organization(store, 'Not subscribed');
    await store.webhooks.insert(endpoint(org, ['user_profile.created']), 'sealed', 32);
    assert.deepEqual(await fannedOut(store, other), {});
    const events = await store.sql.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM webhook_events WHERE organization_id = ?', [other]);
    assert.equal(Number(events!.n), 0);
  });
});

for (const engine of await engines()) {
  describe(`migration 0013 fills webhook_endpoint_events from the endpoints [${engine.name}]`, () => {
    it('one row per subscribed type of each enabled endpoint; disabled endpoints have none', async () => {
      const database = await engine.createDatabase();
      try {
        let store = await openStore({ databaseUrl: database.url });
        const org = await organization(store, 'Backfilled');
        const enabled = endpoint(org, ['user_profile.enforcement_action_opened', 'external_key.failed', 'user_profile.deleted']);
        const disabled = endpoint(org, ['user_profile.created'], 'disabled');
        const all = endpoint(org, ['user_profile.enforcement_action_opened', 'user_profile.enforcement_action_resolved',
          'user_profile.program_status_updated', 'external_key.failed', 'external_key.recovered', 'external_storage.failed',
          'external_storage.recovered', 'user_profile.created', 'user_profile.updated', 'user_profile.deleted']);
        for (const e of [enabled, disabled, all]) await store.webhooks.insert(e, 'sealed', 32);
        const expected = await subscriptions(store.sql, org);
        assert.equal(expected.length, 13);
        // the database as it was before 0013
        const index = MIGRATIONS.findIndex((m) => m.id === '0013_webhook_endpoint_events');
        assert.ok(index >= 0);
        await store.sql.run('DROP TABLE webhook_endpoint_events');
        await store.sql.run('DELETE FROM schema_migrations WHERE id = ?', ['0013_webhook_endpoint_events']);
        await store.close();

        store = await openStore({ databaseUrl: database.url });
        try {
          assert.deepEqual(await subscriptions(store.sql, org), expected);
          assert.deepEqual((await fannedOut(store, org))['user_profile.created'], [all.id]);
        } finally {
          await store.close();
        }
      } finally {
        await database.drop();
      }
    });
  });
}
