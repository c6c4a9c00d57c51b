/**
 * Every lookup by key uses its key, whatever the planner's statistics say. The repositories' own statements
 * are recorded while they look rows up by key (profiles, their history, webhook endpoints and deliveries,
 * link tokens, keys, workspaces, organizations), after a burst of rows that the statistics either never saw
 * (no ANALYZE, autovacuum off), saw as a nearly empty table (ANALYZE before the burst), or saw whole; each
 * statement is then explained on the real database — on PostgreSQL both as a generic plan (what a named
 * prepared statement settles on) and as a custom plan — and every index it reads must be a unique one
 * (a primary key or a unique constraint), with no sequential scan. Statements that read pages (ORDER BY)
 * and inserts are not lookups and are left out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { newProfile } from '../../src/domain/profile.ts';
import { newEventId, newId } from '../../src/ids.ts';
import { openSql, openStore, type Store } from '../../src/store/index.ts';
import { ProfileCache } from '../../src/store/profile-cache.ts';
import { PROFILE_INSERT_COLUMNS, profileInsertValues } from '../../src/store/profile-table.ts';
import { ProfileRepository } from '../../src/store/profiles.ts';
import type { Param, Sql, SqliteSql, Statement } from '../../src/store/sql.ts';
import { TenancyRepository } from '../../src/store/tenancy.ts';
import { UrlTokenRepository } from '../../src/store/url-tokens.ts';
import { WebhookRepository } from '../../src/store/webhooks.ts';
import { engines } from '../support/engines.ts';

const BURST_PROFILES = 8000;
const OTHER_ORGANIZATIONS = 3000;
const PLATFORM = { type: 'platform' as const, id: 'apikey_01AbCdEfGhIjKlMnOpQrStUv' };
type Statistics = 'never analyzed' | 'analyzed while nearly empty' | 'analyzed after the burst';

/** The same Sql, noting every statement it is given (inside transactions too). */
function recording(sql: Sql, log: Statement[]): Sql {
  const note = (text: string, params: readonly Param[] = []) => log.push({ sql: text, params });
  return {
    engine: sql.engine,
    all: (text, params) => (note(text, params), sql.all(text, params)),
    get: (text, params) => (note(text, params), sql.get(text, params)),
    rows: (text, params) => (note(text, params), sql.rows(text, params)),
    values: (text, params) => (note(text, params), sql.values(text, params)),
    run: (text, params) => (note(text, params), sql.run(text, params)),
    batch: (statements) => (log.push(...statements), sql.batch(statements)),
    transaction: (work) => sql.transaction((tx) => work(recording(tx, log))),
    forUpdate: (options) => sql.forUpdate(options),
    forShare: () => sql.forShare(),
    lockNamed: (name) => sql.lockNamed(name),
    close: () => sql.close(),
  };
}

/** Multi-row INSERTs of `rows` into `table`, 100 rows a statement. */
async function insertRows(sql: Sql, table: string, columns: readonly string[], rows: Param[][]): Promise<void> {
  const statements: Statement[] = [];
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    statements.push({ sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, params: chunk.flat() });
  }
  await sql.batch(statements);
}

/** Organizations with a default workspace and a key each; the first is the one under test. */
async function tenants(sql: Sql, count: number, prefix: string) {
  const now = Date.now();
  const orgs = Array.from({ length: count }, (_, i) => ({
    id: newId('org', now), name: `${prefix}-${i}`, workspace: newId('wrkspc', now), key: newId('apikey', now), hash: `hash-${prefix}-${i}`,
  }));
  await insertRows(sql, 'organizations', ['id', 'name', 'created_at'], orgs.map((o) => [o.id, o.name, now]));
  await insertRows(sql, 'workspaces', ['organization_id', 'id', 'name', 'is_default', 'created_at'], orgs.map((o) => [o.id, o.workspace, 'Default', 1, now]));
  await insertRows(sql, 'api_keys', ['secret_hash', 'id', 'organization_id', 'workspace_id', 'role', 'hint', 'created_at'],
    orgs.map((o) => [o.hash, o.key, o.id, null, 'platform', 'sk-…', now]));
  return orgs;
}

