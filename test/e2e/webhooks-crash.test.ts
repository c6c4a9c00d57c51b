/**
 * Webhook delivery survives a SIGKILL (decisions §27: at least once, the same `webhook-id` on every attempt).
 * A real `uprof serve` child process queues ~100 `user_profile.created` events for a receiver that keeps
 * failing (503, slowly), is killed while deliveries are pending and attempts are in flight, and is
 * restarted on the same database with the same UPROF_MASTER_KEY once the receiver answers 200. Every
 * committed create must then be delivered, signed, under one event id; nothing that did not commit may
 * be delivered at all.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { UserProfile } from '@anthropic-ai/sdk/resources/user-profiles';
import { mintKey, type MintedKey } from '../../src/keys.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { engines } from '../support/engines.ts';
import { describeOutcome, outcome, range, sdkFor, startServerProcess, type ServerProcess } from '../support/processes.ts';
import { LoadReceiver, waitUntil, type Arrival } from './webhook-load-receiver.ts';

const CREATED = 'user_profile.created';
const PROFILES = 100;
const REFUSED = 10;
/** each failing attempt is held this long before its 503, so attempts are in flight most of the time */
const SLOW_503 = { status: 503, afterMs: 150 };
const ENV = {
  // the same master key for both lives of the server: the signing secret must still open after the restart
  UPROF_MASTER_KEY: randomBytes(32).toString('base64'),
  // plenty of 1 s retries: no event may run out of them before the restart
  WEBHOOK_RETRY_SCHEDULE: range(30).map(() => '1').join(','),
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_POLL_MS: '50',
};
/** an in-flight attempt's lease outlives the kill by the timeout + 5 s; then its event is retried */
const DELIVERED_WITHIN_MS = 30_000;

