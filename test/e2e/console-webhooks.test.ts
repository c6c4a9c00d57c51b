/**
 * The review console's webhook pages over real HTTP: the organization's endpoints, an endpoint's delivery
 * log (compared with the API's own delivery log) and the per-event "Re-send" form. Events are driven
 * through the operator API and delivered to a receiver on 127.0.0.1 that verifies each with the SDK's
 * unwrap(). Every refused re-send is shown to have sent nothing and changed no log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebhookCreateParams } from '@anthropic-ai/sdk/resources/beta/organization/webhooks';
import { call, currentSdk } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { ConsoleClient, csrfOf, newConsoleOrg, newProfile, signedIn, type PageResponse } from './console-client.ts';
import { assertOk } from './profile-api.ts';
import { deliveriesSettled, Receiver, waitUntil, type Answer } from './webhook-receiver.ts';

const BETA = 'webhooks-2026-10-07';
const OPENED = 'user_profile.enforcement_action_opened';
const CREATED = 'user_profile.created';
/** retries 200 ms apart, 2 s to answer (the window in which an attempt is in flight), disabled after 2 failed events in a row */
const ENV = { WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_DISABLE_AFTER: '2', WEBHOOK_POLL_MS: '50' };
const hookPath = (id: string) => `/console/webhooks/${id}`;
const resendPath = (endpointId: string, eventId: string) => `${hookPath(endpointId)}/events/${eventId}/resend`;
const UNKNOWN_EVENT = `whe_${'0'.repeat(32)}`;

function assertSecurityHeaders(response: PageResponse) {
  assert.match(response.headers.get('content-security-policy') ?? '', /^default-src 'none'; /);
  assert.equal(response.headers.get('cache-control'), 'no-store');
}


/** Text of an HTML fragment, as a reader sees it. */
const text = (fragment: string) =>
  fragment.replace(/<[^>]+>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ').trim();

/** The delivery log's rows on an endpoint page: the id names event and attempt; cells as text; whether it has the form. */
function logRows(html: string) {
  return [...html.matchAll(/<tr id="attempt-(whe_[0-9a-f]{32})-(\d+)">([\s\S]*?)<\/tr>/g)].map(([, eventId, attempt, row]) => ({
    eventId,
    attempt: Number(attempt),
    // a time cell reads as its machine-readable datetime (the text says it in words, relative to now)
    cells: [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell]) => /<time datetime="([^"]+)"/.exec(cell)?.[1] ?? text(cell)),
    resend: new RegExp(`<form method="post" action="/console/webhooks/whep_[^/"]+/events/${eventId}/resend"`).test(row),
  }));
}

/** The endpoint list's row for one endpoint, as text cells (null when it is not listed). */
function endpointRow(html: string, id: string): string[] | null {
  const row = new RegExp(`<tr id="endpoint-${id}">([\\s\\S]*?)</tr>`).exec(html);
  return row ? [...row[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell]) => text(cell)) : null;
}