async function profilesOf(sql: Sql, organizationId: string, count: number): Promise<string[]> {
  const now = Date.now();
  const profiles = Array.from({ length: count }, (_, i) => newProfile({ name: `Subject ${i}` }, newId('uprof', now), organizationId, now + i));
  await insertRows(sql, 'user_profiles', PROFILE_INSERT_COLUMNS, profiles.map((p) => profileInsertValues(p, PLATFORM)));
  return profiles.map((p) => p.id);
}

/** `count` endpoints of each organization; their ids, organization by organization. */
async function endpointsOf(sql: Sql, organizationIds: string[], count: number): Promise<string[][]> {
  const now = Date.now();
  const ids = organizationIds.map(() => Array.from({ length: count }, () => newId('whep', now)));
  await insertRows(sql, 'webhook_endpoints',
    ['organization_id', 'id', 'url', 'name', 'description', 'enabled_events', 'state', 'disabled_reason', 'secret_ciphertext', 'failed_events', 'created_at', 'updated_at'],
    organizationIds.flatMap((org, i) => ids[i].map((id) => [org, id, 'https://hooks.example.com/h', '', '', '["user_profile.created"]', 'enabled', '', 'sealed', 0, now, now])));
  return ids;
}

/** Endpoints, events and pending deliveries to the first endpoint, and link tokens, of one organization. */
async function webhooksOf(sql: Sql, organizationId: string, endpoints: number, deliveries: number, tokens: number) {
  const now = Date.now();
  const [endpointIds] = await endpointsOf(sql, [organizationId], endpoints);
  const events = Array.from({ length: deliveries }, () => newEventId());
  await insertRows(sql, 'webhook_events', ['organization_id', 'id', 'type', 'body', 'created_at'],
    events.map((id) => [organizationId, id, 'user_profile.created', JSON.stringify({ type: 'event', id }), now]));
  await insertRows(sql, 'webhook_deliveries',
    ['organization_id', 'endpoint_id', 'event_id', 'state', 'attempts', 'retry_base', 'next_attempt_at', 'lease_until', 'created_at'],
    events.map((id, i) => [organizationId, endpointIds[0], id, 'pending', 0, 0, now - deliveries + i, 0, now]));
  await insertRows(sql, 'url_tokens', ['organization_id', 'token_hash', 'profile_id', 'kind', 'created_at', 'expires_at'],
    Array.from({ length: tokens }, (_, i) => [organizationId, `token-${organizationId}-${i}`, 'uprof_x', 'action', now, now + 3600_000]));
  return { endpointIds, events };
}

const analyze = (sql: Sql) => sql.run('ANALYZE');

/** The indexes a statement's plan reads, and whether it scans a table whole; on each plan it is given. */
interface Plan { label: string; indexes: string[]; fullScans: string[] }

async function postgresPlans(url: string, statements: Statement[]): Promise<{ plans: Plan[]; unique: Set<string> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const unique = new Set((await client.query(
      `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indisunique AND c.relnamespace = current_schema()::regnamespace`)).rows.map((r) => r.relname as string));
    const literal = (p: Param) => (p === null ? 'NULL' : typeof p === 'number' ? String(p) : `'${p.replaceAll("'", "''")}'`);
    const plans: Plan[] = [];
    for (const [n, statement] of statements.entries()) {
      let i = 0;
      await client.query(`PREPARE lookup_${n} AS ${statement.sql.replace(/\?/g, () => `$${++i}`)}`);
      for (const mode of ['force_generic_plan', 'force_custom_plan']) {
        await client.query(`SET plan_cache_mode = ${mode}`);
        const [{ 'QUERY PLAN': [root] }] = (await client.query(`EXPLAIN (FORMAT JSON) EXECUTE lookup_${n}(${statement.params.map(literal).join(', ')})`)).rows;
        const plan: Plan = { label: `${mode}: ${statement.sql.replace(/\s+/g, ' ')}`, indexes: [], fullScans: [] };
        const walk = (node: Record<string, any>) => {
          if (node['Index Name']) plan.indexes.push(node['Index Name']);
          if (node['Node Type'] === 'Seq Scan') plan.fullScans.push(node['Relation Name']);
          for (const child of node.Plans ?? []) walk(child);
        };
        walk(root.Plan);
        plans.push(plan);
      }
      await client.query(`DEALLOCATE lookup_${n}`);
    }
    return { plans, unique };
  } finally {
    await client.end();
  }
}