/** runs `work` over `items`, `width` at a time */
async function eachConcurrently<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(range(width).map(async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function listAll(server: ServerProcess, apiKey: string): Promise<UserProfile[]> {
  const all: UserProfile[] = [];
  let page: string | null = null;
  for (let n = 0; n < 100; n++) {
    const result = await sdkFor(server, apiKey).userProfiles.list({ limit: 100, ...(page ? { page } : {}) });
    all.push(...result.data);
    page = result.next_page;
    if (page === null) return all;
  }
  throw new Error('the list did not end within 100 pages');
}

const eventOf = (arrival: Arrival) => (arrival.verified.ok ? arrival.verified.event : null);

for (const engine of await engines()) {
  describe(`webhook deliveries across a SIGKILL and a restart [${engine.name}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    let store: Store;
    let key: MintedKey;
    let receiver: LoadReceiver;
    let server: ServerProcess | undefined;

    before(async () => {
      database = await engine.createDatabase();
      store = await openStore({ databaseUrl: database.url });
      key = await mintKey(store, { organization: `webhooks-crash-${engine.name}-${process.pid}`, createOrganization: true, role: 'platform' });
      receiver = await LoadReceiver.start();
      server = await startServerProcess(database.url, ENV);
    });

    after(async () => {
      await server?.kill();
      await receiver?.close();
      await store?.close();
      await database?.drop();
    });

    /** deliveries of this organization by state, straight from the outbox */
    async function deliveryStates(): Promise<Record<string, number>> {
      const rows = await store.sql.all<{ state: string; n: number }>(
        'SELECT state, COUNT(*) AS n FROM webhook_deliveries WHERE organization_id = ? GROUP BY state',
        [key.organization_id],
      );
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    }

    it(`${PROFILES} pending created events survive a SIGKILL mid-delivery: each delivered after the restart, under one webhook-id`, async (t) => {
      const hooks = sdkFor(server!, key.api_key).beta.organization.webhooks;
      const endpoint = await hooks.create({ url: receiver.url, enabled_events: [CREATED as any] }) // an extension event: the SDK's type does not list it;
      receiver.useSecret(endpoint.signing_secret);
      receiver.policy = () => SLOW_503;

      // 100 creates answered 200, and 10 refused ones (a 256-character name) mixed in among them
      const acknowledged: UserProfile[] = [];
      const refusals: string[] = [];
      const jobs = range(PROFILES + REFUSED).map((n) => (n % 11 === 10 ? { refused: true, name: 'x'.repeat(256) } : { refused: false, name: `subject-${n}` }));
      await eachConcurrently(jobs, 10, async (job) => {
        const result = await outcome(sdkFor(server!, key.api_key).userProfiles.create({ name: job.name }));
        if (job.refused) refusals.push(result.ok ? '200' : `${result.status} ${result.type}`);
        else if (result.ok) acknowledged.push(result.value);
        else assert.fail(`a valid create was refused: ${describeOutcome(result)}`);
      });
      assert.equal(acknowledged.length, PROFILES);
      assert.deepEqual(refusals, range(REFUSED).map(() => '400 invalid_request_error'));

      // every event has been tried (and refused) at least once; then kill while some attempts are in flight
      const ids = new Set(acknowledged.map((p) => p.id));
      const triedProfiles = () => new Set(receiver.arrivals.map((a) => eventOf(a)?.data.id));
      await waitUntil(() => [...ids].every((id) => triedProfiles().has(id)), 'a first attempt for every event', 20_000);
      await waitUntil(() => receiver.unanswered.length > 0, 'an attempt in flight', 10_000);
      const inFlight = receiver.unanswered;
      const exit = await server!.kill('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL');
      const arrivalsBeforeKill = receiver.arrivals.length;
      assert.ok(receiver.arrivals.every((a) => a.answered !== 200), 'nothing was acknowledged before the kill');
      assert.deepEqual(await deliveryStates(), { pending: PROFILES }, 'every event still pending in the outbox');

      receiver.policy = () => 200;
      server = await startServerProcess(database.url, ENV);
      const delivered = () => new Set(receiver.arrivals.filter((a) => a.answered === 200).map((a) => eventOf(a)?.data.id));
      await waitUntil(() => [...ids].every((id) => delivered().has(id)), `every event delivered after the restart (${delivered().size} of ${PROFILES})`, DELIVERED_WITHIN_MS);
      await waitUntil(async () => (await deliveryStates()).pending === undefined, 'nothing pending in the outbox');
      await new Promise((resolve) => setTimeout(resolve, 300)); // a few polls more: nothing else may arrive

      // every request was genuine: unwrap() accepted it with the endpoint's secret
      const unverified = receiver.arrivals.filter((a) => !a.verified.ok).map((a) => a.verified);
      assert.deepEqual(unverified, [], 'every delivery verifies');

      // one event per committed create: all its deliveries share one webhook-id and one body
      const eventIdsByProfile = new Map<string, Set<string>>();
      for (const [webhookId, arrivals] of receiver.byWebhookId()) {
        assert.equal(new Set(arrivals.map((a) => a.body)).size, 1, `${webhookId}: the same body on every delivery`);
        const event = eventOf(arrivals[0]);
        assert.equal(event.id, webhookId, 'webhook-id is the event id');
        assert.deepEqual(event.data, { type: CREATED, id: event.data.id, organization_id: key.organization_id });
        eventIdsByProfile.set(event.data.id, new Set([...(eventIdsByProfile.get(event.data.id) ?? []), webhookId]));
        assert.equal(arrivals.filter((a) => a.answered === 200).length, 1, `${webhookId}: acknowledged once (one process after the restart)`);
      }
      for (const [profileId, eventIds] of eventIdsByProfile) assert.equal(eventIds.size, 1, `${profileId}: one event id, however often it was sent`);

      // exactly the creates that committed: the acknowledged ones; the refused ones left no profile and no event
      const listed = await listAll(server!, key.api_key);
      assert.deepEqual(listed.map((p) => p.id).sort(), [...ids].sort(), 'the listed profiles are the acknowledged creates');
      assert.deepEqual([...eventIdsByProfile.keys()].sort(), [...ids].sort(), 'events for exactly those profiles');

      // the attempts cut off by the kill were made again, after the restart, under the same webhook-id
      for (const cut of inFlight) {
        const later = receiver.arrivals.slice(arrivalsBeforeKill).filter((a) => a.webhookId === cut.webhookId && a.answered === 200);
        assert.equal(later.length, 1, `${cut.webhookId}: re-sent after the restart`);
        assert.equal(later[0].body, cut.body);
      }
      assert.deepEqual(await deliveryStates(), { delivered: PROFILES });
      assert.ok(server!.running);
      assert.deepEqual(server!.log.split('\n').filter((line) => /"level":(5|6)0/.test(line)), [], 'the restarted server logged no error');
      t.diagnostic(`${receiver.arrivals.length} requests for ${PROFILES} events; ${inFlight.length} in flight at the kill; ` +
        `${receiver.arrivals.length - arrivalsBeforeKill} after the restart`);
    });
  });
}
