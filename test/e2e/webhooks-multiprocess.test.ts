/**
 * Webhook delivery from two `uprof serve` processes on one PostgreSQL database, both running the delivery
 * worker with a 20 ms poll. Deliveries are leased in the database, so the processes share the work but
 * never send one event twice at once: with a receiver that always says 200, each event arrives exactly
 * once; with one that fails each event's first attempt, each arrives exactly twice, the retry waiting
 * for the schedule, and never two requests of one event in flight together. The caps on attempts in flight
 * per endpoint hold across the processes, not per process.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MintedKey } from '../../src/keys.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { engines, POSTGRES_URL } from '../support/engines.ts';
import { callProcess, mintKeyWithCli, range, sdkFor, startServerProcess, uprofCli, type ServerProcess } from '../support/processes.ts';
import { DELIVERY_CAPS } from '../../src/webhooks/worker.ts';
import { LoadReceiver, waitUntil, type Arrival, type Reply } from './webhook-load-receiver.ts';
import { Receiver } from './webhook-receiver.ts';

const postgres = (await engines()).find((engine) => engine.name === 'postgres');
const SKIPPED = postgres ? null : `PostgreSQL is not reachable at ${POSTGRES_URL} (or UPROF_TEST_ENGINES=sqlite): two processes need a shared database server`;
if (SKIPPED) console.log(`webhook multiprocess tests SKIPPED: ${SKIPPED}`);

const CREATED = 'user_profile.created';
const OPENED = 'user_profile.enforcement_action_opened';
/** 100 creates + a restriction on each: 200 events */
const PROFILES = 100;
const RETRY_MS = 300;
const ENV = {
  UPROF_MASTER_KEY: randomBytes(32).toString('base64'),
  WEBHOOK_POLL_MS: '20',
  WEBHOOK_RETRY_SCHEDULE: String(RETRY_MS / 1000),
  WEBHOOK_TIMEOUT_MS: '5000',
};
/** a receiver that answers within 0–20 ms: quick, yet long enough for two concurrent sends to overlap */
const quickly = (status: number): Reply => ({ status, afterMs: Math.floor(Math.random() * 20) + 1 });

