/**
 * Organization webhook deliveries end to end (api-contract-2.md §2.6–§2.9, decisions §26–28, §33): events are
 * driven through the operator API and the platform API, delivered to a receiver on 127.0.0.1, and EVERY
 * delivery is verified with the official SDK's `client.beta.webhooks.unwrap()`. The retry schedule is shrunk
 * through the server's configuration so that retries and auto-disable happen within seconds.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { EVENT_TYPES } from '../../src/domain/events.ts';
import { call } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError, assertOk, sortedKeys, TIMESTAMP_Z } from './profile-api.ts';
import { deliveriesSettled, Receiver, unwrap, unwrapAt, type Delivery } from './webhook-receiver.ts';

const BETA = 'webhooks-2026-10-07';
const BASE = '/v1/organizations/webhooks';
const OPENED = 'user_profile.enforcement_action_opened';
const RESOLVED = 'user_profile.enforcement_action_resolved';
const PROGRAMS = 'user_profile.program_status_updated';
const CREATED = 'user_profile.created';
const UPDATED = 'user_profile.updated';
const DELETED = 'user_profile.deleted';
const EVENT_ID = /^whe_[0-9a-f]{32}$/;

/** decisions §27, shrunk: 3 retries 200 ms apart, 500 ms to answer, disabled after 2 failed events in a row */
const ENV = { WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2', WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_DISABLE_AFTER: '2', WEBHOOK_POLL_MS: '50' };
const ATTEMPTS_PER_EVENT = 4;

const RESTRICTION = { type: 'restriction', reason: 'fraud_or_abuse' };

describeEachEngine('organization webhook deliveries', (server) => {
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver.close();
  });

  /** A fresh organization: a platform key (SDK), an operator key of the same organization, and helpers. */
  async function tenant() {
    const organization = `webhooks-delivery-${randomUUID()}`;
    const platform = await server().newKey({ organization });
    const operator = await server().newKey({ organization, role: 'operator' });
    const client = new Anthropic({ apiKey: platform.api_key, baseURL: server().baseURL, maxRetries: 0 });
    const webhooks = client.beta.organization.webhooks;
    const orgId = platform.organization_id;
    const op = async (path: string, body?: unknown) =>
      assertOk(await call(server(), 'POST', `/v1/operator/user_profiles/${path}`, { key: operator.api_key, body }));

    return {
      orgId,
      platform,
      client,
      webhooks,
      /** an endpoint on a fresh receiver path, whose deliveries the receiver verifies with its secret */
      async endpoint(enabled_events: string[]) {
        const { path, url } = receiver.newPath();
        const created = await webhooks.create({ url, enabled_events: enabled_events as any });
        receiver.useSecret(path, created.signing_secret);
        return { ...created, path };
      },
      profile: () => client.userProfiles.create({ name: 'Subject' }),
      /** opens a restriction through the operator API; returns the action id */
      open: async (profileId: string) => (await op(`${profileId}/enforcement_actions`, RESTRICTION)).opened_action_id as string,
      resolve: (profileId: string, actionId: string) => op(`${profileId}/enforcement_actions/${actionId}/resolve`),
      cyber: (profileId: string, status: string) => op(`${profileId}/programs/cyber`, { status }),
      log: async (endpointId: string, query = '') =>
        assertOk(await call(server(), 'GET', `${BASE}/${endpointId}/deliveries${query}`, { key: platform.api_key, headers: { 'anthropic-beta': BETA } }))
          .data as any[],
      resend: (endpointId: string, eventId: string, key = platform.api_key) =>
        call(server(), 'POST', `${BASE}/${endpointId}/deliveries/${eventId}/resend`, { key, headers: { 'anthropic-beta': BETA } }),
      /** the worker has nothing left to do for this organization */
      quiet: () => deliveriesSettled(server(), orgId),
    };
  }
  type Tenant = Awaited<ReturnType<typeof tenant>>;

  /** The delivery contract of §2.8 on one received request, and its event's envelope (§2.6). */
  function assertSignedEnvelope(delivery: Delivery): any {
    assert.ok(delivery.verified.ok, `unwrap() accepted it: ${JSON.stringify(delivery.verified)}`);
    const event = delivery.verified.event;
    assert.deepEqual(JSON.parse(delivery.body), event, 'the body is the event');
    assert.deepEqual(sortedKeys(event), ['created_at', 'data', 'id', 'type']);
    assert.equal(event.type, 'event');
    assert.match(event.id, EVENT_ID);
    assert.match(event.created_at, TIMESTAMP_Z);
    assert.ok(Math.abs(Date.parse(event.created_at) - Date.now()) < 30_000, 'created_at is when it happened');
    assert.equal(delivery.headers['webhook-id'], event.id, 'webhook-id is the event id');
    assert.match(delivery.headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.match(delivery.headers['webhook-timestamp'], /^\d{10}$/, 'Unix seconds');
    assert.ok(Math.abs(Number(delivery.headers['webhook-timestamp']) - delivery.at / 1000) < 5, 'a fresh timestamp');
    assert.match(delivery.headers['content-type'], /^application\/json/);
    return event;
  }

  /** `{type, id, enforcement_action_id?, organization_id}` — ids only (§2.6). */
  const data = (t: Tenant, type: string, profileId: string, actionId?: string) => ({
    type, id: profileId, ...(actionId ? { enforcement_action_id: actionId } : {}), organization_id: t.orgId,
  });
  const byTypeAndId = (a: any, b: any) => `${a.type} ${a.id}`.localeCompare(`${b.type} ${b.id}`);

  it('opened, resolved and program_status_updated arrive as the documented envelopes, signed', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED, RESOLVED, PROGRAMS]);
    const profile = await t.profile();
    const actionId = await t.open(profile.id);
    await receiver.waitFor(hook.path, 1);
    await t.resolve(profile.id, actionId);
    await receiver.waitFor(hook.path, 2);
    await t.cyber(profile.id, 'pending');
    await receiver.waitFor(hook.path, 3);
    await t.quiet();

    const events = receiver.to(hook.path).map(assertSignedEnvelope);
    assert.deepEqual(events.map((e) => e.data), [
      data(t, OPENED, profile.id, actionId),
      data(t, RESOLVED, profile.id, actionId),
      data(t, PROGRAMS, profile.id),
    ], 'exactly these three, ids only; no user_profile.created (not subscribed)');
    assert.equal(new Set(events.map((e) => e.id)).size, 3, 'one id per event');
    assert.ok(events.every((e) => !('workspace_id' in e.data)));
  });

  it('a forged body, a replayed delivery, an old timestamp or the wrong secret fail unwrap()', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED]);
    const profile = await t.profile();
    await t.open(profile.id);
    const [delivery] = await receiver.waitFor(hook.path, 1);
    const { body, headers } = delivery;
    const secret = hook.signing_secret;
    assertSignedEnvelope(delivery);
    assert.ok(unwrap(body, headers, secret).ok, 'the genuine delivery verifies');

    const rejected = (result: ReturnType<typeof unwrap>, reason: RegExp) => {
      assert.equal(result.ok, false);
      assert.match((result as { error: string }).error, reason);
    };
    rejected(unwrap(body.replace(profile.id, `uprof_01${'A'.repeat(22)}`), headers, secret), /No matching signature/);
    rejected(unwrap(body + ' ', headers, secret), /No matching signature/);
    rejected(unwrap(body, { ...headers, 'webhook-id': `whe_${'0'.repeat(32)}` }, secret), /No matching signature/);
    rejected(unwrap(body, headers, `whsec_${randomBytes(32).toString('base64')}`), /No matching signature/);
    const stale = String(Number(headers['webhook-timestamp']) - 301);
    rejected(unwrap(body, { ...headers, 'webhook-timestamp': stale }, secret), /too old/);
    const { 'webhook-signature': _, ...unsigned } = headers;
    rejected(unwrap(body, unsigned, secret), /Missing required headers/);
    // replaying the captured request later: fine within the 5-minute window, refused after it
    assert.ok(unwrapAt(290_000, body, headers, secret).ok, 'still fresh after 290 s');
    rejected(unwrapAt(301_000, body, headers, secret), /too old/);
  });

  it('deleting a profile ends its open actions with no resolved event', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED, RESOLVED]);
    const doomed = await t.profile();
    const doomedAction = await t.open(doomed.id);
    await receiver.waitFor(hook.path, 1);
    assert.deepEqual(await t.client.userProfiles.delete(doomed.id), { id: doomed.id, type: 'user_profile_deleted' });
    // a later event, then nothing pending: whatever the delete produced has been delivered by now
    const marker = await t.profile();
    const markerAction = await t.open(marker.id);
    await receiver.waitFor(hook.path, 2);
    await t.quiet();
    assert.deepEqual(receiver.events(hook.path).map((e) => e.data), [data(t, OPENED, doomed.id, doomedAction), data(t, OPENED, marker.id, markerAction)]);
  });

  it('extension events (created/updated/deleted) go only to endpoints subscribed to them; no cross-organization fan-out', async () => {
    const t = await tenant();
    const mirror = await t.endpoint([CREATED, UPDATED, DELETED]);
    const enforcement = await t.endpoint([OPENED]);
    const stranger = await tenant();
    const theirs = await stranger.endpoint([...EVENT_TYPES]);

    const profile = await t.profile();
    await t.client.userProfiles.update(profile.id, { name: 'Renamed' });
    await t.client.userProfiles.update(profile.id, { name: 'Renamed' }); // changes nothing: no event
    await t.client.userProfiles.delete(profile.id);
    const other = await t.profile();
    const actionId = await t.open(other.id);
    await receiver.waitFor(mirror.path, 4);
    await receiver.waitFor(enforcement.path, 1);
    await t.quiet();

    for (const delivery of [...receiver.to(mirror.path), ...receiver.to(enforcement.path)]) assertSignedEnvelope(delivery);
    assert.deepEqual(
      receiver.events(mirror.path).map((e) => e.data).sort(byTypeAndId),
      [data(t, CREATED, profile.id), data(t, CREATED, other.id), data(t, DELETED, profile.id), data(t, UPDATED, profile.id)].sort(byTypeAndId),
    );
    assert.deepEqual(receiver.events(enforcement.path).map((e) => e.data), [data(t, OPENED, other.id, actionId)]);
    await stranger.quiet();
    assert.equal(receiver.to(theirs.path).length, 0, "another organization's endpoint hears nothing");
  });

  it('subscriptions follow endpoint changes at once: the very next change after an update or a create is delivered', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED]);
    const unheard = await t.profile(); // nobody subscribes to created yet
    await t.webhooks.update(hook.id, { enabled_events: [OPENED, CREATED] as any });
    const heard = await t.profile();
    const late = await t.endpoint([UPDATED]);
    await t.client.userProfiles.update(heard.id, { name: 'Renamed' });
    await receiver.waitFor(hook.path, 1);
    await receiver.waitFor(late.path, 1);
    await t.quiet();
    assert.deepEqual(receiver.events(hook.path).map((e) => e.data), [data(t, CREATED, heard.id)]);
    assert.deepEqual(receiver.events(late.path).map((e) => e.data), [data(t, UPDATED, heard.id)]);
    assert.ok(!receiver.events(hook.path).some((e) => e.data.id === unheard.id));
  });

  it('a failed attempt is retried with the same webhook-id until a 2xx, and the delivery log shows every attempt', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED]);
    receiver.script(hook.path, [500, 'hang'], 200);
    const profile = await t.profile();
    const actionId = await t.open(profile.id);
    const deliveries = await receiver.waitFor(hook.path, 3);
    await t.quiet();
    assert.equal(receiver.to(hook.path).length, 3, 'nothing after the success');

    const events = deliveries.map(assertSignedEnvelope);
    assert.deepEqual(deliveries.map((d) => d.answered), [500, 'hang', 200]);
    assert.equal(new Set(deliveries.map((d) => d.headers['webhook-id'])).size, 1, 'the same webhook-id on every attempt');
    assert.equal(new Set(deliveries.map((d) => d.body)).size, 1, 'the same body on every attempt');
    assert.deepEqual(events[0].data, data(t, OPENED, profile.id, actionId));
    assert.ok(deliveries[1].at - deliveries[0].at >= 150, 'the first retry waits for the schedule (200 ms)');
    assert.ok(deliveries[2].at - deliveries[1].at >= 600, 'a hung attempt times out (500 ms) before the next retry (200 ms)');

    const log = await t.log(hook.id);
    assert.equal(log.length, 3);
    for (const entry of log) {
      assert.deepEqual(sortedKeys(entry), ['attempt', 'attempted_at', 'delivery_state', 'error', 'event_id', 'event_type', 'latency_ms', 'status']);
      assert.equal(entry.event_id, events[0].id);
      assert.equal(entry.event_type, OPENED);
      assert.match(entry.attempted_at, TIMESTAMP_Z);
      assert.equal(typeof entry.latency_ms, 'number');
      assert.equal(entry.delivery_state, 'delivered');
    }
    assert.deepEqual(log.map((e) => [e.attempt, e.status]), [[3, 200], [2, null], [1, 500]], 'newest first');
    assert.equal(log[0].error, null);
    assert.match(log[1].error, /500 ms/);
    assert.ok(log[1].latency_ms >= 450, `the hung attempt took the timeout (${log[1].latency_ms} ms)`);
    assert.match(log[2].error, /500/);
    assert.deepEqual(await t.log(hook.id, '?limit=1'), [log[0]]);
    const endpoint = await t.webhooks.retrieve(hook.id);
    assert.deepEqual([endpoint.state, endpoint.disabled_reason], ['enabled', ''], 'an event that got through is no failure');
  });

  it('an endpoint is disabled after 2 consecutive failed events (a success resets the count); later events are dropped', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED]);
    const control = await t.endpoint([OPENED]);
    const profile = await t.profile();
    /** opens an action and waits until everything due has been attempted */
    const event = async () => {
      const actionId = await t.open(profile.id);
      await t.quiet();
      return actionId;
    };
    const state = async () => {
      const { state, disabled_reason } = await t.webhooks.retrieve(hook.id);
      return { state, disabled_reason };
    };
    const enabled = { state: 'enabled', disabled_reason: '' };

    receiver.script(hook.path, [500, 500, 500, 500]); // the first event fails every attempt …
    await event();
    assert.equal(receiver.to(hook.path).length, ATTEMPTS_PER_EVENT);
    assert.deepEqual(await state(), enabled, 'one failed event is not enough');
    await event(); // … the second gets through, which resets the count
    assert.equal(receiver.to(hook.path).length, ATTEMPTS_PER_EVENT + 1);
    receiver.script(hook.path, [], 500); // from now on every attempt fails
    await event();
    assert.deepEqual(await state(), enabled, 'one failed event since the success');
    const before = await t.webhooks.retrieve(hook.id);
    await event();
    const disabled = await t.webhooks.retrieve(hook.id);
    assert.equal(disabled.state, 'disabled');
    assert.ok(disabled.disabled_reason.length > 0, 'disabled_reason says why');
    assert.ok(Date.parse(disabled.updated_at) >= Date.parse(before.updated_at));
    const received = receiver.to(hook.path).length;
    assert.equal(received, 3 * ATTEMPTS_PER_EVENT + 1);
    const failedLog = await t.log(hook.id, '?limit=100');
    assert.equal(failedLog.length, received);
    assert.equal(failedLog.filter((e) => e.delivery_state === 'failed').length, 3 * ATTEMPTS_PER_EVENT);

    // while disabled: nothing is delivered, not even later, after enabling again (no backlog)
    const missed = await event();
    receiver.script(hook.path, [], 200);
    const reenabled = await t.webhooks.update(hook.id, { state: 'enabled' });
    assert.deepEqual([reenabled.state, reenabled.disabled_reason], ['enabled', ''], 'enabling clears disabled_reason');
    const next = await event();
    await receiver.waitFor(hook.path, received + 1);
    await t.quiet();
    assert.deepEqual(receiver.events(hook.path).slice(received).map((e) => e.data.enforcement_action_id), [next], 'only the event after re-enabling');
    assert.ok(receiver.events(control.path).some((e) => e.data.enforcement_action_id === missed), 'other endpoints were unaffected');
    assert.equal(receiver.to(control.path).length, 6, 'the healthy endpoint got every event once');
  });

  it('a caller-disabled endpoint receives nothing, and nothing of that period after it is enabled again', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED]);
    const control = await t.endpoint([OPENED]);
    const profile = await t.profile();
    await t.webhooks.update(hook.id, { state: 'disabled' });
    const missed = await t.open(profile.id);
    await receiver.waitFor(control.path, 1);
    await t.webhooks.update(hook.id, { state: 'enabled' });
    const next = await t.open(profile.id);
    await receiver.waitFor(control.path, 2);
    await receiver.waitFor(hook.path, 1);
    await t.quiet();
    assert.deepEqual(receiver.events(hook.path).map((e) => e.data.enforcement_action_id), [next]);
    assert.deepEqual(receiver.events(control.path).map((e) => e.data.enforcement_action_id).sort(), [missed, next].sort());
  });

  it('after regenerate_signing_secret deliveries are signed with the new secret; the old one no longer verifies', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED]);
    const profile = await t.profile();
    await t.open(profile.id);
    const [first] = await receiver.waitFor(hook.path, 1);
    assertSignedEnvelope(first);

    const { signing_secret } = await t.webhooks.regenerateSigningSecret(hook.id);
    assert.notEqual(signing_secret, hook.signing_secret);
    receiver.useSecret(hook.path, signing_secret);
    await t.open(profile.id);
    const [, second] = await receiver.waitFor(hook.path, 2);
    assertSignedEnvelope(second);
    const withOld = unwrap(second.body, second.headers, hook.signing_secret);
    assert.equal(withOld.ok, false, 'the old secret stopped working at once');
    assert.equal(unwrap(first.body, first.headers, signing_secret).ok, false, 'and the new one never signed the old delivery');
  });

  it('resend re-delivers an event with the same webhook-id and a fresh signature', async () => {
    const t = await tenant();
    const hook = await t.endpoint([OPENED]);
    const other = await t.endpoint([RESOLVED]);
    const profile = await t.profile();
    await t.open(profile.id);
    const [first] = await receiver.waitFor(hook.path, 1);
    const event = assertSignedEnvelope(first);
    await t.quiet();

    const bound = await server().newKey({ organization: (await server().store.tenancy.organizationById(t.orgId))!.name, workspace: 'ws' });
    assertApiError(await t.resend(hook.id, event.id, bound.api_key), 403, 'permission_error');
    assertApiError(await t.resend(other.id, event.id), 404, 'not_found_error'); // that endpoint never had it
    const stranger = await tenant();
    assertApiError(await t.resend(hook.id, event.id, stranger.platform.api_key), 404, 'not_found_error');
    await t.quiet();
    assert.equal(receiver.to(hook.path).length, 1, 'refused resends sent nothing');

    const resent = await t.resend(hook.id, event.id);
    assert.deepEqual(assertOk(resent), { endpoint_id: hook.id, event_id: event.id, delivery_state: 'pending' });
    const [, second] = await receiver.waitFor(hook.path, 2);
    assert.deepEqual(assertSignedEnvelope(second), event, 'the same event');
    assert.equal(second.headers['webhook-id'], first.headers['webhook-id']);
    assert.equal(second.body, first.body);
    assert.ok(Number(second.headers['webhook-timestamp']) >= Number(first.headers['webhook-timestamp']));
    await t.quiet();
    assert.deepEqual((await t.log(hook.id)).map((e) => [e.event_id, e.attempt, e.status, e.delivery_state]), [
      [event.id, 2, 200, 'delivered'],
      [event.id, 1, 200, 'delivered'],
    ]);

    // a disabled endpoint cannot be made to deliver
    await t.webhooks.update(hook.id, { state: 'disabled' });
    assertApiError(await t.resend(hook.id, event.id), 400, 'invalid_request_error');
  });
}, ENV);