function sqlitePlans(sql: SqliteSql, statements: Statement[]): { plans: Plan[]; unique: Set<string> } {
  const tables = sql.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  const unique = new Set(tables.flatMap((table) =>
    (sql.db.prepare(`PRAGMA index_list(${table})`).all() as { name: string; unique: number }[]).filter((i) => i.unique === 1).map((i) => i.name)));
  const plans = statements.map((statement) => {
    const details = sql.db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params).map((row: any) => row.detail as string);
    const plan: Plan = { label: `${statement.sql.replace(/\s+/g, ' ')} → ${details.join('; ')}`, indexes: [], fullScans: [] };
    for (const detail of details) {
      const index = /USING (?:COVERING )?INDEX (\S+)/.exec(detail);
      if (index) plan.indexes.push(index[1]);
      if (/^SCAN /.test(detail) && !/USING (INTEGER )?PRIMARY KEY/.test(detail)) plan.fullScans.push(detail);
    }
    return plan;
  });
  return { plans, unique };
}

/** A connection of its own to the store's SQLite file (the store's Sql is wrapped for metrics), for EXPLAIN. */
async function withRawSqlite<T>(databaseUrl: string, work: (sql: SqliteSql) => T): Promise<T> {
  const raw = openSql({ databaseUrl }) as SqliteSql;
  try {
    return work(raw);
  } finally {
    await raw.close();
  }
}

const engineList = await engines();

