/**
 * Webhook delivery under concurrent load on each engine: dead receivers (every attempt a 500) for two
 * organizations' endpoints, while profiles are created, events re-sent and endpoints updated and switched
 * off and on through the API. Every attempt the receivers saw must be in the delivery log (an attempt whose
 * outcome could not be recorded — a failed transaction, a deadlock — is missing from it), nothing may stay
 * pending, no request may fail with a 5xx, and on PostgreSQL the database must have detected no deadlock
 * (pg_stat_database.deadlocks of a database of the test's own, before and after).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { engines, POSTGRES_URL, type Engine } from '../support/engines.ts';
import { call, startServer, type TestServer } from '../support/server.ts';
import { Receiver, waitUntil } from './webhook-receiver.ts';

const BETA = 'webhooks-2026-10-07';
const CREATED = 'user_profile.created';
/** 4 attempts per event, 20 ms apart; an endpoint is disabled after 40 failed events in a row */
const ENV = { WEBHOOK_RETRY_SCHEDULE: '0.02,0.02,0.02', WEBHOOK_TIMEOUT_MS: '5000', WEBHOOK_DISABLE_AFTER: '40', WEBHOOK_POLL_MS: '20' };
const EVENTS_PER_ORGANIZATION = 64;

/** PostgreSQL with a database of its own (not a schema), so that its deadlock count is this test's alone. */
const ownPostgresDatabase: Engine = {
  name: 'postgres',
  async createDatabase() {
    const name = `uprof_test_${randomBytes(6).toString('hex')}`;
    await admin((client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    return { url: url.toString(), drop: () => admin((client) => client.query(`DROP DATABASE ${name} WITH (FORCE)`)).then(() => {}) };
  },
};

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Deadlocks PostgreSQL has detected in the database, once none of its connections is left (they flush their counts as they end). */
async function deadlocks(url: string): Promise<number> {
  const name = new URL(url).pathname.slice(1);
  const stats = async () =>
    (await admin((client) => client.query('SELECT numbackends, deadlocks FROM pg_stat_database WHERE datname = $1', [name]))).rows[0];
  await waitUntil(async () => Number((await stats())?.numbackends ?? 0) === 0, `no connection left to ${name}`);
  return Number((await stats())?.deadlocks ?? 0);
}

const engineList = (await engines()).map((engine) => (engine.name === 'postgres' ? ownPostgresDatabase : engine));

describe('webhook delivery under concurrent deliveries, re-sends and endpoint updates', () => {
  for (const engine of engineList) {
    it(`[${engine.name}] every attempt is recorded, nothing stays pending, no 5xx${engine.name === 'postgres' ? ', and no deadlock' : ''}`, async (t) => {
      const database = await engine.createDatabase();
      const receiver = await Receiver.start();
      let server: TestServer | null = null;
      try {
        const deadlocksBefore = engine.name === 'postgres' ? await deadlocks(database.url) : 0;
        // the server's own close leaves the database; this test drops it
        server = await startServer({ name: engine.name, createDatabase: async () => ({ url: database.url, drop: async () => {} }) }, ENV);
        const live = server;
        const headers = { 'anthropic-beta': BETA };

        /** an organization with `count` endpoints on receiver paths that answer 500, every one subscribed to created */
        const organization = async (count: number) => {
          const key = await live.newKey({ organization: `concurrency-${randomUUID()}` });
          const client = new Anthropic({ apiKey: key.api_key, baseURL: live.baseURL, maxRetries: 0 });
          const endpoints = [];
          for (let i = 0; i < count; i++) {
            const { path, url } = receiver.newPath();
            receiver.script(path, [], 500);
            const created = await client.beta.organization.webhooks.create({ url, enabled_events: [CREATED as any] });
            receiver.useSecret(path, created.signing_secret);
            endpoints.push({ id: created.id, path });
          }
          return { key, client, endpoints };
        };
        const organizations = [await organization(3), await organization(2)];
        const paths = organizations.flatMap((o) => o.endpoints.map((e) => e.path));

        /** answers that are neither a success nor a client error, from any request of the test */
        const serverErrors: string[] = [];
        const check = (what: string, status: number, text: string) => {
          if (status >= 500) serverErrors.push(`${what}: ${status} ${text}`);
        };
        let creating = true;
        const creates = organizations.map(async (o) => {
          for (let n = 0; n < EVENTS_PER_ORGANIZATION; n += 4) {
            await Promise.all([0, 1, 2, 3].map((i) => o.client.userProfiles.create({ name: `subject-${n + i}` })));
          }
        });
        const churn = organizations.map(async (o, which) => {
          for (let round = 0; creating || round < 20; round++) {
            const endpoint = o.endpoints[round % o.endpoints.length];
            // a change that locks the endpoint's row, and now and then one that drops its queue (state off and on)
            const described = await call(live, 'POST', `/v1/organizations/webhooks/${endpoint.id}`, { key: o.key.api_key, headers, body: { description: `round ${round}` } });
            check('update', described.status, described.text);
            if (round % 7 === which) {
              for (const state of ['disabled', 'enabled']) {
                const switched = await call(live, 'POST', `/v1/organizations/webhooks/${endpoint.id}`, { key: o.key.api_key, headers, body: { state } });
                check(`state ${state}`, switched.status, switched.text);
              }
            }
            // re-send whatever was attempted lately (queued, or 400 while in flight or disabled)
            const log = await call(live, 'GET', `/v1/organizations/webhooks/${endpoint.id}/deliveries?limit=5`, { key: o.key.api_key, headers });
            check('log', log.status, log.text);
            for (const entry of (log.json?.data ?? []) as { event_id: string }[]) {
              const resent = await call(live, 'POST', `/v1/organizations/webhooks/${endpoint.id}/deliveries/${entry.event_id}/resend`, { key: o.key.api_key, headers });
              check('resend', resent.status, resent.text);
            }
          }
        });
        await Promise.all(creates);
        creating = false;
        await Promise.all(churn);

        // a delivery dropped mid-attempt is no longer pending, but holds its lease until the attempt is recorded
        const unsettled = () => live.store.sql.all<Record<string, unknown>>(
          `SELECT d.endpoint_id, d.event_id, d.state, d.attempts, d.lease_until, e.state AS endpoint_state FROM webhook_deliveries d
           JOIN webhook_endpoints e ON e.organization_id = d.organization_id AND e.id = d.endpoint_id
           WHERE d.state = 'pending' OR d.lease_until > 0`);
        await waitUntil(async () => (await unsettled()).length === 0, 'no delivery left pending or in flight', 60_000).catch(async (error) => {
          throw new Error(`${error.message}: ${JSON.stringify(await unsettled())}`);
        });
        const received = paths.reduce((n, path) => n + receiver.to(path).length, 0);
        const recorded = Number((await live.store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_attempts'))?.n);
        const states = await live.store.sql.all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM webhook_deliveries GROUP BY state ORDER BY state');
        t.diagnostic(`${received} attempts received, ${recorded} recorded; deliveries by state: ${states.map((s) => `${s.state} ${s.n}`).join(', ')}`);
        assert.deepEqual(serverErrors, [], 'no request failed with a 5xx');
        assert.ok(received >= 2 * EVENTS_PER_ORGANIZATION, `the receivers were busy (${received} attempts)`);
        assert.equal(recorded, received, 'every attempt a receiver saw is in the delivery log');

        await server.close();
        server = null;
        if (engine.name === 'postgres') {
          const detected = (await deadlocks(database.url)) - deadlocksBefore;
          t.diagnostic(`deadlocks detected by PostgreSQL in the test's database: ${detected}`);
          assert.equal(detected, 0, 'PostgreSQL detected no deadlock');
        }
      } finally {
        await server?.close();
        await receiver.close();
        await database.drop();
      }
    });
  }
});
