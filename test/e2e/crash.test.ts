import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type Anthropic from '@anthropic-ai/sdk';
import type { UserProfile } from '@anthropic-ai/sdk/resources/user-profiles';
import { mintKey, type MintedKey } from '../../src/keys.ts';
import { openStore } from '../../src/store/index.ts';
import { engines, type Engine } from '../support/engines.ts';
import { describeOutcome, outcome, range, sdkFor, startServerProcess, type ServerProcess } from '../support/processes.ts';

/**
 * Issue 3: a uprof process killed with SIGKILL in the middle of a write load loses nothing it
 * acknowledged, leaves nothing half-written, and the next process starts cleanly on the same database.
 * SQLite runs in both durability modes: the default (NORMAL) and FULL.
 */

const CREATORS = 15;
const UPDATERS = 5; // one per counter profile, so each profile's updates are acknowledged in order
const KILL_AFTER_MS = 1500;
const MAX_LOAD_MS = 10_000;
/** acknowledged creates (and 2 updates per counter) a round needs before the kill */
const MIN_CREATES = 50;
/** every field of a GA profile, present in every answer (decisions §30) */
const PROFILE_FIELDS = [
  'access_type', 'created_at', 'enforcement_actions', 'enforcement_status', 'external_user_details', 'id', 'metadata',
  'name', 'programs', 'type', 'updated_at',
];

interface Sent {
  name: string;
  metadata: Record<string, string>;
  external_user_details: { reference_id: string };
}

/** Everything the clients sent and everything the server acknowledged, across every round. */
class Ledger {
  readonly sent = new Map<string, Sent>(); // by name: every create ever sent
  readonly created: UserProfile[] = []; // every create answered 200
  counters: UserProfile[] = []; // the profiles the updaters write
  readonly counterSent: number[] = range(UPDATERS).map(() => 0); // highest counter value sent, per profile
  readonly counterAcked: number[] = range(UPDATERS).map(() => 0); // highest counter value answered 200
}

const counterName = (u: number, value: number) => `counter-${u}-${value}`;
const counterBody = (u: number, value: number) => ({ name: counterName(u, value), metadata: { counter: String(value), owner: String(u) } });

/**
 * ~20 clients write as fast as they can; after KILL_AFTER_MS the server is SIGKILLed under them. Before
 * the kill every answer must be 200; after it, no answer at all (connection refused or reset).
 */
async function writeUntilKilled(server: ServerProcess, apiKey: string, ledger: Ledger, round: number) {
  let killed = false;
  let inFlight = 0;
  let inFlightAtKill = -1;
  const unexpected: string[] = [];
  const acksBefore = ledger.created.length;

  const send = async <T>(request: () => PromiseLike<T>) => {
    inFlight++;
    try {
      const result = await outcome(request());
      if (!result.ok && !(killed && result.status === undefined)) unexpected.push(describeOutcome(result));
      return result;
    } finally {
      inFlight--;
    }
  };

  const creator = async (sdk: Anthropic, w: number) => {
    for (let n = 0; n < 5000; n++) {
      const name = `r${round}-w${w}-${n}`;
      const body: Sent = {
        name,
        metadata: { round: String(round), worker: String(w), seq: String(n), payload: `${name}:${'x'.repeat(n % 200)}` },
        external_user_details: { reference_id: `ref-${name}` },
      };
      ledger.sent.set(name, body);
      const result = await send(() => sdk.userProfiles.create(body));
      if (!result.ok) return;
      ledger.created.push(result.value);
    }
  };

  const updater = async (sdk: Anthropic, u: number) => {
    for (let n = 0; n < 5000; n++) {
      const value = ++ledger.counterSent[u];
      const result = await send(() => sdk.userProfiles.update(ledger.counters[u].id, counterBody(u, value)));
      if (!result.ok) return;
      if (result.value.metadata.counter !== String(value)) unexpected.push(`counter ${u}: answered ${JSON.stringify(result.value.metadata)} for ${value}`);
      ledger.counterAcked[u] = value;
    }
  };

  const workers = [
    ...range(CREATORS).map((w) => creator(sdkFor(server, apiKey), w)),
    ...range(UPDATERS).map((u) => updater(sdkFor(server, apiKey), u)),
  ];
  // ~1.5 s of load; on a slow machine, on until enough writes were acknowledged to make the kill mean something
  const started = Date.now();
  const countersBefore = [...ledger.counterAcked];
  const enoughLoad = () =>
    ledger.created.length - acksBefore >= MIN_CREATES && ledger.counterAcked.every((value, u) => value >= countersBefore[u] + 2);
  while (Date.now() - started < KILL_AFTER_MS || (!enoughLoad() && Date.now() - started < MAX_LOAD_MS)) await sleep(20);
  killed = true;
  inFlightAtKill = inFlight;
  const exit = await server.kill('SIGKILL');
  await Promise.all(workers);

  assert.deepEqual(unexpected, [], 'before the kill every write was answered 200; after it, none was answered');
  assert.equal(exit.signal, 'SIGKILL');
  assert.ok(inFlightAtKill > 0, 'the kill landed while requests were in flight');
  assert.ok(enoughLoad(), `a real load before the kill (${ledger.created.length - acksBefore} creates acknowledged)`);
  return { creates: ledger.created.length - acksBefore, inFlightAtKill };
}

