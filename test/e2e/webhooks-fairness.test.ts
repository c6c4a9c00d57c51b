/**
 * Fair webhook delivery on each engine: a receiver that holds every request (until the test releases it)
 * with a backlog of events keeps only its endpoint's share of the worker (DELIVERY_CAPS), and another
 * organization's first event goes out while it holds them; an organization's endpoints take turns within
 * the organization's share. The delay of the other organization's first delivery is reported (a figure,
 * not asserted: bench/webhook-fairness.ts measures the 30-second case).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { DELIVERY_CAPS } from '../../src/webhooks/worker.ts';
import { describeEachEngine } from '../support/suite.ts';
import { deliveriesSettled, Receiver, waitUntil } from './webhook-receiver.ts';

const CREATED = 'user_profile.created';
/** held requests must not time out while the test holds them */
const ENV = { WEBHOOK_TIMEOUT_MS: '60000', WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_SCHEDULE: '0.2' };
const BACKLOG = 64;

describeEachEngine('webhook delivery is fair between endpoints and organizations', (server) => {
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver.close();
  });

  /** A fresh organization with `count` endpoints subscribed to created, each on a path answering `answer`. */
  async function organization(count: number, answer: 'hold' | 200) {
    const key = await server().newKey({ organization: `fairness-${randomUUID()}` });
    const client = new Anthropic({ apiKey: key.api_key, baseURL: server().baseURL, maxRetries: 0 });
    const paths: string[] = [];
    for (let i = 0; i < count; i++) {
      const { path, url } = receiver.newPath();
      receiver.script(path, [], answer);
      const created = await client.beta.organization.webhooks.create({ url, enabled_events: [CREATED as any] });
      receiver.useSecret(path, created.signing_secret);
      paths.push(path);
    }
    /** `n` creates, 8 at a time: `n` events for every endpoint */
    const create = async (n: number) => {
      for (let i = 0; i < n; i += 8) {
        await Promise.all(Array.from({ length: Math.min(8, n - i) }, (_, j) => client.userProfiles.create({ name: `subject-${i + j}` })));
      }
    };
    return { orgId: key.organization_id, client, paths, create };
  }

  /** Answers the held requests of `paths`, and every later one, with 200. */
  function releaseAll(paths: string[]) {
    for (const path of paths) {
      receiver.script(path, [], 200);
      receiver.release(path);
    }
  }

  it(`an endpoint holding every request with ${BACKLOG} events queued keeps ${DELIVERY_CAPS.perEndpoint} in flight; another organization's first event arrives meanwhile`, async (t) => {
    const slow = await organization(1, 'hold');
    const [slowPath] = slow.paths;
    await slow.create(BACKLOG);
    await waitUntil(() => receiver.held(slowPath) === DELIVERY_CAPS.perEndpoint, `${DELIVERY_CAPS.perEndpoint} held requests`);

    const other = await organization(1, 200);
    const sent = Date.now();
    await other.create(1);
    const [first] = await receiver.waitFor(other.paths[0], 1, 30_000);
    t.diagnostic(`the other organization's first delivery arrived ${first.at - sent} ms after its create was sent, while ${receiver.held(slowPath)} requests were held and ${BACKLOG - receiver.held(slowPath)} waited`);
    assert.equal(first.verified.ok, true);
    assert.equal(receiver.held(slowPath), DELIVERY_CAPS.perEndpoint, 'the slow endpoint still held its requests when the other delivery arrived');
    assert.equal(receiver.to(slowPath).length, DELIVERY_CAPS.perEndpoint, 'and nothing more was sent to it meanwhile');

    releaseAll(slow.paths);
    await deliveriesSettled(server(), slow.orgId);
    assert.equal(new Set(receiver.events(slowPath).map((e) => e.id)).size, BACKLOG, 'then its whole backlog went out, each event once');
    assert.equal(receiver.to(slowPath).length, BACKLOG);
    assert.equal(receiver.peakHeld(slowPath), DELIVERY_CAPS.perEndpoint, 'never more in flight to it than its cap');
  });

  it(`an organization whose 3 endpoints hold every request keeps ${DELIVERY_CAPS.perOrganization} in flight, shared between its endpoints`, async (t) => {
    const slow = await organization(3, 'hold');
    await slow.create(20);
    const heldNow = () => slow.paths.reduce((n, path) => n + receiver.held(path), 0);
    await waitUntil(() => heldNow() === DELIVERY_CAPS.perOrganization, `${DELIVERY_CAPS.perOrganization} held requests`);

    const other = await organization(1, 200);
    const sent = Date.now();
    await other.create(1);
    const [first] = await receiver.waitFor(other.paths[0], 1, 30_000);
    t.diagnostic(`the other organization's first delivery arrived ${first.at - sent} ms after its create was sent; held per endpoint: ${slow.paths.map((p) => receiver.held(p)).join(', ')}`);
    assert.equal(heldNow(), DELIVERY_CAPS.perOrganization, 'the organization never had more in flight than its cap');
    for (const path of slow.paths) {
      assert.ok(receiver.held(path) >= 2 && receiver.held(path) <= DELIVERY_CAPS.perEndpoint, `each endpoint had its turn (${slow.paths.map((p) => receiver.held(p)).join(', ')})`);
    }

    releaseAll(slow.paths);
    await deliveriesSettled(server(), slow.orgId);
    for (const path of slow.paths) assert.equal(new Set(receiver.events(path).map((e) => e.id)).size, 20);
  });
}, ENV);