describe('lookups by key use the key, whatever the statistics', () => {
  for (const engine of engineList) {
    // SQLite plans from the row counts its last ANALYZE stored (sqlite_stat1), never from the tables as they
    // are: after an ANALYZE of a nearly empty file it scans small-looking tables whatever they hold now. uprof
    // never runs ANALYZE on SQLite (it plans without statistics), so that state is one an operator made, and
    // another ANALYZE ends it; PostgreSQL reaches it by itself (autovacuum analyzes early, then lags).
    const scenarios: Statistics[] = engine.name === 'postgres'
      ? ['never analyzed', 'analyzed while nearly empty', 'analyzed after the burst']
      : ['never analyzed', 'analyzed after the burst'];
    for (const statistics of scenarios) {
      it(`[${engine.name}] ${statistics}: ${BURST_PROFILES} profiles in one organization`, async (t) => {
        const database = await engine.createDatabase();
        let store: Store | null = null;
        try {
          store = await openStore({ databaseUrl: database.url });
          const { sql } = store;
          if (engine.name === 'postgres') {
            // no autovacuum (nor autoanalyze) behind the test's back: the statistics are the scenario's
            for (const table of await sql.values("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")) {
              await sql.run(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
            }
          }
          const [org] = await tenants(sql, 1, 'under-test');
          await profilesOf(sql, org.id, 5);
          if (statistics === 'analyzed while nearly empty') await analyze(sql);
          const others = await tenants(sql, OTHER_ORGANIZATIONS, 'other');
          for (const other of others.slice(0, 20)) await profilesOf(sql, other.id, 50);
          const ids = await profilesOf(sql, org.id, BURST_PROFILES);
          const { endpointIds, events } = await webhooksOf(sql, org.id, 32, 3000, 2000);
          await endpointsOf(sql, others.map((o) => o.id), 1);
          if (statistics === 'analyzed after the burst') await analyze(sql);

          // the lookups, through the repositories, on a recording Sql
          const log: Statement[] = [];
          const recorded = recording(sql, log);
          const profiles = new ProfileRepository(recorded, new ProfileCache(100));
          const webhooks = new WebhookRepository(recorded);
          const target = ids[BURST_PROFILES / 2];
          assert.ok(await profiles.find(org.id, target));
          await profiles.update(org.id, target, PLATFORM, (p) => ({ ...p, name: 'Renamed', updatedAt: p.updatedAt + 1 }));
          assert.equal(await profiles.delete(org.id, ids[1], PLATFORM, Date.now()), true);
          assert.equal((await profiles.history(org.id, target)).length, 2);
          assert.equal((await profiles.list(org.id, { order: 'desc', orderBy: 'created_at', after: null, limit: 5 })).length, 6);
          assert.ok(await webhooks.find(org.id, endpointIds[5]));
          await webhooks.update(org.id, endpointIds[5], (e) => ({ ...e, description: 'changed', updatedAt: e.updatedAt + 1 }));
          assert.equal(await webhooks.setSecret(org.id, endpointIds[5], 'resealed', Date.now()), true);
          const leased = await new WebhookRepository(sql).lease(Date.now(), Date.now() + 60_000, 3, { perEndpoint: 3, perOrganization: 3 });
          assert.equal(leased.length, 3);
          const at = Date.now();
          await webhooks.recordAttempt(leased[0], { at, status: 500, latencyMs: 1, error: 'HTTP 500' }, { kind: 'retry', nextAttemptAt: at + 1000 }, 20);
          await webhooks.recordAttempt(leased[1], { at, status: 500, latencyMs: 1, error: 'HTTP 500' }, { kind: 'failed' }, 20);
          await webhooks.recordAttempt(leased[2], { at, status: 200, latencyMs: 1, error: null }, { kind: 'delivered' }, 20);
          assert.equal(await webhooks.resend(org.id, endpointIds[0], events[2999], Date.now()), 'queued');
          const urlTokens = new UrlTokenRepository(recorded);
          assert.ok(await urlTokens.find(org.id, 'token-' + org.id + '-1000'));
          const tenancy = new TenancyRepository(recorded);
          assert.ok(await tenancy.keyBySecretHash(org.hash));
          assert.ok(await tenancy.keyById(others[150].key));
          assert.ok(await tenancy.workspace(org.id, org.workspace));
          assert.ok(await tenancy.defaultWorkspace(others[200].id));
          assert.ok(await tenancy.organizationById(others[250].id));
          assert.ok(await tenancy.organizationByName(others[2500].name));

          const lookups = log.filter((s) => !/^\s*INSERT/i.test(s.sql) && !/ORDER BY/i.test(s.sql));
          const { plans, unique } = engine.name === 'postgres'
            ? await postgresPlans(database.url, lookups)
            : await withRawSqlite(database.url, (raw) => sqlitePlans(raw, lookups));
          t.diagnostic(`${lookups.length} lookups, ${plans.length} plans`);
          assert.ok(lookups.length >= 20, `the lookups were recorded (${lookups.length})`);
          const wrong = plans.flatMap((plan) => [
            ...plan.fullScans.map((table) => `${plan.label}: scans ${table} whole`),
            ...plan.indexes.filter((index) => !unique.has(index)).map((index) => `${plan.label}: reads ${index}, not a key`),
            ...(plan.indexes.length === 0 && plan.fullScans.length === 0 ? [`${plan.label}: reads no index`] : []),
          ]);
          assert.deepEqual(wrong, []);
        } finally {
          await store?.close();
          await database.drop();
        }
      });
    }
  }
});