describeEachEngine('review console: webhooks', (server) => {
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver.close();
  });

  /** An organization with console access, helpers for its endpoints, its events and its delivery log. */
  async function tenant() {
    const org = await newConsoleOrg(server());
    const webhooks = currentSdk(server(), org.platform.api_key).beta.organization.webhooks;
    const orgId = org.platform.organization_id;
    return {
      org,
      webhooks,
      /** an endpoint on a fresh receiver path (its deliveries verified with its secret), answering `script` first */
      async endpoint(events: string[], script: Answer[] = [], extra: Partial<WebhookCreateParams> = {}) {
        const { path, url } = receiver.newPath();
        receiver.script(path, script);
        const created = await webhooks.create({ url, enabled_events: events as any, ...extra });
        receiver.useSecret(path, created.signing_secret);
        return { ...created, path };
      },
      /** opens a restriction through the operator API: one enforcement_action_opened event */
      async open(profileId: string) {
        const response = await call(server(), 'POST', `/v1/operator/user_profiles/${profileId}/enforcement_actions`, {
          key: org.operator.api_key,
          body: { type: 'restriction', reason: 'fraud_or_abuse' },
        });
        return assertOk(response).opened_action_id as string;
      },
      /** the API's delivery log of an endpoint, newest first */
      log: async (endpointId: string) =>
        assertOk(await call(server(), 'GET', `/v1/organizations/webhooks/${endpointId}/deliveries?limit=100`, { key: org.platform.api_key, headers: { 'anthropic-beta': BETA } }))
          .data as any[],
      /** no delivery of this organization pending for an enabled endpoint (the worker has nothing left to do) */
      quiet: () => deliveriesSettled(server(), orgId),
    };
  }
  type Tenant = Awaited<ReturnType<typeof tenant>>;
  type Hook = Awaited<ReturnType<Tenant['endpoint']>>;

  /** An endpoint with one delivered event whose first attempt failed (500, then 200). */
  async function deliveredTwice(t: Tenant) {
    const hook = await t.endpoint([OPENED], [500]);
    const actionId = await t.open(await newProfile(server(), t.org));
    const [first] = await receiver.waitFor(hook.path, 2);
    await t.quiet();
    return { hook, actionId, eventId: first.headers['webhook-id'] };
  }

  /** Runs `refused` and shows it sent nothing and changed no delivery log. */
  async function assertNothingSent(t: Tenant, hooks: Hook[], refused: () => Promise<void>) {
    const before = await Promise.all(hooks.map(async (h) => ({ received: receiver.to(h.path).length, log: await t.log(h.id) })));
    await refused();
    await new Promise((resolve) => setTimeout(resolve, 150)); // three polls: a queued re-send would have gone out by now
    await t.quiet();
    const afterwards = await Promise.all(hooks.map(async (h) => ({ received: receiver.to(h.path).length, log: await t.log(h.id) })));
    assert.deepEqual(afterwards, before);
  }

  describe('endpoints', () => {
    it('lists the organization\'s endpoints with URL, state, disabled reason and events; not another organization\'s', async () => {
      const t = await tenant();
      const client = await signedIn(server(), t.org);
      const empty = await client.get('/console/webhooks');
      assert.equal(empty.status, 200);
      assert.match(empty.html, /<title>Webhooks<\/title>/);
      assert.match(empty.html, /No webhook endpoints\./);

      const mirror = await t.endpoint([CREATED, OPENED], [], { name: 'Mirror <b>&amp;</b> "quoted"' });
      const failing = await t.endpoint([OPENED]);
      const other = await tenant();
      const foreign = await other.endpoint([OPENED], [], { name: 'Foreign endpoint' });
      // the failing endpoint is disabled automatically: 2 events fail every attempt
      receiver.script(failing.path, [], 500);
      const profile = await newProfile(server(), t.org);
      await t.open(profile);
      await t.open(profile);
      await waitUntil(async () => (await t.webhooks.retrieve(failing.id)).state === 'disabled', 'the failing endpoint disabled', 10_000);
      const disabled = await t.webhooks.retrieve(failing.id);
      assert.match(disabled.disabled_reason, /Disabled automatically: 2 consecutive event\(s\) failed/);

      const page = await client.get('/console/webhooks');
      assert.equal(page.status, 200);
      assertSecurityHeaders(page);
      assert.deepEqual(endpointRow(page.html, mirror.id), [
        `Mirror <b>&amp;</b> "quoted" ${mirror.id}`, mirror.url, 'enabled', '—', `${CREATED} ${OPENED}`,
      ]);
      assert.ok(!page.html.includes('<b>&amp;</b>'), 'the name is escaped, not markup');
      assert.deepEqual(endpointRow(page.html, failing.id), [
        `Unnamed endpoint ${failing.id}`, failing.url, 'disabled', disabled.disabled_reason, OPENED,
      ]);
      assert.ok(page.html.indexOf(failing.id) < page.html.indexOf(mirror.id), 'newest first');
      assert.ok(page.html.includes(`href="${hookPath(mirror.id)}"`));
      assert.equal(endpointRow(page.html, foreign.id), null, 'another organization\'s endpoint is not listed');
      assert.ok(!page.html.includes('Foreign endpoint'));
      // and the other organization sees its own, not ours
      const theirs = await (await signedIn(server(), other.org)).get('/console/webhooks');
      assert.ok(endpointRow(theirs.html, foreign.id));
      assert.equal(endpointRow(theirs.html, mirror.id), null);
      // the console's navigation leads here
      assert.ok((await client.get('/console')).html.includes('<a href="/console/webhooks">Webhooks</a>'));
    });

    it('without a session the pages and the re-send form send the operator to sign-in, sending nothing', async () => {
      const t = await tenant();
      const { hook, eventId } = await deliveredTwice(t);
      const anonymous = new ConsoleClient(server());
      for (const path of ['/console/webhooks', hookPath(hook.id)]) {
        const response = await anonymous.get(path);
        assert.equal(response.status, 303, path);
        assert.equal(response.location, '/console/sign-in');
        assertSecurityHeaders(response);
      }
      await assertNothingSent(t, [hook], async () => {
        const response = await anonymous.post(resendPath(hook.id, eventId), {});
        assert.equal(response.location, '/console/sign-in');
      });
    });
  });

  describe('delivery log', () => {
    it('shows every attempt as the API\'s delivery log does: time, event, attempt, status, latency, error, delivery state', async () => {
      const t = await tenant();
      const { hook, actionId, eventId } = await deliveredTwice(t);
      const hung = await t.endpoint([CREATED], ['hang']); // one attempt times out, the retry gets through
      await newProfile(server(), t.org);
      await receiver.waitFor(hung.path, 2, 5000);
      await t.quiet();
      const client = await signedIn(server(), t.org);

      for (const h of [hook, hung]) {
        const page = await client.get(hookPath(h.id));
        assert.equal(page.status, 200);
        assertSecurityHeaders(page);
        assert.match(page.html, /<title>Unnamed endpoint<\/title>/);
        const log = await t.log(h.id);
        assert.equal(log.length, 2);
        assert.deepEqual(logRows(page.html).map((r) => r.cells), log.map((e) => [
          e.attempted_at, `${e.event_type} ${e.event_id}`, String(e.attempt), e.status === null ? 'no answer' : String(e.status),
          `${e.latency_ms} ms`, e.error ?? '—', e.delivery_state, e.attempt === 2 ? 'Re-send' : '',
        ]), 'the rows are the API log, newest first');
        assert.deepEqual(logRows(page.html).map((r) => r.resend), [true, false], 'one Re-send form per event, on its newest attempt');
      }
      // what the rows say, spelled out for the first endpoint
      const rows = logRows((await client.get(hookPath(hook.id))).html);
      assert.deepEqual(rows.map((r) => [r.eventId, r.attempt, r.cells[3], r.cells[5], r.cells[6]]), [
        [eventId, 2, '200', '—', 'delivered'],
        [eventId, 1, '500', 'HTTP 500', 'delivered'],
      ]);
      assert.equal(receiver.events(hook.path)[0].data.enforcement_action_id, actionId);
      assert.match(logRows((await client.get(hookPath(hung.id))).html)[1].cells[5], /no answer within 2000 ms/);
    });

    it('shows the newest `limit` attempts (1 to 100); other limits are refused', async () => {
      const t = await tenant();
      const { hook } = await deliveredTwice(t);
      const client = await signedIn(server(), t.org);
      const count = async (limit: string) => {
        const page = await client.get(`${hookPath(hook.id)}?limit=${limit}`);
        return page.status === 200 ? logRows(page.html).length : page.status;
      };
      assert.equal(await count('1'), 1);
      assert.equal(await count('100'), 2);
      for (const limit of ['0', '101', '-1', '1.5', 'ten', '']) assert.equal(await count(limit), 400, `limit=${limit}`);
      const refused = await client.get(`${hookPath(hook.id)}?limit=101`);
      assert.match(refused.html, /limit: must be a whole number from 1 to 100/);
    });

    it('an endpoint with nothing delivered yet, and 404 for another organization\'s, an unknown or a malformed endpoint id', async () => {
      const t = await tenant();
      const fresh = await t.endpoint([OPENED], [], { name: 'Fresh', description: 'Our CRM mirror' });
      const client = await signedIn(server(), t.org);
      const page = await client.get(hookPath(fresh.id));
      assert.equal(page.status, 200);
      assert.match(page.html, /<title>Fresh<\/title>/);
      assert.match(page.html, /No delivery attempts yet\./);
      assert.match(text(page.html), /Description Our CRM mirror/);

      const other = await tenant();
      const foreign = await other.endpoint([OPENED], [], { name: 'Foreign endpoint' });
      const unknown = `whep_01${'A'.repeat(22)}`;
      for (const id of [foreign.id, unknown, 'whep_nope', 'uprof_01AAAAAAAAAAAAAAAAAAAAAA']) {
        const response = await client.get(hookPath(id));
        assert.equal(response.status, 404, id);
        assert.ok(!response.html.includes('Foreign endpoint'));
        assertSecurityHeaders(response);
      }
    });
  });

  describe('re-send', () => {
    it('queues the event again: it arrives under the same webhook-id, signed, and the log gains an attempt', async () => {
      const t = await tenant();
      const { hook, eventId } = await deliveredTwice(t);
      const client = await signedIn(server(), t.org);
      const page = await client.get(hookPath(hook.id));
      const response = await client.post(resendPath(hook.id, eventId), { csrf: csrfOf(page.html) });
      assert.equal(response.status, 303, response.html);
      assert.equal(response.location, `${hookPath(hook.id)}?saved=resent#log`);
      assertSecurityHeaders(response);

      const [first, , third] = await receiver.waitFor(hook.path, 3);
      await t.quiet();
      assert.equal(receiver.to(hook.path).length, 3, 'sent once more, not more');
      assert.ok(third.verified.ok, 'the re-sent delivery verifies');
      assert.equal(third.headers['webhook-id'], eventId);
      assert.equal(third.body, first.body, 'the same event');
      assert.deepEqual((await t.log(hook.id)).map((e) => [e.attempt, e.status, e.delivery_state]), [[3, 200, 'delivered'], [2, 200, 'delivered'], [1, 500, 'delivered']]);

      const confirmed = await client.get(response.location!);
      assert.match(confirmed.html, /role="status">Event queued for re-delivery, under its original webhook-id\./);
      assert.deepEqual(logRows(confirmed.html).map((r) => [r.attempt, r.cells[3], r.resend]), [[3, '200', true], [2, '200', false], [1, '500', false]]);
      // the confirmation is a fixed message: nothing from the query string is echoed
      const echoed = await client.get(`${hookPath(hook.id)}?saved=%3Cb%3Eboo%3C%2Fb%3E`);
      assert.ok(!echoed.html.includes('boo') && !echoed.html.includes('role="status"'));
    });

    it('refuses a form without its session\'s CSRF token (403), sending nothing', async () => {
      const t = await tenant();
      const { hook, eventId } = await deliveredTwice(t);
      const client = await signedIn(server(), t.org);
      const genuine = await client.csrf();
      const sameOrgOtherSession = await (await signedIn(server(), t.org)).csrf();
      const otherOrg = await tenant();
      const otherOrgSession = await (await signedIn(server(), otherOrg.org)).csrf();
      const path = resendPath(hook.id, eventId);
      const forgeries: Array<[string, () => Promise<PageResponse>]> = [
        ['no token', () => client.post(path, {})],
        ['empty token', () => client.post(path, { csrf: '' })],
        ['wrong token', () => client.post(path, { csrf: `${genuine.slice(0, -2)}xx` })],
        ['token of another session', () => client.post(path, { csrf: sameOrgOtherSession })],
        ['token of another organization\'s session', () => client.post(path, { csrf: otherOrgSession })],
        ['JSON instead of a form', () => client.postJson(path, { csrf: genuine })],
      ];
      for (const [what, send] of forgeries) {
        await assertNothingSent(t, [hook], async () => {
          const response = await send();
          assert.equal(response.status, 403, what);
          assert.match(response.html, /did not come from your console session/);
          assertSecurityHeaders(response);
        });
      }
      // the genuine token works (the other side of the rule)
      assert.equal((await client.post(path, { csrf: genuine })).status, 303);
      await receiver.waitFor(hook.path, 3);
    });

    it('404 for another organization\'s endpoint, an unknown, malformed or other endpoint\'s event; sending nothing', async () => {
      const t = await tenant();
      const { hook, eventId } = await deliveredTwice(t);
      const sibling = await t.endpoint([CREATED]);
      const siblingEvent = (await t.log(sibling.id)).length; // no events yet for the sibling
      assert.equal(siblingEvent, 0);
      const other = await tenant();
      const stranger = await signedIn(server(), other.org);
      const client = await signedIn(server(), t.org);

      const refusals: Array<[string, ConsoleClient, string]> = [
        ['another organization\'s session', stranger, resendPath(hook.id, eventId)],
        ['an unknown event', client, resendPath(hook.id, UNKNOWN_EVENT)],
        ['a malformed event id', client, resendPath(hook.id, 'whe_nope')],
        ['the event of another endpoint', client, resendPath(sibling.id, eventId)],
        ['an unknown endpoint', client, resendPath(`whep_01${'A'.repeat(22)}`, eventId)],
        ['a malformed endpoint id', client, resendPath('nope', eventId)],
      ];
      for (const [what, who, path] of refusals) {
        await assertNothingSent(t, [hook, sibling], async () => {
          const response = await who.submit(path, {});
          assert.equal(response.status, 404, what);
          assertSecurityHeaders(response);
        });
      }
    });

    it('refuses a re-send while an attempt is in flight, and on a disabled endpoint (400 on the page), sending nothing', async () => {
      const t = await tenant();
      const client = await signedIn(server(), t.org);

      // in flight: the receiver holds the first attempt (until the 2 s timeout)
      const slow = await t.endpoint([OPENED], ['hang']);
      const csrf = await client.csrf();
      await t.open(await newProfile(server(), t.org));
      const [held] = await receiver.waitFor(slow.path, 1);
      const inFlight = await client.post(resendPath(slow.id, held.headers['webhook-id']), { csrf });
      assert.equal(inFlight.status, 400);
      assert.match(inFlight.html, /role="alert">Not re-sent: An attempt to deliver this event is in flight/);
      await receiver.waitFor(slow.path, 2, 5000);
      await t.quiet();
      assert.deepEqual((await t.log(slow.id)).map((e) => [e.attempt, e.status]), [[2, 200], [1, null]], 'the refused re-send added no attempt');
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(receiver.to(slow.path).length, 2);

      // disabled: no Re-send form on the page, and the form refused if posted anyway
      const { hook, eventId } = await deliveredTwice(t);
      await t.webhooks.update(hook.id, { state: 'disabled' });
      const page = await client.get(hookPath(hook.id));
      assert.match(page.html, /events cannot be re-sent until it is enabled again/);
      assert.deepEqual(logRows(page.html).map((r) => r.resend), [false, false]);
      await assertNothingSent(t, [hook], async () => {
        const response = await client.submit(resendPath(hook.id, eventId), {});
        assert.equal(response.status, 400);
        assert.match(response.html, /role="alert">Not re-sent: This webhook endpoint is disabled; enable it before re-sending events\./);
      });
      // enabled again, the same form works
      await t.webhooks.update(hook.id, { state: 'enabled' });
      assert.equal((await client.submit(resendPath(hook.id, eventId), {})).status, 303);
      await receiver.waitFor(hook.path, 3);
    });
  });
}, ENV);