/** every profile of the organization, 100 at a time */
async function listAll(sdk: Anthropic): Promise<UserProfile[]> {
  const all: UserProfile[] = [];
  let page: string | null = null;
  for (let n = 0; n < 1000; n++) {
    const result = await sdk.userProfiles.list({ limit: 100, ...(page ? { page } : {}) });
    all.push(...result.data);
    page = result.next_page;
    if (page === null) return all;
  }
  throw new Error('the list did not end within 1000 pages');
}

/** runs `work` over `items`, `width` at a time */
async function eachConcurrently<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(range(width).map(async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** After a restart: the database as the clients were told it is, and nothing else. */
async function verifyAfterRestart(server: ServerProcess, apiKey: string, ledger: Ledger) {
  const sdk = sdkFor(server, apiKey);
  const listed = await listAll(sdk);
  const ids = listed.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'no profile listed twice');
  const names = listed.map((p) => p.name);
  assert.equal(new Set(names).size, names.length, 'no create was stored twice');

  // nothing half-written: each profile whole, and exactly as one request sent it
  for (const profile of listed) {
    assert.deepEqual(Object.keys(profile).sort(), PROFILE_FIELDS, `${profile.id} has the full shape`);
    assert.equal(profile.type, 'user_profile');
    const counter = /^counter-(\d+)-(\d+)$/.exec(profile.name ?? '');
    if (counter) {
      const [u, value] = [Number(counter[1]), Number(counter[2])];
      assert.deepEqual({ name: profile.name, metadata: profile.metadata }, counterBody(u, value), `${profile.name}: name and metadata from one update`);
      continue;
    }
    const sent = ledger.sent.get(profile.name!);
    assert.ok(sent, `${profile.id} (${profile.name}) matches a create that was sent`);
    assert.deepEqual(profile.metadata, sent.metadata, `${profile.name}: metadata as sent`);
    assert.equal(profile.external_user_details.reference_id, sent.external_user_details.reference_id);
  }

  // every acknowledged create: retrievable, exactly as it was answered
  const listedIds = new Set(ids);
  await eachConcurrently(ledger.created, 20, async (created) => {
    assert.ok(listedIds.has(created.id), `${created.name} is listed`);
    assert.deepEqual(await sdk.userProfiles.retrieve(created.id), created, `${created.name} intact`);
  });

  // every acknowledged update: reflected (never older than the last 200, never a value not sent)
  for (const [u, profile] of ledger.counters.entries()) {
    const stored = await sdk.userProfiles.retrieve(profile.id);
    const value = Number(stored.metadata.counter);
    assert.ok(value >= ledger.counterAcked[u], `counter ${u}: stored ${value} ≥ acknowledged ${ledger.counterAcked[u]}`);
    assert.ok(value <= ledger.counterSent[u], `counter ${u}: stored ${value} ≤ sent ${ledger.counterSent[u]}`);
    assert.deepEqual({ name: stored.name, metadata: stored.metadata }, counterBody(u, value));
  }

  // no leftover lock: every counter row and a fresh insert can be written right away
  for (const [u, profile] of ledger.counters.entries()) {
    const value = ++ledger.counterSent[u];
    const result = await outcome(sdk.userProfiles.update(profile.id, counterBody(u, value)));
    assert.ok(result.ok, `counter ${u} can be updated after the restart: ${describeOutcome(result)} ` +
      `(server running: ${server.running}; cause: ${(result as any).error?.cause?.message}; log: ${server.log})`);
    ledger.counterAcked[u] = value;
  }
  const name = `after-restart-${ledger.created.length}`;
  const body: Sent = { name, metadata: { after: 'restart' }, external_user_details: { reference_id: `ref-${name}` } };
  ledger.sent.set(name, body);
  ledger.created.push(await sdk.userProfiles.create(body));
  return { listed: listed.length, storedUnacknowledged: listed.length - ledger.created.length + 1 - ledger.counters.length };
}

function assertSqliteIntact(databaseUrl: string) {
  const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  } finally {
    db.close();
  }
}