describe('webhook deliveries from two processes on one PostgreSQL database', () => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  let procs: ServerProcess[] = [];
  let store: Store | undefined;

  before(async () => {
    if (!postgres) return;
    database = await postgres.createDatabase();
    procs = await Promise.all(range(2).map(() => startServerProcess(database!.url, ENV)));
    store = await openStore({ databaseUrl: database.url });
  });

  after(async () => {
    await Promise.all(procs.map((proc) => proc.stop()));
    await store?.close();
    await database?.drop();
  });

  /** A fresh organization (keys minted with the CLI, as an operator would) and a receiver subscribed to both event types. */
  async function tenant() {
    const organization = `webhooks-mp-${randomUUID()}`;
    const platform = await mintKeyWithCli(database!.url, organization);
    const minted = await uprofCli(['keys', 'create', '--org', organization, '--operator', '--json'], database!.url);
    assert.equal(minted.code, 0, minted.stderr);
    const operator: MintedKey = JSON.parse(minted.stdout.trim().split('\n').pop()!);
    assert.equal(operator.organization_id, platform.organization_id);

    const receiver = await LoadReceiver.start();
    receiver.senders = procs.map((proc) => proc.pid);
    const endpoint = await sdkFor(procs[0], platform.api_key).beta.organization.webhooks.create({ url: receiver.url, enabled_events: [CREATED as any, OPENED] });
    receiver.useSecret(endpoint.signing_secret);

    /** 100 creates and a restriction on each, spread over both processes, 10 at a time: the events expected */
    async function fire(): Promise<Set<string>> {
      const expected = new Set<string>();
      let next = 0;
      await Promise.all(range(10).map(async () => {
        for (let n = next++; n < PROFILES; n = next++) {
          const profile = await sdkFor(procs[n % 2], platform.api_key).userProfiles.create({ name: `subject-${n}` });
          expected.add(`${CREATED} ${profile.id}`);
          const opened = await callProcess(procs[(n + 1) % 2], 'POST', `/v1/operator/user_profiles/${profile.id}/enforcement_actions`, {
            key: operator.api_key,
            body: { type: 'restriction', reason: 'fraud_or_abuse' },
          });
          assert.equal(opened.status, 200, opened.text);
          expected.add(`${OPENED} ${profile.id} ${opened.json.opened_action_id}`);
        }
      }));
      return expected;
    }

    /** no delivery of this organization left pending; then a few polls more, so a late double send would show */
    async function quiet(): Promise<void> {
      await waitUntil(async () => {
        const row = await store!.sql.get<{ n: number }>(
          "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE organization_id = ? AND state = 'pending'",
          [platform.organization_id],
        );
        return Number(row?.n) === 0;
      }, 'no pending deliveries', 30_000);
      await sleep(500);
    }

    /** delivery rows by state and attempt count, e.g. {"delivered/1": 200} */
    async function outbox(): Promise<Record<string, number>> {
      const rows = await store!.sql.all<{ state: string; attempts: number; n: number }>(
        'SELECT state, attempts, COUNT(*) AS n FROM webhook_deliveries WHERE organization_id = ? GROUP BY state, attempts',
        [platform.organization_id],
      );
      return Object.fromEntries(rows.map((r) => [`${r.state}/${r.attempts}`, Number(r.n)]));
    }

    return { receiver, fire, quiet, outbox };
  }

  /** The events received, as "type profile [action]", each verified by unwrap() and sent under its own id. */
  function received(arrivals: Arrival[]): string[] {
    return arrivals.map((a) => {
      assert.ok(a.verified.ok, `unwrap() accepted ${a.webhookId}: ${JSON.stringify(a.verified)}`);
      const event = a.verified.event;
      assert.equal(event.id, a.webhookId);
      const { type, id, enforcement_action_id } = event.data;
      return [type, id, enforcement_action_id].filter(Boolean).join(' ');
    });
  }

  /** Both processes took part, or the test would not be about two processes. */
  function assertBothSent(t: TestContext, arrivals: Arrival[]) {
    const counts = procs.map((proc) => arrivals.filter((a) => a.sender === proc.pid).length);
    t.diagnostic(`requests sent per process: ${counts.join(' / ')} (${arrivals.filter((a) => a.sender === null).length} unattributed)`);
    for (const [n, count] of counts.entries()) assert.ok(count > 0, `process ${n} delivered some events`);
  }

  function ready(t: TestContext): boolean {
    if (SKIPPED) t.skip(SKIPPED);
    return !SKIPPED;
  }

  it(`a receiver that holds every request gets ${DELIVERY_CAPS.perEndpoint} at once from both processes together; another organization's event goes out meanwhile`, async (t) => {
    if (!ready(t)) return;
    const receiver = await Receiver.start();
    try {
      /** an organization with one endpoint on a receiver path answering `answer` */
      const organization = async (answer: 'hold' | 200) => {
        const platform = await mintKeyWithCli(database!.url, `webhooks-mp-${randomUUID()}`);
        const { path, url } = receiver.newPath();
        receiver.script(path, [], answer);
        const endpoint = await sdkFor(procs[0], platform.api_key).beta.organization.webhooks.create({ url, enabled_events: [CREATED as any] });
        receiver.useSecret(path, endpoint.signing_secret);
        return { platform, path };
      };
      const slow = await organization('hold');
      for (let n = 0; n < 24; n++) await sdkFor(procs[n % 2], slow.platform.api_key).userProfiles.create({ name: `held-${n}` });
      await waitUntil(() => receiver.held(slow.path) === DELIVERY_CAPS.perEndpoint, `${DELIVERY_CAPS.perEndpoint} held requests`);
      // both workers poll every 20 ms: with caps per process, the other one would have sent its own 4 by now
      await sleep(500);
      const other = await organization(200);
      await sdkFor(procs[1], other.platform.api_key).userProfiles.create({ name: 'other' });
      await receiver.waitFor(other.path, 1, 30_000);
      assert.equal(receiver.to(slow.path).length, DELIVERY_CAPS.perEndpoint, 'only the capped number was ever sent to the holding receiver');
      receiver.script(slow.path, [], 200);
      receiver.release(slow.path);
      await waitUntil(() => new Set(receiver.to(slow.path).map((d) => d.headers['webhook-id'])).size === 24, 'the whole backlog delivered', 30_000);
      assert.equal(receiver.peakHeld(slow.path), DELIVERY_CAPS.perEndpoint, 'never more in flight to it, over both processes');
      t.diagnostic(`requests to the holding receiver: ${receiver.to(slow.path).length} for 24 events`);
    } finally {
      await receiver.close();
    }
  });

  it(`a receiver that always answers 200: each of ${2 * PROFILES} events arrives exactly once`, async (t) => {
    if (!ready(t)) return;
    const { receiver, fire, quiet, outbox } = await tenant();
    receiver.policy = () => quickly(200);
    const expected = await fire();
    assert.equal(expected.size, 2 * PROFILES);
    await waitUntil(() => receiver.byWebhookId().size >= expected.size, `${expected.size} events (got ${receiver.byWebhookId().size})`, 30_000);
    await quiet();
    try {
      const events = received(receiver.arrivals);
      assert.deepEqual([...events].sort(), [...expected].sort(), 'every event once, nothing else');
      const twice = [...receiver.byWebhookId()].filter(([, arrivals]) => arrivals.length > 1).map(([id, arrivals]) => `${id} ×${arrivals.length}`);
      assert.deepEqual(twice, [], 'no event sent twice');
      assert.deepEqual(await outbox(), { 'delivered/1': expected.size });
      assertBothSent(t, receiver.arrivals);
    } finally {
      await receiver.close();
    }
  });

  it(`a receiver that fails each event's first attempt: exactly 2 attempts per event, ${RETRY_MS} ms apart, never two at once`, async (t) => {
    if (!ready(t)) return;
    const { receiver, fire, quiet, outbox } = await tenant();
    receiver.policy = ({ nth }) => quickly(nth === 1 ? 500 : 200);
    const expected = await fire();
    const done = () => [...receiver.byWebhookId().values()].filter((arrivals) => arrivals.some((a) => a.answered === 200)).length;
    await waitUntil(() => done() >= expected.size, `${expected.size} events delivered (got ${done()})`, 30_000);
    await quiet();
    try {
      assert.deepEqual([...new Set(received(receiver.arrivals))].sort(), [...expected].sort(), 'every event, nothing else');
      const wrong: string[] = [];
      for (const [id, arrivals] of receiver.byWebhookId()) {
        const answers = arrivals.map((a) => a.answered);
        if (answers.length !== 2 || answers[0] !== 500 || answers[1] !== 200) wrong.push(`${id}: answered ${answers.join(', ')}`);
        else if (arrivals[1].at - arrivals[0].answeredAt! < RETRY_MS - 20) wrong.push(`${id}: retried after ${arrivals[1].at - arrivals[0].answeredAt!} ms`);
        if (receiver.peakConcurrency(id) > 1) wrong.push(`${id}: ${receiver.peakConcurrency(id)} requests in flight at once`);
        if (new Set(arrivals.map((a) => a.body)).size !== 1) wrong.push(`${id}: bodies differ`);
      }
      assert.deepEqual(wrong, [], 'each event: 500 then 200, the retry after the schedule, one request at a time');
      assert.deepEqual(await outbox(), { 'delivered/2': expected.size });
      // the retry may come from either process: the one that failed is not bound to the event
      const movedOver = [...receiver.byWebhookId().values()].filter(([first, second]) => first.sender !== second.sender).length;
      t.diagnostic(`${movedOver} of ${expected.size} retries were sent by the other process`);
      assertBothSent(t, receiver.arrivals);
    } finally {
      await receiver.close();
    }
  });
});