/** the server said nothing at error level or above (pino: 50 error, 60 fatal) */
function assertNoErrorsLogged(server: ServerProcess) {
  const bad = server.log.split('\n').filter((line) => /"level":(5|6)0/.test(line));
  assert.deepEqual(bad, [], 'no errors logged');
}

/** Every engine, and SQLite in both durability modes: a process crash must lose no acknowledged write in either. */
const legs = (await engines()).flatMap((engine): { engine: Engine; mode: 'NORMAL' | 'FULL' | null }[] =>
  engine.name === 'sqlite'
    ? [{ engine, mode: 'NORMAL' }, { engine, mode: 'FULL' }]
    : [{ engine, mode: null }],
);

for (const { engine, mode } of legs) {
  const env: Record<string, string> = mode ? { SQLITE_SYNCHRONOUS: mode } : {};
  describe(`SIGKILL mid-load, restart on the same database [${engine.name}${mode ? `, ${mode}` : ''}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    let key: MintedKey;
    let server: ServerProcess | undefined;
    const ledger = new Ledger();

    before(async () => {
      database = await engine.createDatabase();
      const store = await openStore({ databaseUrl: database.url });
      key = await mintKey(store, { organization: `crash-${engine.name}-${mode ?? ''}-${process.pid}`, createOrganization: true, role: 'platform' });
      await store.close();
      server = await startServerProcess(database.url, env);
      const sdk = sdkFor(server, key.api_key);
      ledger.counters = await Promise.all(range(UPDATERS).map((u) => sdk.userProfiles.create(counterBody(u, 0))));
    });

    after(async () => {
      await server?.kill();
      await database?.drop();
    });

    for (const round of [1, 2]) {
      it(`kill ${round} of 2: acknowledged creates and updates survive, nothing half-written, the restart is clean`, async (t) => {
        const load = await writeUntilKilled(server!, key.api_key, ledger, round);
        server = await startServerProcess(database.url, env);
        if (engine.name === 'sqlite') assertSqliteIntact(database.url);
        const found = await verifyAfterRestart(server, key.api_key, ledger);
        t.diagnostic(`${load.creates} creates acknowledged this round, ${load.inFlightAtKill} requests in flight at the kill, ` +
          `${found.storedUnacknowledged} stored without an answer; counters acknowledged up to ${ledger.counterAcked.join('/')}`);
        if (engine.name === 'sqlite') assertSqliteIntact(database.url);
        assertNoErrorsLogged(server);
        assert.ok(server.running);
      });
    }
  });
}
